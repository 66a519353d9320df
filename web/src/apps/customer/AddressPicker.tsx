import { useId, useState } from 'react';
import { SAMPLE_ADDRESSES, useDeliveryAddress, type DeliveryAddress } from './stores';

/**
 * Where to deliver: one of the sample addresses, or an address typed in. There
 * is no geocoder (nothing leaves the machine), so a typed address keeps the
 * pin it is given: the device's position, or else the pin of the address
 * chosen before (said so on screen). What was typed is what the order
 * carries and what the payment step shows, never silently a preset. While
 * the picker is open, `onEditingChange(true)` tells the checkout to wait.
 */
export function AddressPicker({ onChosen, onEditingChange }: { onChosen?: (a: DeliveryAddress) => void; onEditingChange?: (editing: boolean) => void }) {
  const id = useId();
  const [current, setCurrent] = useDeliveryAddress();
  const [editing, setEditingState] = useState(current === null);
  const setEditing = (value: boolean) => {
    setEditingState(value);
    onEditingChange?.(value);
  };
  // The pin a typed address gets without the device's position: the last one chosen, else the first sample's.
  const fallbackPin = current?.location ?? SAMPLE_ADDRESSES[0]!.location;
  const fallbackNear = current?.address ?? SAMPLE_ADDRESSES[0]!.address;
  const [typed, setTyped] = useState('');
  const [locating, setLocating] = useState(false);
  const [geoError, setGeoError] = useState<string | null>(null);

  const choose = (a: DeliveryAddress) => {
    setCurrent(a);
    setEditing(false);
    onChosen?.(a);
  };

  if (current && !editing) {
    return (
      <p className="address-current">
        Delivering to <strong data-testid="delivery-address">{current.address}</strong>{' '}
        <button type="button" className="link-button" onClick={() => setEditing(true)}>
          Change<span className="visually-hidden"> the delivery address</span>
        </button>
      </p>
    );
  }

  return (
    <fieldset className="panel">
      <legend>Where should we deliver?</legend>
      <div className="form-field">
        <label htmlFor={`${id}-sample`}>Choose an address</label>
        <select
          id={`${id}-sample`}
          value=""
          onChange={(e) => {
            const a = SAMPLE_ADDRESSES[Number(e.target.value)];
            if (a) choose(a);
          }}
        >
          <option value="" disabled>
            Select…
          </option>
          {SAMPLE_ADDRESSES.map((a, i) => (
            <option key={a.address} value={i}>
              {a.address}
            </option>
          ))}
        </select>
      </div>
      <p className="muted">or</p>
      <div className="inline-form">
        <div className="form-field">
          <label htmlFor={`${id}-typed`}>Your address</label>
          <input id={`${id}-typed`} autoComplete="street-address" value={typed} onChange={(e) => setTyped(e.target.value)} aria-describedby={`${id}-pin`} />
        </div>
        <button
          type="button"
          className="button"
          disabled={!typed.trim() || locating}
          onClick={() => choose({ address: typed.trim(), location: fallbackPin })}
        >
          Deliver to this address
        </button>
        <button
          type="button"
          className="button button--secondary"
          disabled={!typed.trim() || locating}
          onClick={() => {
            if (!('geolocation' in navigator)) return setGeoError('This device cannot tell its position.');
            setLocating(true);
            setGeoError(null);
            navigator.geolocation.getCurrentPosition(
              (pos) => {
                setLocating(false);
                choose({ address: typed.trim(), location: { lat: pos.coords.latitude, lng: pos.coords.longitude } });
              },
              () => {
                setLocating(false);
                setGeoError('Your position is not available: choose one of the addresses above.');
              },
              { timeout: 10_000 },
            );
          }}
        >
          {locating ? 'Locating…' : 'Use my current position'}
        </button>
      </div>
      <p className="hint muted" id={`${id}-pin`}>
        No map search here: the driver’s pin stays near {fallbackNear}, or use your current position to put it where you are.
      </p>
      {current ? (
        <button type="button" className="link-button" onClick={() => setEditing(false)}>
          Keep {current.address}
        </button>
      ) : null}
      {geoError ? (
        <p className="field-error" role="alert">
          {geoError}
        </p>
      ) : null}
    </fieldset>
  );
}
