/**
 * Escalating an order its merchant has not accepted in time: the status stays
 * `placed` (not a step of the state machine), the order gets `escalated_at`
 * and the `order.escalated` event with its seq (timeline.ts, the one writer
 * of order history), which tells the merchant again on every channel and
 * shows operators the order (services/orders/unaccepted.ts). Once per order:
 * the UPDATE matches only a placed order not escalated yet, so a repeat, a
 * concurrent sweep or a merchant who accepted meanwhile writes nothing.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { orders, type Order } from '../../../../db/schema/index';
import { MERCHANT_UNRESPONSIVE } from '../../../../domain/order';
import type { OutboxEvent } from '../../outbox';
import { appendOrderEvent, nextSeq } from '../timeline';
import { announce, type CommandContext } from './context';

export type EscalationOutcome = { kind: 'escalated'; order: Order; events: OutboxEvent[] } | { kind: 'unchanged' };

export async function escalateOrder(cx: CommandContext, input: { orderId: string }): Promise<EscalationOutcome> {
  const at = new Date();
  const committed = await cx.db.transaction(async (tx) => {
    const [order] = await tx
      .update(orders)
      .set({ escalatedAt: at, updatedAt: at, ...nextSeq() })
      .where(and(eq(orders.id, input.orderId), eq(orders.status, 'placed'), isNull(orders.escalatedAt)))
      .returning();
    if (!order) return null;
    const event = await appendOrderEvent(tx, { type: 'order.escalated', order, previous: 'placed', actor: { type: 'system', id: null }, reason: MERCHANT_UNRESPONSIVE, at });
    return { order, events: [event] };
  });
  if (!committed) return { kind: 'unchanged' };
  announce(cx, committed.order, committed.events);
  return { kind: 'escalated', ...committed };
}
