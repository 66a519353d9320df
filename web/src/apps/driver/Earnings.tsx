/**
 * Earnings of the day from GET /v1/drivers/me/assignments (current and recent
 * orders), or the driver's GET /v1/orders where that list is missing. The
 * payout is the order's `payoutCents`: the amount the driver's offer showed,
 * committed with the assignment (ADR 0100). Never the customer's delivery fee,
 * which is not the driver's pay.
 */
import { ProblemAlert } from '../../components/ProblemAlert';
import { formatMoney, formatTime, orderName, statusLabel } from '../shared/format';
import type { AppSession } from '../shared/session';
import { useSessionQuery } from '../shared/useSessionQuery';

interface Assignment {
  orderId?: string;
  id?: string;
  /** The order's number (v1.1). */
  number?: string;
  status: string;
  payoutCents?: number | null;
  currency?: string;
  deliveredAt?: string | null;
  assignedAt?: string | null;
  totals?: { deliveryFeeCents: number; currency: string };
}

function isToday(iso: string | null | undefined): boolean {
  if (!iso) return false;
  const d = new Date(iso);
  const now = new Date();
  return d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
}

export function Earnings({ session, refreshKey }: { session: AppSession; refreshKey: unknown }) {
  const assignments = useSessionQuery<{ items: Assignment[] }>(session, '/v1/drivers/me/assignments?limit=100', refreshKey);
  // Where the server has no assignments list, the driver's orders (the ones assigned to it) say the same.
  const fallback = assignments.status === 'error' && assignments.problem.status === 404;
  const orders = useSessionQuery<{ items: Assignment[] }>(session, fallback ? '/v1/orders?limit=100' : null, refreshKey);
  const list = fallback ? orders : assignments;
  if (list.status === 'loading') return <p role="status">Loading earnings…</p>;
  if (list.status === 'error' && !list.data) return <ProblemAlert problem={list.problem} context="Could not load your deliveries" onRetry={list.reload} />;
  const items = list.data!.items;
  const today = items.filter((a) => a.status === 'delivered' && isToday(a.deliveredAt ?? a.assignedAt));
  const payout = (a: Assignment) => a.payoutCents ?? 0;
  const currency = today[0]?.currency ?? today[0]?.totals?.currency ?? items[0]?.currency ?? items[0]?.totals?.currency ?? 'EUR';
  const total = today.reduce((sum, a) => sum + payout(a), 0);
  return (
    <div>
      <ul className="stats">
        <li>
          <span className="label">Earned today</span>
          <span className="big-number" data-testid="earnings-today">{formatMoney(total, currency)}</span>
        </li>
        <li>
          <span className="label">Deliveries today</span>
          <span className="big-number">{today.length}</span>
        </li>
      </ul>
      {items.length > 0 ? (
        <ul className="plain-list">
          {items.slice(0, 10).map((a) => {
            const id = a.orderId ?? a.id ?? '';
            return (
              <li key={id}>
                {orderName({ id, number: a.number })} · {statusLabel(a.status)}
                {a.deliveredAt ? ` · ${formatTime(a.deliveredAt)}` : ''}
                {payout(a) ? ` · ${formatMoney(payout(a), a.currency ?? a.totals?.currency ?? currency)}` : ''}
              </li>
            );
          })}
        </ul>
      ) : (
        <p className="muted">No deliveries yet today.</p>
      )}
    </div>
  );
}
