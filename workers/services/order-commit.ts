/**
 * What follows every committed order change, in one place so no route forgets
 * a part: the merchant's live feed, the events sent to the queue by the
 * writer itself (outbox-relay.ts `publishCommitted`; the relays are the
 * backstop), and the city shard that dispatches the order (its watchers see
 * the status; a terminal status frees the driver). All of it after the
 * response (waitUntil); each part is best effort because the outbox row,
 * committed with the change, is the durable record.
 */
import type { Order } from '../../db/schema/index';
import type { Database } from '../../db/client';
import type { OutboxEvent } from './outbox';
import { publishCommitted } from './outbox-relay';
import { publishToMerchantFeed } from './merchant-feed';
import { loadCityGeometry, publishOrderStatus, shardOrderOf } from './city-shard-client';
import { log } from '../../domain/log';

type Ctx = { waitUntil(promise: Promise<unknown>): void };

/** `db` is the writer's client (not a transaction): the events' publish marks them with it. */
export function afterOrderCommit(env: Env, ctx: Ctx, db: Database, merchantId: string, events: readonly OutboxEvent[], order?: Order): void {
  ctx.waitUntil(publishToMerchantFeed(env, merchantId, events));
  publishCommitted(env, ctx, db, events);
  // Watchers of the order listen on its shard from the start; unpaid orders have nothing to show.
  if (order && order.status !== 'pending_payment') {
    ctx.waitUntil(tellShard(env, db, order, events).catch((error: unknown) => {
      log.warn('city shard not told of a status change', { orderId: order.id, error });
    }));
  }
}

async function tellShard(env: Env, db: Database, order: Order, events: readonly OutboxEvent[]): Promise<void> {
  const city = await loadCityGeometry(db, order.cityId);
  if (!city) return;
  // The assigned driver's own step: the shard counts it as hearing from them (ADR 0079).
  const byDriver = order.driverId !== null && events.some((e) => (e.payload.actor as { type?: unknown; id?: unknown } | undefined)?.id === order.driverId);
  await publishOrderStatus(env, city, shardOrderOf(order), order.status, order.dispatchState, { seq: order.seq, at: order.updatedAt, ...(byDriver ? { driverId: order.driverId! } : {}) });
}
