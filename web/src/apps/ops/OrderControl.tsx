import { useState } from 'react';
import { toApiProblem, type ApiProblem } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import type { AppSession } from '../shared/session';
import { useSessionQuery } from '../shared/useSessionQuery';
import type * as Api from '../../api/schema.gen';

type OpsDriver = Api.OpsDriver;


/**
 * What an operator does to one order (ADR 0112): give it to a driver (or to
 * another one), cancel it with a full or partial refund, message or stop its
 * driver. Each asks for a reason, which goes to the audit log.
 */
export function OrderControl({ session, orderId, cityId }: { session: AppSession; orderId: string; cityId: string }) {
  const roster = useSessionQuery<{ items: OpsDriver[] }>(session, `/v1/ops/drivers?cityId=${encodeURIComponent(cityId)}`);
  const [version, setVersion] = useState(0);
  // Operators are no party to GET /v1/orders/{id}; the decision log names the order's driver.
  const log = useSessionQuery<{ driverId: string | null }>(session, `/v1/orders/${encodeURIComponent(orderId)}/dispatch`, version);
  const order = { driverId: log.data?.driverId ?? null };
  const onDone = () => setVersion((v) => v + 1);
  const [driverId, setDriverId] = useState('');
  const [reason, setReason] = useState('');
  const [refund, setRefund] = useState('');
  const [text, setText] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const drivers = (roster.data?.items ?? []).filter((d) => d.active);
  const label = (d: OpsDriver) => `${d.name ?? 'Erased driver'} (${d.vehicle})`;

  const act = async (done: string, path: string, json: unknown) => {
    setProblem(null);
    setResult(null);
    try {
      await session.fetch(path, { method: 'POST', json });
      setResult(done);
      onDone();
    } catch (error) {
      setProblem(toApiProblem(error));
    }
  };
  const why = reason.trim();

  return (
    <section className="panel stack" aria-labelledby="control-title" data-testid="order-control">
      <h2 id="control-title">Take control</h2>
      <div className="form-field">
        <label htmlFor="control-reason">Reason (kept in the audit log)</label>
        <input id="control-reason" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={300} />
      </div>
      <div className="form-field">
        <label htmlFor="control-driver">{order.driverId ? 'Reassign to' : 'Assign to'}</label>
        <select id="control-driver" value={driverId} onChange={(e) => setDriverId(e.target.value)}>
          <option value="">Choose a driver…</option>
          {drivers
            .filter((d) => d.id !== order.driverId)
            .map((d) => (
              <option key={d.id} value={d.id}>
                {label(d)}
              </option>
            ))}
        </select>
        <button type="button" disabled={!driverId || !why} onClick={() => void act('Assigned.', `/v1/ops/orders/${encodeURIComponent(orderId)}/assign`, { driverId, reason: why })}>
          {order.driverId ? 'Reassign' : 'Assign'}
        </button>
      </div>
      <div className="form-field">
        <label htmlFor="control-refund">Refund in cents (empty: all that was paid)</label>
        <input id="control-refund" inputMode="numeric" value={refund} onChange={(e) => setRefund(e.target.value.replace(/\D/g, ''))} />
        <button
          type="button"
          className="danger"
          disabled={!why}
          onClick={() => void act('Cancelled.', `/v1/ops/orders/${encodeURIComponent(orderId)}/cancel`, { reason: why, ...(refund ? { refundCents: Number(refund) } : {}) })}
        >
          Cancel the order
        </button>
      </div>
      {order.driverId ? (
        <div className="form-field">
          <label htmlFor="control-message">Message to the driver</label>
          <textarea id="control-message" value={text} onChange={(e) => setText(e.target.value)} maxLength={500} />
          <button type="button" disabled={!text.trim()} onClick={() => void act('Sent.', `/v1/ops/drivers/${encodeURIComponent(order.driverId!)}/messages`, { text: text.trim() })}>
            Send
          </button>
          <button type="button" disabled={!why} onClick={() => void act('Driver set offline.', `/v1/ops/drivers/${encodeURIComponent(order.driverId!)}/offline`, { reason: why })}>
            Set the driver offline
          </button>
        </div>
      ) : null}
      {result ? <p role="status">{result}</p> : null}
      {problem ? <ProblemAlert problem={problem} context="Not done" /> : null}
    </section>
  );
}
