import { useEffect, useId, useState, type FormEvent } from 'react';
import { ProblemAlert } from '../../components/ProblemAlert';
import type { LatLng } from '../../api/types';
import type { LocationPoint } from '../../../../domain/live/driver-channel';
import { OrderLiveMap } from '../shared/OrderLiveMap';
import { laterView, newerOrder } from '../../live/order-seq';
import { useOrderLive } from '../../live/useOrderLive';
import { formatMoney, isTerminal, orderName, statusLabel } from '../shared/format';
import { OrderChat } from '../shared/OrderChat';
import type { AppSession } from '../shared/session';
import { StatusPill } from '../shared/StatusPill';
import { ScheduledFor } from '../shared/ScheduledFor';
import type { Merchant, Order } from '../shared/types';
import { useAction, useSessionQuery } from '../shared/useSessionQuery';
import { ProofPhotoCapture } from './ProofPhotoCapture';

const DOCUMENTS = [
  { value: 'id_card', label: 'ID card' },
  { value: 'passport', label: 'Passport' },
  { value: 'driving_licence', label: 'Driving licence' },
  { value: 'residence_permit', label: 'Residence permit' },
] as const;

/** A link that opens turn-by-turn directions in the phone's map app. */
export function navigationUrl(to: LatLng): string {
  return `https://www.google.com/maps/dir/?api=1&destination=${to.lat.toFixed(6)},${to.lng.toFixed(6)}`;
}

export function JobPanel({ session, orderId, here, onFinished }: { session: AppSession; orderId: string; here: LocationPoint | null; onFinished: () => void }) {
  const live = useOrderLive(orderId, () => session.live());
  const refreshKey = `${live.status ?? ''}:${live.synced}`;
  const order = useSessionQuery<Order>(session, `/v1/orders/${encodeURIComponent(orderId)}`, refreshKey, { keep: newerOrder });
  const merchant = useSessionQuery<Merchant>(session, order.data ? `/v1/merchants/${encodeURIComponent(order.data.merchantId)}` : null);
  const { pending, problem, run } = useAction();
  const [local, setLocal] = useState<Order | null>(null);
  const [arrived, setArrived] = useState(false);
  const [notYetTries, setNotYetTries] = useState(0);
  const reload = order.reload;
  const missing = order.status === 'error' && !order.data && order.problem.status === 404;
  useEffect(() => {
    if (!missing || notYetTries >= 15) return;
    const t = setTimeout(() => {
      setNotYetTries((n) => n + 1);
      reload();
    }, 1_000);
    return () => clearTimeout(t);
  }, [missing, notYetTries, reload]);
  // A fresh read of the order replaces what the last step answered.
  useEffect(() => setLocal(null), [order.data]);
  // The shop marking the order ready usually arrives on the live channel; look again now and then anyway.
  const liveView = { status: live.status, seq: live.seq };
  const current = laterView(laterView({ status: local?.status, seq: local?.seq }, { status: order.data?.status, seq: order.data?.seq }), liveView).status ?? null;
  useEffect(() => {
    if (current !== null && isTerminal(current)) return;
    const t = setInterval(order.reload, current === 'preparing' || current === 'placed' ? 4_000 : 15_000);
    return () => clearInterval(t);
  }, [current, order.reload]);

  // The assignment reaches the driver's socket a moment before the order records it: a 404 then is "not yet".
  const notYet = order.status === 'error' && !order.data && order.problem.status === 404 && notYetTries < 15;
  if (order.status === 'loading' || notYet) return <p role="status">Loading the delivery…</p>;
  if (order.status === 'error' && !order.data) {
    return (
      <section className="panel job" aria-labelledby="job-title" data-order-id={orderId}>
        <h2 id="job-title">Delivery</h2>
        <ProblemAlert problem={order.problem} context="Could not load the delivery" onRetry={order.reload} />
      </section>
    );
  }
  const o = local ?? order.data!;
  const status = laterView({ status: o.status, seq: o.seq }, liveView).status ?? o.status;

  const step = async (name: 'arrived' | 'pickup' | 'fail', body?: object) => {
    const updated = await run(name, () => session.fetch<Order>(`/v1/orders/${encodeURIComponent(o.id)}/${name}`, { method: 'POST', ...(body ? { json: body } : {}) }));
    if (updated) setLocal(updated);
    if (name === 'arrived' && updated) setArrived(true);
  };

  const ended = isTerminal(status);
  const pickup = o.pickup?.location ?? merchant.data?.location ?? null;

  const me = here ? { lat: here.lat, lng: here.lng, heading: here.heading, at: here.at } : null;
  const map = ended ? null : (
    <OrderLiveMap label="Map: you, the shop and the drop-off" pickup={pickup} dropoff={o.dropoff.location} driver={me} trail={[]} viewer="driver" />
  );

  return (
    <section className="panel job" aria-labelledby="job-title" data-order-id={o.id}>
      <div className="toolbar">
        <h2 id="job-title" style={{ margin: 0 }}>
          Delivery {orderName(o)}
        </h2>
        <StatusPill status={status} />
      </div>
      <ScheduledFor order={{ ...o, status }} compact />
      {problem ? <ProblemAlert problem={problem} context="That step did not go through" /> : null}
      {ended ? (
        <div className="notice notice--ok" role="status">
          <p>
            <strong>{statusLabel(status)}.</strong> {status === 'delivered' ? 'Well done!' : ''}
          </p>
          <button type="button" className="button" onClick={onFinished}>
            Back to offers
          </button>
        </div>
      ) : status === 'in_delivery' ? (
        <>
          <h3>Drop-off</h3>
          <p>
            {o.dropoff.address ?? 'Address on the map'}
            {o.dropoff.instructions ? <><br /><span className="muted">{o.dropoff.instructions}</span></> : null}
            {o.customer?.name ? <><br />For {o.customer.name}</> : null}
          </p>
          <p>
            <a className="button button--secondary" href={navigationUrl(o.dropoff.location)} target="_blank" rel="noopener noreferrer">
              Navigate to drop-off<span className="visually-hidden"> (opens your map app)</span>
            </a>
          </p>
          <DeliverForm session={session} order={o} onDelivered={(u) => setLocal(u)} />
          <details className="section">
            <summary>Could not deliver?</summary>
            <button type="button" className="button button--danger" disabled={pending !== null} onClick={() => void step('fail', { reason: 'Customer not reachable' })}>
              Report a failed delivery
            </button>
          </details>
        </>
      ) : (
        <>
          <h3>Pickup</h3>
          <p>
            <strong>{merchant.data?.name ?? 'The shop'}</strong>
            {merchant.data?.address ? <><br />{merchant.data.address}</> : null}
          </p>
          <p className="muted">
            {o.items.reduce((n, i) => n + i.quantity, 0)} items · {formatMoney(o.totals.totalCents, o.totals.currency)}
            {o.requiresPrescription ? ' · prescription: ID check at the door' : ''}
          </p>
          {pickup ? (
            <p>
              <a className="button button--secondary" href={navigationUrl(pickup)} target="_blank" rel="noopener noreferrer">
                Navigate to pickup<span className="visually-hidden"> (opens your map app)</span>
              </a>
            </p>
          ) : null}
          <div className="button-row driver__next" data-testid="driver-next-action">
            <p className="driver__next-label">
              Delivery {orderName(o)} · pickup at {merchant.data?.name ?? 'the shop'}
            </p>
            <button type="button" className="button button--secondary button--big" disabled={pending !== null || arrived} onClick={() => void step('arrived')}>
              {arrived ? 'Arrived ✓' : 'I have arrived'}
            </button>
            <button type="button" className="button button--big" disabled={pending !== null || status !== 'ready'} onClick={() => void step('pickup')} aria-describedby="pickup-hint">
              {pending === 'pickup' ? 'Saving…' : 'Picked up'}
            </button>
          </div>
          <p id="pickup-hint" className="muted">
            {status === 'ready' ? 'The order is ready: pick it up.' : 'Waiting for the shop to mark the order ready.'}
          </p>
        </>
      )}
      {map}
      {/* Chat with the customer and the shop (ADR 0113): no number is shown either way. */}
      <OrderChat session={session} orderId={o.id} thread="customer_driver" title="Chat with the customer" refreshKey={live.chatSeq} open={!ended} />
      <OrderChat session={session} orderId={o.id} thread="merchant_driver" title="Chat with the shop" refreshKey={live.chatSeq} open={!ended} />
    </section>
  );
}

function DeliverForm({ session, order, onDelivered }: { session: AppSession; order: Order; onDelivered: (o: Order) => void }) {
  const id = useId();
  const [method, setMethod] = useState<'pin' | 'photo'>('pin');
  const [pin, setPin] = useState('');
  const [photoUrl, setPhotoUrl] = useState<string | null>(null);
  const [documentType, setDocumentType] = useState<string>('id_card');
  const [birthYear, setBirthYear] = useState('');
  const { pending, problem, run } = useAction();
  const needsId = order.requiresPrescription === true;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const body = {
      ...(method === 'pin' ? { pin } : { photoUrl }),
      ...(needsId ? { idCheck: { documentType, birthYear: Number(birthYear) } } : {}),
    };
    const updated = await run('deliver', () => session.fetch<Order>(`/v1/orders/${encodeURIComponent(order.id)}/deliver`, { method: 'POST', json: body }));
    if (updated) onDelivered(updated);
  }

  const fieldErrors = new Map<string, string>();
  for (const e of (problem?.problem.errors as { path: string; message: string }[] | undefined) ?? []) fieldErrors.set(e.path.replace(/^(body|json)\./, ''), e.message);

  return (
    <form onSubmit={submit} className="stack" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Hand over</h3>
      {problem && fieldErrors.size === 0 ? <ProblemAlert problem={problem} context="Not delivered" /> : null}
      <fieldset className="form-field">
        <legend>Proof of delivery</legend>
        <label>
          <input type="radio" name={`${id}-m`} checked={method === 'pin'} onChange={() => { setMethod('pin'); setPhotoUrl(null); }} /> The customer’s 4-digit code
        </label>
        <label>
          <input type="radio" name={`${id}-m`} checked={method === 'photo'} onChange={() => setMethod('photo')} /> A photo at the door
        </label>
      </fieldset>
      {method === 'pin' ? (
        <div className="form-field">
          <label htmlFor={`${id}-pin`}>Delivery code</label>
          <input
            id={`${id}-pin`}
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="\d{4}"
            maxLength={4}
            required
            value={pin}
            onChange={(e) => setPin(e.target.value.replace(/\D/g, ''))}
            aria-invalid={fieldErrors.has('pin') ? true : undefined}
            aria-describedby={`${id}-pin-hint`}
            className="pin-input"
          />
          <p id={`${id}-pin-hint`} className={fieldErrors.has('pin') ? 'field-error' : 'hint'}>
            {fieldErrors.get('pin') ?? 'Ask the customer for the code they received.'}
          </p>
        </div>
      ) : (
        <>
          <ProofPhotoCapture session={session} orderId={order.id} onChange={setPhotoUrl} />
          {fieldErrors.has('photoUrl') ? <p className="field-error">{fieldErrors.get('photoUrl')}</p> : null}
        </>
      )}
      {needsId ? (
        <fieldset className="panel">
          <legend>ID check (prescription)</legend>
          <div className="form-field">
            <label htmlFor={`${id}-doc`}>Document</label>
            <select id={`${id}-doc`} value={documentType} onChange={(e) => setDocumentType(e.target.value)}>
              {DOCUMENTS.map((d) => (
                <option key={d.value} value={d.value}>
                  {d.label}
                </option>
              ))}
            </select>
          </div>
          <div className="form-field">
            <label htmlFor={`${id}-year`}>Year of birth on the document</label>
            <input id={`${id}-year`} inputMode="numeric" required pattern="\d{4}" maxLength={4} value={birthYear} onChange={(e) => setBirthYear(e.target.value.replace(/\D/g, ''))} />
            {fieldErrors.has('idCheck') || fieldErrors.has('idCheck.birthYear') ? <p className="field-error">{fieldErrors.get('idCheck') ?? fieldErrors.get('idCheck.birthYear')}</p> : null}
          </div>
        </fieldset>
      ) : null}
      <div className="driver__next" data-testid="driver-next-action">
        <p className="driver__next-label">
          Delivery {orderName(order)} · {order.dropoff.address ?? 'drop-off'}
        </p>
        <button type="submit" className="button button--big button--wide" disabled={pending !== null || (method === 'pin' ? pin.length !== 4 : !photoUrl) || (needsId && birthYear.length !== 4)}>
          {pending ? 'Confirming…' : 'Confirm delivery'}
        </button>
      </div>
    </form>
  );
}
