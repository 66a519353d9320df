import { useId, useState } from 'react';
import { SAMPLE_ADDRESSES, useDeliveryAddress, type DeliveryAddress } from './stores';

/**
 * Where to deliver: one of the sample addresses, or the device's position with
 * the address typed in. (Offline there is no geocoder to turn text into a point.)
 */
export function AddressPicker({ onChosen }: { onChosen?: (a: DeliveryAddress) => void }) {
  const id = useId();
  const [current, setCurrent] = useDeliveryAddress();
  const [editing, setEditing] = useState(current === null);
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
          <input id={`${id}-typed`} autoComplete="street-address" value={typed} onChange={(e) => setTyped(e.target.value)} />
        </div>
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
      {geoError ? (
        <p className="field-error" role="alert">
          {geoError}
        </p>
      ) : null}
    </fieldset>
  );
}
