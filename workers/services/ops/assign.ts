/**
 * An operator gives an order to a chosen driver, or takes it from one driver
 * and gives it to another (docs/decisions/0112). Order of work, as for every
 * assignment (ADR 0075, nothing told before the commit):
 *
 * 1. the order's city shard is asked whether it can (the driver is known
 *    there and free, the order is not picked up); an order the shard does
 *    not know yet is dispatched first (idempotent);
 * 2. one transaction: the order's driver, payout and `dispatch_state`, the
 *    `order.assigned` event with the operator as actor and the reason (the
 *    timeline's one writer), and the audit row with before/after;
 * 3. the commit is announced like any (feed, relay, watchers), and the shard
 *    is told: the previous driver's app drops the order, the chosen driver's
 *    app gets `assignment`.
 */
import { and, eq, inArray, isNull } from 'drizzle-orm';
import { drivers, orders, type Order } from '../../../db/schema/index';
import { ASSIGNABLE_STATUSES } from '../../../domain/order';
import type { OperatorAssignResult } from '../../../durable-objects/city-shard/operator';
import { problems } from '../../problem';
import { recordAudit, type AuditContext } from '../audit';
import { defaultPayoutCents, dispatchOrder, loadCityGeometry, shardAt, shardOrderOf } from '../city-shard-client';
import { shopOf } from '../dispatch-client';
import { announce, type CommandContext } from '../orders/commands/context';
import { loadOrder } from '../orders/repository';
import { appendOrderEvent, nextSeq } from '../orders/timeline';

export interface OperatorAssignInput {
  orderId: string;
  driverId: string;
  reason: string;
  audit: AuditContext;
}

export interface OperatorAssignOutcome {
  order: Order;
  previousDriverId: string | null;
  /** The chosen driver already had the order: nothing written. */
  unchanged: boolean;
  /** What the shard did with the committed change (null: it could not be told; the order's relay and the driver's next connect catch up). */
  shard: OperatorAssignResult | null;
}

const REASONS: Record<Exclude<OperatorAssignResult, { ok: true }>['reason'], string> = {
  unknown_order: 'the order is not being dispatched',
  order_ended: 'the order’s dispatch has ended',
  picked_up: 'the order is picked up already',
  unknown_driver: 'the driver is not online in the order’s area (no live connection yet)',
  driver_busy: 'the driver holds another order',
  remote_driver: 'the order’s driver belongs to a neighbouring shard; reassign after they are released',
};

export async function operatorAssign(cx: CommandContext, input: OperatorAssignInput): Promise<OperatorAssignOutcome> {
  const order = await loadOrder(cx.db, input.orderId);
  if (!order) throw problems.notFound('No such order.');
  if (!(ASSIGNABLE_STATUSES as readonly string[]).includes(order.status) || order.dispatchState === 'picked_up' || order.dispatchState === 'dropped_off') {
    throw problems.conflict('illegal-transition', `An order that is ${order.status} (dispatch ${order.dispatchState}) cannot be assigned.`, { currentStatus: order.status, currentDispatch: order.dispatchState });
  }
  const [driver] = await cx.db.select({ id: drivers.id, cityId: drivers.cityId, active: drivers.active }).from(drivers).where(eq(drivers.id, input.driverId));
  if (!driver || driver.cityId !== order.cityId) throw problems.validation([{ path: 'driverId', message: 'No such driver in the order’s city.' }]);
  if (!driver.active) throw problems.conflict('driver-unavailable', 'The driver is deactivated.', { reason: 'inactive' });
  if (order.driverId === input.driverId) return { order, previousDriverId: order.driverId, unchanged: true, shard: null };

  const city = await loadCityGeometry(cx.db, order.cityId);
  if (!city) throw problems.internal();
  const shard = shardAt(cx.env, city, { lat: order.pickupLat, lng: order.pickupLng });
  let check = await shard.operatorCheck(order.id, input.driverId);
  if (!check.ok && check.reason === 'unknown_order') {
    const shop = await shopOf(cx.db, order.merchantId);
    await dispatchOrder(cx.env, city, { ...shardOrderOf(order), orderStatus: order.status, ...(shop ? { shop } : {}) });
    check = await shard.operatorCheck(order.id, input.driverId);
  }
  if (!check.ok) throw problems.conflict('driver-unavailable', `The order cannot be given to this driver now: ${REASONS[check.reason]}.`, { reason: check.reason });

  const payoutCents = defaultPayoutCents({ lat: order.pickupLat, lng: order.pickupLng }, { lat: order.dropoffLat, lng: order.dropoffLng });
  const committed = await cx.db.transaction(async (tx) => {
    const [assigned] = await tx
      .update(orders)
      .set({ driverId: input.driverId, dispatchState: 'assigned', driverPayoutCents: payoutCents, ...nextSeq(), updatedAt: new Date() })
      .where(
        and(
          eq(orders.id, order.id),
          inArray(orders.status, ASSIGNABLE_STATUSES),
          inArray(orders.dispatchState, ['unassigned', 'offered', 'assigned']),
          // The driver as read: a change meanwhile (an acceptance, a release) is decided again by the operator.
          order.driverId ? eq(orders.driverId, order.driverId) : isNull(orders.driverId),
        ),
      )
      .returning();
    if (!assigned) return null;
    const event = await appendOrderEvent(tx, { type: 'order.assigned', order: assigned, previous: assigned.status, actor: input.audit.actor, reason: input.reason, at: new Date() });
    await recordAudit(tx, {
      ...input.audit,
      action: order.driverId ? 'order.reassign' : 'order.assign',
      target: { type: 'order', id: order.id },
      metadata: {
        reason: input.reason,
        before: { driverId: order.driverId, dispatch: order.dispatchState, payoutCents: order.driverPayoutCents },
        after: { driverId: input.driverId, dispatch: 'assigned', payoutCents },
      },
    });
    return { assigned, event };
  });
  if (!committed) throw problems.conflict('concurrent-update', 'The order changed while it was being assigned; read it again and retry.');
  announce(cx, committed.assigned, [committed.event]);
  // Committed already: a shard that cannot be told now is caught up by the relay and the drivers' next connect.
  const applied: OperatorAssignResult | null = await shard
    .operatorAssigned({ orderId: order.id, driverId: input.driverId, at: committed.assigned.updatedAt.toISOString() })
    .catch(() => null);
  return { order: committed.assigned, previousDriverId: order.driverId, unchanged: false, shard: applied };
}
