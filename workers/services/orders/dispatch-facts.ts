/**
 * Applies the city shard's dispatch facts to Postgres (the seam of
 * docs/decisions/0035): the shard decides offers and assignments on its own
 * thread and announces them through the EVENTS queue; here each fact becomes
 * one transaction. Delivery is at least once and may be out of order, so each
 * write is idempotent and conditional:
 * - `dispatch.offered` / `dispatch.offer_resolved` upsert `dispatch_offers`
 *   (the durable decision log) and move `dispatch_state` to `offered`;
 * - `dispatch.accepted` assigns the driver, with its status event and the
 *   `order.assigned` outbox row, only while the order is still open and has no
 *   driver; if it cannot be assigned any more (cancelled meanwhile), the shard
 *   is told to drop the job, which frees the driver;
 * - `dispatch.unassigned` puts the order back to `unassigned` for operators.
 */
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { pgErrorCode, type Database } from '../../../db/client';
import { dispatchOffers, orders, orderStatusEvents, type Order } from '../../../db/schema/index';
import type { AssignmentRequest } from '../../../durable-objects/city-shard/assignment-commits';
import type { DispatchFact } from '../../../durable-objects/city-shard/events';
import { ASSIGNABLE_STATUSES, isTerminal, type DispatchState } from '../../../domain/order';
import type { OutboxEvent } from '../outbox';
import { appendOrderEvent, nextSeq, type Tx } from './timeline';
import { parseShardKey } from '../../../domain/shard-keys';

/** What happens outside Postgres once a fact is committed. */
export interface DispatchFactEffects {
  afterCommit(merchantId: string, events: readonly OutboxEvent[], order: Order): Promise<void>;
  cancelDispatch(order: Order, reason: string): Promise<void>;
}

/** What the shard asks to commit (durable-objects/city-shard/assignment-commits.ts). */
export type { AssignmentRequest };

export type AssignmentOutcome =
  | { kind: 'assigned'; order: Order; events: OutboxEvent[] }
  /** Already assigned to this driver (a repeated commit): nothing written. */
  | { kind: 'duplicate'; order: Order }
  /** The order cannot take this driver (ended, or another driver has it). */
  | { kind: 'refused'; order: Order | undefined; reason: string };

/**
 * Commits an assignment: the driver, `dispatch_state = assigned`, the payout,
 * and the `order.assigned` event with its seq and snapshot, in one
 * transaction, only while the order is open and has no driver. Idempotent:
 * the same driver again is `duplicate`. The shard calls this before it tells
 * the driver (docs/decisions/0075), and the queue's `dispatch.accepted` fact
 * repeats it as a backstop.
 */
export async function commitAssignment(db: Database, a: AssignmentRequest): Promise<AssignmentOutcome> {
  return db.transaction(async (tx) => {
    const [assigned] = await tx
      .update(orders)
      .set({ driverId: a.driverId, dispatchState: 'assigned', driverPayoutCents: a.payoutCents, ...nextSeq(), updatedAt: new Date() })
      .where(and(eq(orders.id, a.orderId), isNull(orders.driverId), inArray(orders.status, ASSIGNABLE_STATUSES), notReleasedBefore(a.driverId)))
      .returning();
    if (!assigned) {
      const [current] = await tx.select().from(orders).where(eq(orders.id, a.orderId));
      if (current && current.driverId === a.driverId) return { kind: 'duplicate' as const, order: current };
      const reason = !current ? 'no such order' : current.driverId ? `order is ${current.status} with another driver` : isTerminal(current.status) ? `order is ${current.status}` : 'the driver was released from this order';
      return { kind: 'refused' as const, order: current, reason };
    }
    const event = await appendOrderEvent(tx, { type: 'order.assigned', order: assigned, previous: assigned.status, actor: { type: 'driver', id: a.driverId }, at: new Date() });
    return { kind: 'assigned' as const, order: assigned, events: [event] };
  });
}

/**
 * A driver who held the order once and holds it no more was released from
 * it (ADR 0079): a late acceptance of theirs (the queue's backstop fact) must
 * not give it back to them. Assignments are the only events with a driver as
 * actor and `order.assigned` as type.
 */
const notReleasedBefore = (driverId: string) =>
  sql`not exists (select 1 from ${orderStatusEvents} e where e.order_id = ${orders.id} and e.type = 'order.assigned' and e.actor_type = 'driver' and e.actor_id = ${driverId})`;

/** `offered` ⇄ `unassigned` while no driver is assigned: an event like any other change. */
async function moveDispatch(tx: Tx, orderId: string, to: DispatchState, from: DispatchState[], reason: string | null): Promise<{ order: Order; event: OutboxEvent } | null> {
  const [order] = await tx
    .update(orders)
    .set({ dispatchState: to, ...nextSeq(), updatedAt: new Date() })
    .where(and(eq(orders.id, orderId), inArray(orders.dispatchState, from), isNull(orders.driverId), inArray(orders.status, ASSIGNABLE_STATUSES)))
    .returning();
  if (!order) return null;
  return { order, event: await appendOrderEvent(tx, { type: 'order.dispatch_changed', order, previous: order.status, actor: { type: 'system', id: null }, reason, at: new Date() }) };
}

/**
 * The order's city for its offer rows: named by the deciding shard's own key
 * (a shard only dispatches orders of its city, domain/shard-keys.ts), so no
 * read; a key that is not a shard key (a test's, an older fact's) reads it.
 * Null: an order this database does not know.
 */
async function cityOfFact(db: Database, fact: DispatchFact): Promise<string | null> {
  const fromKey = parseShardKey(fact.shardKey)?.cityId;
  if (fromKey) return fromKey;
  const [order] = await db.select({ cityId: orders.cityId }).from(orders).where(eq(orders.id, fact.orderId));
  return order?.cityId ?? null;
}

/** 23503 from the offer's foreign key: the order is not in this database (nothing to record). */
async function unlessUnknownOrder<T>(write: Promise<T>): Promise<T | null> {
  try {
    return await write;
  } catch (error) {
    if (pgErrorCode(error).code === '23503') return null;
    throw error;
  }
}

export async function applyDispatchFact(db: Database, fact: DispatchFact, effects?: DispatchFactEffects): Promise<void> {
  switch (fact.type) {
    case 'dispatch.offered': {
      const cityId = await cityOfFact(db, fact);
      if (!cityId) return; // an order this database does not know: nothing to record
      const order = { cityId };
      const moved = await unlessUnknownOrder(db.transaction(async (tx) => {
        await tx
          .insert(dispatchOffers)
          .values({
            id: fact.offerId,
            orderId: fact.orderId,
            cityId: order.cityId,
            driverId: fact.driverId,
            round: fact.round,
            // The decision details are for the log: a fact without them (an older shard) still records the offer.
            candidates: (fact.candidates ?? []).map((c) => ({ driverId: c.driverId, distanceM: c.distanceM, etaSeconds: c.etaSeconds, score: c.score, ...(c.shardKey ? { shardKey: c.shardKey } : {}) })),
            reason: fact.reason ?? null,
            score: fact.score ?? null,
            distanceM: typeof fact.distanceM === 'number' ? Math.round(fact.distanceM) : null,
            etaSeconds: typeof fact.etaSeconds === 'number' ? Math.round(fact.etaSeconds) : null,
            payoutCents: fact.payoutCents,
            offeredAt: new Date(fact.at),
            expiresAt: new Date(fact.expiresAt),
          })
          // Details of an offer first recorded by its (earlier-delivered) resolution.
          .onConflictDoUpdate({
            target: dispatchOffers.id,
            set: { candidates: sql`excluded.candidates`, reason: sql`excluded.reason`, score: sql`excluded.score`, distanceM: sql`excluded.distance_m`, etaSeconds: sql`excluded.eta_seconds`, payoutCents: sql`excluded.payout_cents`, round: sql`excluded.round` },
          });
        return moveDispatch(tx, fact.orderId, 'offered', ['unassigned'], null);
      }));
      if (moved) await effects?.afterCommit(moved.order.merchantId, [moved.event], moved.order);
      return;
    }
    case 'dispatch.offer_resolved': {
      const cityId = await cityOfFact(db, fact);
      if (!cityId) return;
      const at = new Date(fact.at);
      await unlessUnknownOrder(
        db
          .insert(dispatchOffers)
          .values({ id: fact.offerId, orderId: fact.orderId, cityId, driverId: fact.driverId, status: fact.status, outcomeReason: fact.outcomeReason, offeredAt: at, expiresAt: at, resolvedAt: at })
          .onConflictDoUpdate({ target: dispatchOffers.id, set: { status: fact.status, outcomeReason: fact.outcomeReason, resolvedAt: at } })
          .then(() => undefined),
      );
      return;
    }
    case 'dispatch.accepted': {
      // The queue's backstop of the shard's own commit (ADR 0075), which has almost always landed:
      // one plain read says so, where the commit's transaction would take four statements to find it.
      const [now] = await db.select({ driverId: orders.driverId }).from(orders).where(eq(orders.id, fact.orderId));
      if (now && now.driverId === fact.driverId) return;
      const outcome = await commitAssignment(db, fact);
      if (outcome.kind === 'assigned') await effects?.afterCommit(outcome.order.merchantId, outcome.events, outcome.order);
      // Only an order that ended drops its dispatch: one still open is being dispatched (another driver, or offered again).
      else if (outcome.kind === 'refused' && outcome.order && isTerminal(outcome.order.status)) await effects?.cancelDispatch(outcome.order, outcome.reason);
      return;
    }
    case 'dispatch.unassigned': {
      const moved = await db.transaction((tx) => moveDispatch(tx, fact.orderId, 'unassigned', ['offered'], fact.reason));
      if (moved) await effects?.afterCommit(moved.order.merchantId, [moved.event], moved.order);
      return;
    }
    default: {
      const unknown: never = fact;
      throw new Error(`unknown dispatch fact ${(unknown as { type: string }).type}`);
    }
  }
}

