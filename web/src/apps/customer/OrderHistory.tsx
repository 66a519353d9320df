import { useState } from 'react';
import { toApiProblem, type ApiProblem } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { Link, navigate } from '../../router';
import { formatDateTime, formatMoney, orderName } from '../shared/format';
import type { AppSession } from '../shared/session';
import { StatusPill } from '../shared/StatusPill';
import { ScheduledFor } from '../shared/ScheduledFor';
import type { Order, Page } from '../shared/types';
import { useSessionQuery } from '../shared/useSessionQuery';
import { reorder } from './reorder';
import { useCart } from './stores';

export function OrderHistory({ session }: { session: AppSession }) {
  const orders = useSessionQuery<Page<Order>>(session, '/v1/orders?limit=50');
  const [cart, setCart] = useCart();
  const [busy, setBusy] = useState<string | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  async function again(o: Order) {
    if (cart && cart.lines.length > 0 && !window.confirm('Your cart holds other items. Replace them with this order’s?')) return;
    setBusy(o.id);
    setProblem(null);
    setNotice(null);
    try {
      const { cart: next, missing } = await reorder(o);
      if (!next) {
        setNotice(`None of order ${orderName(o)}’s items can be ordered right now${missing.length ? ` (${missing.join(', ')})` : ''}.`);
        return;
      }
      setCart(next);
      if (missing.length > 0) window.alert(`Not available any more, left out: ${missing.join(', ')}.`);
      navigate('/customer/checkout');
    } catch (error) {
      setProblem(toApiProblem(error));
    } finally {
      setBusy(null);
    }
  }

  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">Your orders</h2>
      {orders.status === 'loading' ? <p role="status">Loading…</p> : null}
      {orders.status === 'error' && !orders.data ? <ProblemAlert problem={orders.problem} context="Could not load your orders" onRetry={orders.reload} /> : null}
      {problem ? <ProblemAlert problem={problem} context="Could not reorder" /> : null}
      {notice ? (
        <p className="notice notice--warn" role="status">
          {notice}
        </p>
      ) : null}
      {orders.data && orders.data.items.length === 0 ? (
        <p>
          No order yet. <Link to="/customer">Find a shop</Link>
        </p>
      ) : null}
      {orders.data && orders.data.items.length > 0 ? (
        <ul className="plain-list stack">
          {orders.data.items.map((o) => (
            <li key={o.id} className="order-card" data-order-id={o.id}>
              <h3 className="order-card__title">
                <Link to={`/customer/orders/${o.id}`}>Order {orderName(o)}</Link>
              </h3>
              <p className="order-card__meta">
                <StatusPill status={o.status} /> {formatDateTime(o.createdAt)} · {o.items.reduce((n, i) => n + i.quantity, 0)} items · {formatMoney(o.totals.totalCents, o.totals.currency)}
                {o.refund ? (
                  <span data-testid="history-refund">
                    {' '}
                    · {o.refund.status === 'succeeded' ? 'refunded' : o.refund.status === 'pending' ? 'refund under way' : 'refund not through yet'} {formatMoney(o.refund.amountCents, o.refund.currency)}
                  </span>
                ) : null}
              </p>
              <ScheduledFor order={o} compact />
              {o.status !== 'pending_payment' ? (
                <button type="button" className="button button--secondary button--small" disabled={busy !== null} onClick={() => void again(o)} aria-label={`Reorder the items of order ${orderName(o)}`}>
                  {busy === o.id ? 'Filling the cart…' : 'Reorder'}
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
