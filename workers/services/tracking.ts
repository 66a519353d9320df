/**
 * An order's tracking view: its status, the driver's first name, vehicle and
 * live position, and the ETA. The live part comes from the city shard that
 * dispatches the order; the rest from Postgres. The same view serves the
 * order's parties (GET /v1/orders/{id}/tracking) and anyone holding the
 * unguessable link (GET /v1/track/{token}), so it carries no personal data
 * beyond the driver's first name.
 */
import type { DispatchState, OrderStatus } from '../../domain/order';
import { and, eq, isNull, or } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { orders } from '../../db/schema/index';
import { loadCityGeometry, orderTracking, shardOrderOf } from './city-shard-client';
import { loadOrderDetail } from './orders/repository';
import type { OrderDetail } from './orders/view';
import { hashTrackingToken, openTrackingToken, trackingUrl } from './orders/codes';
import { dataKeys } from './secrets/data-keys';

export interface TrackingAnswer {
  /** The human order number: the one in the customer's SMS and email (nothing personal). */
  number: string;
  /** The seq of the order's latest event (ADR 0075). */
  seq: number;
  status: OrderStatus;
  dispatch: DispatchState;
  driver?: { name: string | null; vehicle: string; location: { lat: number; lng: number } | null; heading: number | null; updatedAt: string | null };
  eta?: number;
  trackingUrl: string;
}

const firstName = (name: string | null) => (name ? (name.trim().split(/\s+/)[0] ?? null) : null);

export async function trackingOf(env: Env, db: Database, detail: OrderDetail): Promise<TrackingAnswer> {
  const { order } = detail;
  let live: Awaited<ReturnType<typeof orderTracking>> = null;
  if (order.driverId) {
    const city = await loadCityGeometry(db, order.cityId);
    live = city
      ? await orderTracking(env, city, shardOrderOf(order)).catch(() => null)
      : null;
  }
  const driver = detail.driver
    ? {
        name: firstName(detail.driver.name),
        vehicle: live?.driver?.vehicle ?? detail.driver.vehicle,
        location: live?.driver?.location ?? null,
        heading: live?.driver?.heading ?? null,
        updatedAt: live?.driver?.updatedAt ?? null,
      }
    : undefined;
  return {
    number: order.number,
    seq: order.seq,
    status: order.status,
    dispatch: order.dispatchState,
    ...(driver ? { driver } : {}),
    ...(typeof live?.etaSeconds === 'number' ? { eta: live.etaSeconds } : {}),
    trackingUrl: trackingUrl(env.PUBLIC_BASE_URL, await openTrackingToken(await dataKeys(env.DATA_ENCRYPTION_KEYS), order)),
  };
}

/**
 * The order behind a tracking link, unless the link has expired (an hour
 * after the order ended). Looked up by the token's SHA-256 (ADR 0083); a row
 * written before the hash existed (an old Worker during a deploy) by its
 * plaintext until the seal sweep has reached it.
 */
export async function orderByTrackingToken(db: Database, token: string, now = new Date()): Promise<OrderDetail | null> {
  const hash = await hashTrackingToken(token);
  const [row] = await db
    .select({ id: orders.id, expiresAt: orders.trackingExpiresAt })
    .from(orders)
    .where(or(eq(orders.trackingTokenHash, hash), and(isNull(orders.trackingTokenHash), eq(orders.trackingToken, token))));
  if (!row || (row.expiresAt && row.expiresAt <= now)) return null;
  return loadOrderDetail(db, row.id);
}
