/**
 * Releasing a scheduled order to its merchant (ADR 0108): the status stays
 * `placed`; the order gets `released_at` and the `order.released` event with
 * its seq (timeline.ts), which puts it on the merchant's board as an order
 * to accept now (feed, webhook-free) and tells the customer. Once per
 * order: the UPDATE matches only a placed, held order whose release time has
 * come, so a repeat, a concurrent sweep, or an order cancelled meanwhile
 * writes nothing.
 */
import { and, eq, isNotNull, isNull, lte } from 'drizzle-orm';
import { orders, type Order } from '../../../../db/schema/index';
import type { OutboxEvent } from '../../outbox';
import { appendOrderEvent, nextSeq } from '../timeline';
import { announce, type CommandContext } from './context';

export type ScheduledReleaseOutcome = { kind: 'released'; order: Order; events: OutboxEvent[] } | { kind: 'unchanged' };

/** `now` decides whether the release time has come (a test moves it); the stamps are the wall clock's, as the outbox relays by them. */
export async function releaseScheduledOrder(cx: CommandContext, input: { orderId: string; now?: Date }): Promise<ScheduledReleaseOutcome> {
  const at = new Date();
  const due = input.now ?? at;
  const committed = await cx.db.transaction(async (tx) => {
    const [order] = await tx
      .update(orders)
      // The merchant's deadlines (ADR 0080) count from the release, not from the payment days before.
      .set({ releasedAt: at, updatedAt: at, ...nextSeq() })
      .where(and(eq(orders.id, input.orderId), eq(orders.status, 'placed'), isNotNull(orders.releaseAt), isNull(orders.releasedAt), lte(orders.releaseAt, due)))
      .returning();
    if (!order) return null;
    const event = await appendOrderEvent(tx, { type: 'order.released', order, previous: 'placed', actor: { type: 'system', id: null }, at });
    return { order, events: [event] };
  });
  if (!committed) return { kind: 'unchanged' };
  announce(cx, committed.order, committed.events);
  return { kind: 'released', ...committed };
}
