/**
 * What dispatch needs to know of an order beyond its places (ADR 0105): its
 * city's batching settings and when the order is promised by — placement
 * plus the city's `delivery_promise_minutes`, or the end of a scheduled
 * order's window. One query; the shard decides with them.
 */
import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { cities, orders } from '../../db/schema/index';

export interface DispatchTerms {
  batching: { enabled: boolean; maxAddedDetourSeconds: number; maxAddedDetourM: number };
  promisedBy?: number;
  /** A scheduled order's window (ADR 0108), for the driver's offer. */
  scheduledFor?: { start: string; end: string };
}

export async function dispatchTermsOf(db: Database, orderId: string): Promise<DispatchTerms | null> {
  const [row] = await db
    .select({
      enabled: cities.batchingEnabled,
      maxAddedDetourSeconds: cities.batchMaxAddedDetourSeconds,
      maxAddedDetourM: cities.batchMaxAddedDetourM,
      promiseMinutes: cities.deliveryPromiseMinutes,
      placedAt: orders.placedAt,
      createdAt: orders.createdAt,
      scheduledStart: orders.scheduledStart,
      scheduledEnd: orders.scheduledEnd,
    })
    .from(orders)
    .innerJoin(cities, eq(cities.id, orders.cityId))
    .where(eq(orders.id, orderId));
  if (!row) return null;
  const promisedBy = row.scheduledEnd ? row.scheduledEnd.getTime() : (row.placedAt ?? row.createdAt).getTime() + row.promiseMinutes * 60_000;
  const scheduledFor = row.scheduledStart && row.scheduledEnd ? { scheduledFor: { start: row.scheduledStart.toISOString(), end: row.scheduledEnd.toISOString() } } : {};
  return { batching: { enabled: row.enabled, maxAddedDetourSeconds: row.maxAddedDetourSeconds, maxAddedDetourM: row.maxAddedDetourM }, promisedBy, ...scheduledFor };
}
