import { clockText, describeWindow } from '../../../../domain/scheduling';
import type { Order } from './types';

/**
 * A scheduled order's window, the same line in every app (ADR 0108):
 * "Scheduled for Fri 4 Dec, 19:00–19:30", and while the order is held, when
 * it goes to the shop; once released, that it has. Nothing for an order
 * delivered as soon as possible.
 */
export function ScheduledFor({ order, compact = false }: { order: Pick<Order, 'scheduledFor' | 'status'>; compact?: boolean }) {
  const s = order.scheduledFor;
  if (!s) return null;
  const held = s.releasedAt === null && (order.status === 'placed' || order.status === 'pending_payment');
  const open = order.status === 'placed' || order.status === 'pending_payment' || order.status === 'preparing' || order.status === 'ready';
  return (
    <p className={compact ? 'order-card__meta' : 'notice'} data-testid="scheduled-for" data-held={held ? 'true' : 'false'}>
      <span className="badge">{describeWindow(s)}</span>
      {!open ? null : held ? ` · goes to the shop at ${clockText(s.releaseAt)}` : s.releasedAt ? ` · with the shop since ${clockText(s.releasedAt)}` : null}
    </p>
  );
}

/** Held: placed and paid, but not yet the shop's to accept. */
export const isHeldOrder = (order: Pick<Order, 'scheduledFor' | 'status'>): boolean => order.status === 'placed' && !!order.scheduledFor && order.scheduledFor.releasedAt === null;
