/**
 * Releasing a silent driver's assignment (docs/decisions/0079): the city
 * shard heard nothing from the assigned driver (no fix, message or step) for
 * its release time before pickup, and asks for the order back so it can offer
 * it again. One transaction: the driver and payout cleared, `dispatch_state`
 * back to `unassigned`, and the `order.dispatch_changed` event with reason
 * `driver_unresponsive` (its seq and snapshot), only while that driver holds
 * the order and has not picked it up. Then announced like any change (feed,
 * relay to the shard's watchers).
 *
 * Answers: `released`; `duplicate` when the driver no longer holds an order
 * that is still open (a repeated call: nothing written, the shard goes on);
 * `refused` when the driver picked it up meanwhile or the order ended (the
 * shard keeps the driver; the relay of that event brings the rest).
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { Database } from '../../../../db/client';
import { orders, type Order } from '../../../../db/schema/index';
import type { ReleaseRequest } from '../../../../durable-objects/city-shard/assignment-commits';
import { log } from '../../../../domain/log';
import { ASSIGNABLE_STATUSES, isTerminal } from '../../../../domain/order';
import type { OutboxEvent } from '../../outbox';
import { appendOrderEvent, nextSeq } from '../timeline';
import { announce, type CommandContext } from './context';

export type { ReleaseRequest };

export type ReleaseOutcome =
  | { kind: 'released'; order: Order; events: OutboxEvent[] }
  | { kind: 'duplicate'; order: Order }
  | { kind: 'refused'; order: Order | undefined; reason: string };

export async function commitRelease(db: Database, r: ReleaseRequest): Promise<ReleaseOutcome> {
  return db.transaction(async (tx) => {
    const [released] = await tx
      .update(orders)
      .set({ driverId: null, driverPayoutCents: null, dispatchState: 'unassigned', ...nextSeq(), updatedAt: new Date() })
      .where(and(eq(orders.id, r.orderId), eq(orders.driverId, r.driverId), eq(orders.dispatchState, 'assigned'), inArray(orders.status, ASSIGNABLE_STATUSES)))
      .returning();
    if (!released) {
      const [current] = await tx.select().from(orders).where(eq(orders.id, r.orderId));
      if (!current) return { kind: 'refused' as const, order: undefined, reason: 'no such order' };
      if (current.driverId === r.driverId) return { kind: 'refused' as const, order: current, reason: `order is ${current.status} (dispatch ${current.dispatchState})` };
      if (isTerminal(current.status)) return { kind: 'refused' as const, order: current, reason: `order is ${current.status}` };
      return { kind: 'duplicate' as const, order: current };
    }
    const event = await appendOrderEvent(tx, { type: 'order.dispatch_changed', order: released, previous: released.status, actor: { type: 'system', id: null }, reason: r.reason, at: new Date() });
    return { kind: 'released' as const, order: released, events: [event] };
  });
}

export async function releaseDriver(cx: CommandContext, request: ReleaseRequest): Promise<ReleaseOutcome> {
  const outcome = await commitRelease(cx.db, request);
  if (outcome.kind === 'released') {
    announce(cx, outcome.order, outcome.events);
    log.warn('driver released from an order: not heard from', { orderId: request.orderId, driverId: request.driverId, reason: request.reason });
  }
  return outcome;
}
