import { Link } from '../../router';
import { formatDuration, orderName, shortDriverId } from '../shared/format';
import type { AppSession } from '../shared/session';
import { usePolledQuery } from './usePolledQuery';
import type * as Api from '../../api/schema.gen';

/** GET /v1/ops/orders/stuck (ADR 0112). */
type Stuck = Api.StuckOrders;

const KIND: Record<Stuck['alerts'][number]['kind'], string> = {
  no_merchant_answer: 'no answer from the shop',
  no_driver_found: 'no driver found',
  driver_not_moving: 'driver not moving',
};

/** Stuck orders and the unassigned queue with its age; each order links to its page, where the operator acts. */
export function StuckPanel({ session, cityId }: { session: AppSession; cityId: string }) {
  const query = usePolledQuery<Stuck>(session, `/v1/ops/orders/stuck?cityId=${encodeURIComponent(cityId)}`, 10_000);
  const data = query.data;
  return (
    <section className="panel" aria-labelledby="stuck-title" data-testid="stuck-panel">
      <h2 id="stuck-title">Needs an operator</h2>
      {query.status === 'error' && !data ? <p className="muted">Could not load ({query.problem.title}); retrying.</p> : null}
      {data && data.alerts.length === 0 ? <p className="muted">No stuck order.</p> : null}
      <ul className="plain-list stack">
        {(data?.alerts ?? []).map((a) => (
          <li key={`${a.kind}:${a.orderId}`} className="flagged">
            <Link to={`/ops/orders/${a.orderId}`}>Order {orderName({ id: a.orderId, number: a.number })}</Link> at {a.merchantName}: <strong className="text-bad">{KIND[a.kind]}</strong>
            {a.driverId ? <> · driver #{shortDriverId(a.driverId)}</> : null}
            {a.ageSeconds !== null ? <> · {formatDuration(a.ageSeconds)}</> : <> · not connected</>}
          </li>
        ))}
      </ul>
      <h3>Unassigned queue</h3>
      {data && data.unassigned.length === 0 ? <p className="muted">Empty.</p> : null}
      <ol className="stack" data-testid="unassigned-queue">
        {(data?.unassigned ?? []).map((u) => (
          <li key={u.orderId}>
            <Link to={`/ops/orders/${u.orderId}`}>Order {orderName({ id: u.orderId, number: u.number })}</Link> at {u.merchantName} ({u.status}), waiting {formatDuration(u.ageSeconds)}
          </li>
        ))}
      </ol>
    </section>
  );
}
