import { clockText, describeWindow } from '../../../../domain/scheduling';
import { formatDuration, orderName } from '../shared/format';
import type { AppSession } from '../shared/session';
import { usePolledQuery } from './usePolledQuery';
import type * as Api from '../../api/schema.gen';

/** GET /v1/ops/orders/scheduled */
type HeldOrder = Api.HeldScheduledOrder;

/**
 * Scheduled orders still held (ADR 0108), next release first: when each goes
 * to its shop. One whose release time has passed by more than two minutes
 * means the minute cron is late (runbook: scheduled orders not released).
 */
export function ScheduledOrdersPanel({ session, cityId, now }: { session: AppSession; cityId: string; now: number }) {
  const query = usePolledQuery<{ items: HeldOrder[] }>(session, `/v1/ops/orders/scheduled?cityId=${encodeURIComponent(cityId)}`);
  const items = query.data?.items ?? [];
  return (
    <section className="panel" aria-labelledby="scheduled-orders-title" data-testid="ops-scheduled">
      <h2 id="scheduled-orders-title">Scheduled</h2>
      {query.status === 'error' && !query.data ? (
        <p className="muted">Could not load ({query.problem.title}); retrying.</p>
      ) : items.length === 0 ? (
        <p className="muted">No scheduled order waiting for its time.</p>
      ) : (
        <ul className="plain-list stack">
          {items.map((o) => {
            const late = now - Date.parse(o.releaseAt) > 2 * 60_000;
            return (
              <li key={o.orderId} className={late ? 'flagged' : ''} data-order-id={o.orderId}>
                Order {orderName({ id: o.orderId, number: o.number })} at {o.merchantName} · {describeWindow(o.scheduledFor)} · to the shop at {clockText(o.releaseAt)}
                {late ? <strong className="text-bad"> · release late by {formatDuration((now - Date.parse(o.releaseAt)) / 1000)}</strong> : null}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
