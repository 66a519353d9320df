/**
 * The queue's backstop for the two calls into the city shard that routes make
 * after their commit, in `waitUntil`, where a failure is only logged:
 * - `startDispatch` when the merchant accepts (routes/order-steps.ts);
 * - `publishOrderStatus` after a change (services/order-commit.ts), whose
 *   terminal statuses free the driver in the shard.
 * If one of those calls is lost (an isolate recycled, a shard briefly
 * unreachable), the order would never be offered, or its driver would stay
 * busy for ever. The outbox row of the same change reaches the EVENTS queue
 * at least once, and this handler repeats the call from what Postgres says
 * now. Both calls are idempotent in the shard (a known order keeps its one
 * offer loop; a job that has ended ignores another terminal status), so the
 * normal path and the backstop may both land.
 */
import { eq } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { orders, type Order } from '../../../db/schema/index';
import { dispatchTermsOf } from '../dispatch-terms';
import { dispatchOrder, loadCityGeometry, orderStatusUpdate, publishOrderStatus, shardKeyOf, shardOrderOf, type OrderStatusUpdate, type ShardEnv } from '../city-shard-client';
import { orderIdOf, type EventEnvelope } from '../events/envelope';
import { shopOf } from '../dispatch-client';
import { ASSIGNABLE_STATUSES, type OrderStatus } from '../../../domain/order';

/** Statuses in which the shard may assign a driver (domain/order.ts). */
const DISPATCHABLE: ReadonlySet<OrderStatus> = new Set(ASSIGNABLE_STATUSES);

export type BackstopAction = 'dispatch' | 'status' | 'none';

/**
 * Where the status call goes when the caller sends a batch's at once (the
 * consumer: one call per shard per queue batch, `publishOrderStatuses`);
 * absent, it is made here and now.
 */
export type StatusSink = (shardKey: string, update: OrderStatusUpdate) => void;

/** What the backstop reads of the order. */
type BackstopColumns = 'id' | 'cityId' | 'status' | 'dispatchState' | 'seq' | 'updatedAt' | 'pickupLat' | 'pickupLng' | 'dropoffLat' | 'dropoffLng' | 'driverPayoutCents' | 'merchantId';

/**
 * Every order event (except the unpaid creation) is repeated to the shard
 * from the row as it is now: its watchers catch up to the latest seq after a
 * lost relay (the shard ignores a seq it has), and a terminal status frees the
 * driver. `order.preparing` also repeats the dispatch call. `orderNow`: the
 * order as Postgres has it now, when the caller reads it anyway (the consumer
 * shares one read per message with the notifications); absent, it is read here.
 * `statuses`: where the status call goes instead of being made now (above).
 */
export async function shardBackstop(
  env: ShardEnv,
  db: Database,
  event: EventEnvelope,
  orderNow?: (orderId: string) => Promise<Pick<Order, BackstopColumns> | undefined>,
  statuses?: StatusSink,
): Promise<BackstopAction> {
  const [aggregate, eventStatus] = event.type.split('.', 2) as [string, OrderStatus | undefined];
  const wanted = aggregate !== 'order' || !eventStatus || event.type === 'order.created' ? null : eventStatus === 'preparing' ? 'dispatch' : 'status';
  if (!wanted) return 'none';
  const orderId = orderIdOf(event);
  if (!orderId) return 'none';
  const o = orderNow
    ? await orderNow(orderId)
    : (
        await db
          .select({ id: orders.id, cityId: orders.cityId, status: orders.status, dispatchState: orders.dispatchState, seq: orders.seq, updatedAt: orders.updatedAt, pickupLat: orders.pickupLat, pickupLng: orders.pickupLng, dropoffLat: orders.dropoffLat, dropoffLng: orders.dropoffLng, driverPayoutCents: orders.driverPayoutCents, merchantId: orders.merchantId })
          .from(orders)
          .where(eq(orders.id, orderId))
      )[0];
  if (!o) return 'none';
  const city = await loadCityGeometry(db, o.cityId);
  if (!city) return 'none';
  const shardOrder = shardOrderOf(o);
  // From what Postgres says now, not from the event: a late event must not revive an order.
  const redispatch = wanted === 'dispatch' && DISPATCHABLE.has(o.status) && (o.dispatchState === 'unassigned' || o.dispatchState === 'offered');
  const [shop, terms] = redispatch ? await Promise.all([shopOf(db, o.merchantId), dispatchTermsOf(db, o.id)]) : [null, null];
  if (redispatch) await dispatchOrder(env, city, { ...shardOrder, ...(o.driverPayoutCents ? { payoutCents: o.driverPayoutCents } : {}), ...(shop ? { shop } : {}), ...(terms ?? {}) });
  if (o.status === 'pending_payment') return 'none';
  if (statuses) statuses(shardKeyOf(city, shardOrder), orderStatusUpdate(shardOrder, o.status, o.dispatchState, { seq: o.seq, at: o.updatedAt }));
  else await publishOrderStatus(env, city, shardOrder, o.status, o.dispatchState, { seq: o.seq, at: o.updatedAt });
  return redispatch ? 'dispatch' : 'status';
}
