/**
 * The Worker's side of the city shards: which shard serves a city position
 * (through domain/shard-keys.ts, the one place keys are built) and the RPCs the
 * routes and the orders domain call. No HTTP here.
 *
 * For the orders domain:
 * - `dispatchOrder(env, city, order)` when the merchant accepts (idempotent,
 *   so the `order.preparing` outbox backstop calls it again, ADR 0048); it names the
 *   neighbouring shards whose drivers may serve a pickup near a border;
 * - `publishOrderStatus(env, city, order, status, dispatch)` after every
 *   status change (watchers see it; a terminal status frees the driver);
 * - `cancelOrderDispatch(env, city, order, reason)` when an order is cancelled
 *   or an acceptance cannot be persisted (durable-objects/city-shard/events.ts);
 * - `orderDispatchLog` / `orderTracking` for GET …/dispatch and …/tracking;
 * - `forwardOrderWatcher` for GET (WebSocket) /v1/orders/{id}/live.
 */
import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client';
import type { DispatchTerms } from './dispatch-terms';
import { cities, drivers } from '../../db/schema/index';
import { distanceM } from '../../durable-objects/city-shard/geo';
import { DEFAULT_POLICY, type Vehicle } from '../../durable-objects/city-shard/matching';
import type { DispatchState, OrderStatus } from '../../domain/protocol/city-shard';
import { MAX_NEIGHBOURS, SHARD_HEADERS } from '../../durable-objects/city-shard/rpc';
import { SESSION_HEADERS } from '../../domain/live-sessions';
import { log } from '../../domain/log';
import { forEachLimited, groupedBy } from './concurrency';
import { cityGeometry, neighbourShards, shardFor, shardStub, shardsOfCity, type CityGeometry, type LatLng } from '../../domain/shard-keys';

const CITY_CACHE_MS = 5 * 60_000;
/** The columns of a city's geometry, as `cityGeometry` reads them. */
const GEOMETRY = { id: cities.id, lat: cities.centerLat, lng: cities.centerLng, radius: cities.serviceRadiusKm, cellKm: cities.cellKm };
const cityCache = new Map<string, { city: CityGeometry; until: number }>();

/**
 * A city's centre and radius, which place its shards. Cached per isolate for
 * a few minutes (plain data, not an I/O object, so it may outlive a request):
 * cities change rarely, and moving a city's centre is a re-sharding anyway.
 */
export async function loadCityGeometry(db: Database, cityId: string): Promise<CityGeometry | null> {
  const hit = cityCache.get(cityId);
  if (hit && hit.until > Date.now()) return hit.city;
  const [row] = await db
    .select(GEOMETRY)
    .from(cities)
    .where(eq(cities.id, cityId));
  if (!row) return null;
  const city = cityGeometry(row);
  cityCache.set(cityId, { city, until: Date.now() + CITY_CACHE_MS });
  return city;
}

/** One city's geometry (the first by id), uncached: the readiness probe's Postgres query and its shard. */
export async function anyCityGeometry(db: Database): Promise<CityGeometry | null> {
  const [row] = await db
    .select(GEOMETRY)
    .from(cities)
    .orderBy(cities.id)
    .limit(1);
  return row ? cityGeometry(row) : null;
}

export interface DriverProfile {
  driverId: string;
  vehicle: Vehicle;
  active: boolean;
  city: CityGeometry;
}

/** The driver's vehicle and city, for routing its channel and its uploads. */
export async function loadDriverProfile(db: Database, driverId: string): Promise<DriverProfile | null> {
  const [row] = await db
    .select({ id: drivers.id, vehicle: drivers.vehicle, active: drivers.active, cityId: drivers.cityId })
    .from(drivers)
    .where(eq(drivers.id, driverId));
  if (!row) return null;
  const city = await loadCityGeometry(db, row.cityId);
  return city ? { driverId: row.id, vehicle: row.vehicle, active: row.active, city } : null;
}

export type ShardEnv = Pick<Env, 'CITY_SHARD'>;

/** The shard that owns a position of a city. */
export const shardAt = (env: ShardEnv, city: CityGeometry, position: LatLng | null) => shardStub(env, shardFor(city, position));

/** Forwards a driver's WebSocket upgrade, untouched, to the shard of its position (the city centre when unknown). */
export function forwardDriverChannel(
  env: ShardEnv,
  request: Request,
  driver: DriverProfile,
  position: LatLng | null,
  session?: { userId: string; sessionId: string },
): Promise<Response> {
  const headers = new Headers(request.headers);
  headers.delete('Authorization');
  // The web apps' session cookie authenticated the upgrade here; the object never needs it (ADR 0087).
  headers.delete('Cookie');
  headers.set(SHARD_HEADERS.role, 'driver');
  headers.set(SHARD_HEADERS.driverId, driver.driverId);
  headers.set(SHARD_HEADERS.vehicle, driver.vehicle);
  // The shard routes a driver who leaves its cell with the same geometry (handover, ADR 0122).
  headers.set(SHARD_HEADERS.city, JSON.stringify(driver.city));
  // The session that opens it, so its end closes the channel (ADR 0082); never what the client sent.
  headers.delete(SESSION_HEADERS.userId);
  headers.delete(SESSION_HEADERS.sessionId);
  if (session) {
    headers.set(SESSION_HEADERS.userId, session.userId);
    headers.set(SESSION_HEADERS.sessionId, session.sessionId);
  }
  const url = new URL(request.url);
  url.searchParams.delete('access_token');
  return shardAt(env, driver.city, position).fetch(new Request(url, { headers }));
}

export interface ShardOrder {
  id: string;
  pickup: LatLng;
  dropoff: LatLng;
}

/** The part of an order row a shard needs. */
export function shardOrderOf(o: { id: string; pickupLat: number; pickupLng: number; dropoffLat: number; dropoffLng: number }): ShardOrder {
  return { id: o.id, pickup: { lat: o.pickupLat, lng: o.pickupLng }, dropoff: { lat: o.dropoffLat, lng: o.dropoffLng } };
}

/**
 * The one rule of driver pay (ADR 0100): a base plus distance. The shard offers
 * it, the accepted offer's amount is committed to `orders.driver_payout_cents`
 * with the assignment, and that column is what the driver is credited (the
 * driver's order view shows it as `payoutCents`); a redispatch after a release
 * recomputes it from the same rule.
 */
export function defaultPayoutCents(pickup: LatLng, dropoff: LatLng): number {
  return 300 + Math.round((distanceM(pickup, dropoff) / 1000) * 80);
}

/** The farthest the shard searches for a driver: neighbouring cells within it take part (ADR 0060). */
const SEARCH_REACH_M = DEFAULT_POLICY.radiiM[DEFAULT_POLICY.radiiM.length - 1] ?? 0;

/**
 * Dispatches in the shard of the pickup, which owns the order. The keys of
 * the neighbouring shards within its search reach go with it, nearest first:
 * their drivers are ranked with its own. With one cell per city (the default)
 * there are none, and the shard makes no RPC of its own.
 */
export function dispatchOrder(env: ShardEnv, city: CityGeometry, order: ShardOrder & { payoutCents?: number; orderStatus?: OrderStatus; shop?: { name: string; address: string } } & Partial<DispatchTerms>) {
  const neighbours = neighbourShards(city, order.pickup, SEARCH_REACH_M).slice(0, MAX_NEIGHBOURS).map((s) => s.key);
  return shardAt(env, city, order.pickup).dispatch({
    orderId: order.id,
    pickup: order.pickup,
    dropoff: order.dropoff,
    payoutCents: order.payoutCents ?? defaultPayoutCents(order.pickup, order.dropoff),
    orderStatus: order.orderStatus ?? 'preparing',
    ...(order.shop ? { shop: order.shop } : {}),
    ...(neighbours.length > 0 ? { neighbours } : {}),
    ...(order.batching ? { batching: order.batching } : {}),
    ...(order.promisedBy !== undefined ? { promisedBy: order.promisedBy } : {}),
    ...(order.scheduledFor ? { scheduledFor: order.scheduledFor } : {}),
  });
}

/** A committed order event as the shard takes it (its `OrderStatusUpdateSchema`). */
export function orderStatusUpdate(order: ShardOrder, status: OrderStatus, dispatch: DispatchState | null, event?: { seq: number; at: Date; driverId?: string }) {
  return {
    orderId: order.id,
    status,
    dispatch,
    ...(event && event.seq >= 1 ? { seq: event.seq, at: event.at.toISOString() } : {}),
    ...(event?.driverId ? { driverId: event.driverId } : {}),
  };
}

export type OrderStatusUpdate = ReturnType<typeof orderStatusUpdate>;

/** A committed order event for the shard's watchers: `seq` orders them (ADR 0075). */
export function publishOrderStatus(env: ShardEnv, city: CityGeometry, order: ShardOrder, status: OrderStatus, dispatch: DispatchState | null, event?: { seq: number; at: Date; driverId?: string }) {
  return shardAt(env, city, order.pickup).orderStatusChanged(orderStatusUpdate(order, status, dispatch, event));
}

/** The key of the shard that dispatches the order (the one `publishOrderStatus` calls). */
export const shardKeyOf = (city: CityGeometry, order: ShardOrder): string => shardFor(city, order.pickup).key;

/**
 * Status updates for several shards at once, one call per shard (the queue's
 * backstop for a batch). Answers, per update in the order given, whether its
 * shard applied it: false when the shard refused that one or could not be
 * reached at all.
 */
export async function publishOrderStatuses(env: ShardEnv, updates: readonly { shardKey: string; update: OrderStatusUpdate }[]): Promise<boolean[]> {
  const applied = updates.map(() => false);
  const indexes = updates.map((_, i) => i);
  await forEachLimited([...groupedBy(indexes, (i) => updates[i]!.shardKey)], 4, async ([key, group]) => {
    try {
      const answers = await shardStub(env, key).orderStatusesChanged(group.map((i) => updates[i]!.update));
      group.forEach((i, j) => (applied[i] = answers[j] === true));
    } catch (error) {
      // Unreachable: every update of this shard stays unapplied (their messages are retried).
      log.warn('city shard: backstop status calls failed (their messages are retried)', { shard: key, updates: group.length, error });
    }
  });
  return applied;
}

export function cancelOrderDispatch(env: ShardEnv, city: CityGeometry, order: ShardOrder, reason: string) {
  return shardAt(env, city, order.pickup).cancelDispatch(order.id, reason);
}

export function orderDispatchLog(env: ShardEnv, city: CityGeometry, order: ShardOrder) {
  return shardAt(env, city, order.pickup).dispatchLog(order.id);
}

export function orderTracking(env: ShardEnv, city: CityGeometry, order: ShardOrder) {
  return shardAt(env, city, order.pickup).tracking(order.id);
}

/** Forwards a watcher's WebSocket upgrade to the shard that dispatches the order. */
export function forwardOrderWatcher(env: ShardEnv, request: Request, city: CityGeometry, order: ShardOrder): Promise<Response> {
  const headers = new Headers(request.headers);
  headers.delete('Authorization');
  // The web apps' session cookie authenticated the upgrade here; the object never needs it (ADR 0087).
  headers.delete('Cookie');
  headers.set(SHARD_HEADERS.role, 'watcher');
  headers.set(SHARD_HEADERS.orderId, order.id);
  const url = new URL(request.url);
  url.searchParams.delete('access_token');
  return shardAt(env, city, order.pickup).fetch(new Request(url, { headers }));
}

/** Every shard of a city, for the operators' live view. */
export const cityShards = (env: ShardEnv, city: CityGeometry) => shardsOfCity(city).map((s) => ({ key: s.key, stub: shardStub(env, s) }));
