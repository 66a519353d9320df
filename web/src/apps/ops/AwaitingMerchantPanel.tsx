import { formatDuration, orderName } from '../shared/format';
import type { AppSession } from '../shared/session';
import { usePolledQuery } from './usePolledQuery';
import type * as Api from '../../api/schema.gen';

/** GET /v1/ops/orders/awaiting-merchant */
type AwaitingMerchant = Api.OrderAwaitingMerchant;

/**
 * Placed orders their shop has not accepted, escalated ones first (ADR 0080):
 * an operator can call the shop before the platform cancels and refunds.
 */
export function AwaitingMerchantPanel({ session, cityId, now }: { session: AppSession; cityId: string; now: number }) {
  const query = usePolledQuery<{ items: AwaitingMerchant[] }>(session, `/v1/ops/orders/awaiting-merchant?cityId=${encodeURIComponent(cityId)}`);
  const items = query.data?.items ?? [];
  return (
    <section className="panel" aria-labelledby="awaiting-merchant-title">
      <h2 id="awaiting-merchant-title">Waiting for the shop</h2>
      {query.status === 'error' && !query.data ? (
        <p className="muted">Could not load ({query.problem.title}); retrying.</p>
      ) : items.length === 0 ? (
        <p className="muted">None: every placed order was accepted in time.</p>
      ) : (
        <ul className="plain-list stack">
          {items.map((o) => (
            <li key={o.orderId} className={o.escalatedAt ? 'flagged' : ''}>
              Order {orderName({ id: o.orderId, number: o.number })} at {o.merchantName}, waiting {formatDuration((now - Date.parse(o.placedAt)) / 1000)}
              {o.escalatedAt ? <strong className="text-bad"> · escalated, cancelled in {formatDuration(Math.max(0, (Date.parse(o.autoCancelAt) - now) / 1000))}</strong> : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
