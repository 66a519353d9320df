import { formatTime, isTerminal, STATUS_PATH, statusLabel } from './format';
import type { OrderEvent, OrderStatus } from './types';

interface OrderTimelineProps {
  events: OrderEvent[];
  /** The latest status known (e.g. from the live channel), which may be ahead of `events`. */
  current: OrderStatus | null;
}

/**
 * The order's status history, then the steps still to come on the happy path.
 * An ordered list, so screen readers announce "n of m".
 */
export function OrderTimeline({ events, current }: OrderTimelineProps) {
  const seen = new Map<string, OrderEvent>();
  for (const e of events) if (!seen.has(e.status)) seen.set(e.status, e);
  if (current && !seen.has(current)) seen.set(current, { status: current, at: '' });
  const done = [...seen.values()];
  const last = current ?? done.at(-1)?.status ?? null;
  const ended = last !== null && isTerminal(last);
  const todo = ended ? [] : STATUS_PATH.filter((s) => !seen.has(s) && STATUS_PATH.indexOf(s) > STATUS_PATH.indexOf(last ?? 'pending_payment'));
  return (
    <ol className="timeline" aria-label="Order status history">
      {done.map((e) => {
        const isCurrent = e.status === last;
        const bad = isTerminal(e.status) && e.status !== 'delivered';
        return (
          <li key={e.status} className={bad ? 'is-bad' : isCurrent ? 'is-current' : 'is-done'} aria-current={isCurrent ? 'step' : undefined} data-status={e.status}>
            <strong>{statusLabel(e.status)}</strong>
            {e.at ? <time dateTime={e.at}>{formatTime(e.at)}{e.actor ? ` · ${e.actor}` : ''}</time> : null}
          </li>
        );
      })}
      {todo.map((s) => (
        <li key={s} className="is-todo">
          {statusLabel(s)}
          <span className="visually-hidden"> (not yet)</span>
        </li>
      ))}
    </ol>
  );
}
