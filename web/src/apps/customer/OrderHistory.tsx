import { ProblemAlert } from '../../components/ProblemAlert';
import { Link } from '../../router';
import { formatDateTime, formatMoney, orderName } from '../shared/format';
import type { AppSession } from '../shared/session';
import { StatusPill } from '../shared/StatusPill';
import type { Order, Page } from '../shared/types';
import { useSessionQuery } from '../shared/useSessionQuery';

export function OrderHistory({ session }: { session: AppSession }) {
  const orders = useSessionQuery<Page<Order>>(session, '/v1/orders?limit=50');
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">Your orders</h2>
      {orders.status === 'loading' ? <p role="status">Loading…</p> : null}
      {orders.status === 'error' && !orders.data ? <ProblemAlert problem={orders.problem} context="Could not load your orders" onRetry={orders.reload} /> : null}
      {orders.data && orders.data.items.length === 0 ? (
        <p>
          No order yet. <Link to="/customer">Find a shop</Link>
        </p>
      ) : null}
      {orders.data && orders.data.items.length > 0 ? (
        <ul className="plain-list stack">
          {orders.data.items.map((o) => (
            <li key={o.id} className="order-card">
              <h3 className="order-card__title">
                <Link to={`/customer/orders/${o.id}`}>Order {orderName(o)}</Link>
              </h3>
              <p className="order-card__meta">
                <StatusPill status={o.status} /> {formatDateTime(o.createdAt)} · {o.items.reduce((n, i) => n + i.quantity, 0)} items · {formatMoney(o.totals.totalCents, o.totals.currency)}
              </p>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
