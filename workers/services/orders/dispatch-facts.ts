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
import type { Database } from '../../../db/client';
import { newId } from '../../../db/ids';
import { dispatchOffers, orders, orderStatusEvents, type Order } from '../../../db/schema/index';
import type { DispatchFact } from '../../../durable-objects/city-shard/events';
import { outboxEvent, writeOutbox, type OutboxEvent } from '../outbox';
import { orderEventPayload } from './transitions';

/** What happens outside Postgres once a fact is committed. */
export interface DispatchFactEffects {
  afterCommit(merchantId: string, events: readonly OutboxEvent[], order: Order): Promise<void>;
  cancelDispatch(order: Order, reason: string): Promise<void>;
}

const ASSIGNABLE = ['preparing', 'ready'] as const;

export async function applyDispatchFact(db: Database, fact: DispatchFact, effects?: DispatchFactEffects): Promise<void> {
  switch (fact.type) {
    case 'dispatch.offered': {
      const [order] = await db.select({ cityId: orders.cityId }).from(orders).where(eq(orders.id, fact.orderId));
      if (!order) return; // an order this database does not know: nothing to record
      await db.transaction(async (tx) => {
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
        await tx
          .update(orders)
          .set({ dispatchState: 'offered', updatedAt: new Date() })
          .where(and(eq(orders.id, fact.orderId), eq(orders.dispatchState, 'unassigned'), inArray(orders.status, ASSIGNABLE)));
      });
      return;
    }
    case 'dispatch.offer_resolved': {
      const [order] = await db.select({ cityId: orders.cityId }).from(orders).where(eq(orders.id, fact.orderId));
      if (!order) return;
      const at = new Date(fact.at);
      await db
        .insert(dispatchOffers)
        .values({ id: fact.offerId, orderId: fact.orderId, cityId: order.cityId, driverId: fact.driverId, status: fact.status, outcomeReason: fact.outcomeReason, offeredAt: at, expiresAt: at, resolvedAt: at })
        .onConflictDoUpdate({ target: dispatchOffers.id, set: { status: fact.status, outcomeReason: fact.outcomeReason, resolvedAt: at } });
      return;
    }
    case 'dispatch.accepted': {
      const at = new Date(fact.at);
      const outcome = await db.transaction(async (tx) => {
        const [assigned] = await tx
          .update(orders)
          .set({ driverId: fact.driverId, dispatchState: 'assigned', driverPayoutCents: fact.payoutCents, version: sql`${orders.version} + 1`, updatedAt: at })
          .where(and(eq(orders.id, fact.orderId), isNull(orders.driverId), inArray(orders.status, ASSIGNABLE)))
          .returning();
        if (!assigned) {
          const [current] = await tx.select().from(orders).where(eq(orders.id, fact.orderId));
          return { kind: current && current.driverId === fact.driverId ? ('duplicate' as const) : ('refused' as const), order: current };
        }
        const actor = { type: 'driver' as const, id: fact.driverId };
        await tx.insert(orderStatusEvents).values({ id: newId('evt'), orderId: assigned.id, status: assigned.status, dispatchState: 'assigned', actorType: 'driver', actorId: fact.driverId, at });
        const events = [outboxEvent('order.assigned', { type: 'order', id: assigned.id }, orderEventPayload(assigned, assigned.status, actor), at)];
        await writeOutbox(tx, events);
        return { kind: 'assigned' as const, order: assigned, events };
      });
      if (outcome.kind === 'assigned') await effects?.afterCommit(outcome.order.merchantId, outcome.events, outcome.order);
      else if (outcome.kind === 'refused' && outcome.order) {
        await effects?.cancelDispatch(outcome.order, `order is ${outcome.order.status}${outcome.order.driverId ? ' with another driver' : ''}`);
      }
      return;
    }
    case 'dispatch.unassigned':
      await db
        .update(orders)
        .set({ dispatchState: 'unassigned', updatedAt: new Date() })
        .where(and(eq(orders.id, fact.orderId), inArray(orders.dispatchState, ['offered', 'unassigned']), inArray(orders.status, ASSIGNABLE)));
      return;
    default: {
      const unknown: never = fact;
      throw new Error(`unknown dispatch fact ${(unknown as { type: string }).type}`);
    }
  }
}
