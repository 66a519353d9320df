/**
 * What needs an operator (docs/decisions/0112): the unassigned queue with
 * its age, and alerts for stuck orders —
 * - `no_merchant_answer`: placed, not accepted for `merchantMinutes`;
 * - `no_driver_found`: accepted (or released) and without a driver for
 *   `driverMinutes`;
 * - `driver_not_moving`: a driver holds the order and their last position
 *   fix is older than `movingMinutes` (a phone that stands still sends no new
 *   fix; the driver app's keep-alive pings carry none), or they are not
 *   connected at all.
 * Postgres says which orders; the city's shards say where their drivers are.
 */
import { and, asc, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import { merchants, orders } from '../../../db/schema/index';
import { SCHEDULED_OFFER_LEAD_MS } from '../../../durable-objects/city-shard/offers';
import type { SnapshotDriver } from '../../../durable-objects/city-shard/views';
import { ASSIGNABLE_STATUSES } from '../../../domain/order';
import { cityShards, loadCityGeometry } from '../city-shard-client';
import type { CommandContext } from '../orders/commands/context';
import { listAwaitingMerchant } from '../orders/unaccepted';

export interface StuckThresholds {
  merchantMinutes: number;
  driverMinutes: number;
  movingMinutes: number;
}

export type AlertKind = 'no_merchant_answer' | 'no_driver_found' | 'driver_not_moving';

export interface StuckAlert {
  kind: AlertKind;
  orderId: string;
  number: string;
  merchantName: string;
  status: string;
  driverId: string | null;
  /** When the wait began (placed; accepted or released; the driver's last fix). Null: the driver is not connected. */
  since: string | null;
  ageSeconds: number | null;
}

export interface UnassignedEntry {
  orderId: string;
  number: string;
  merchantName: string;
  status: string;
  dispatch: string;
  waitingSince: string;
  ageSeconds: number;
}

const LIMIT = 200;
/**
 * When an order began waiting for a driver: accepted, or last released from a
 * silent driver (ADR 0079); a scheduled order not before its first offer is
 * due (its window's start less the shard's SCHEDULED_OFFER_LEAD_MS, ADR 0108).
 */
const waitingSince = sql<Date>`greatest(coalesce((select max(e.at) from order_status_events e where e.order_id = ${orders.id} and (e.type = 'order.preparing' or (e.type = 'order.dispatch_changed' and e.reason = 'driver_unresponsive'))), ${orders.updatedAt}), ${orders.scheduledStart} - make_interval(secs => ${SCHEDULED_OFFER_LEAD_MS / 1000}))`.mapWith(orders.updatedAt);

const age = (since: Date, now: number) => Math.max(0, Math.round((now - since.getTime()) / 1000));

export async function stuckOrders(cx: CommandContext, cityId: string, t: StuckThresholds, now = Date.now()): Promise<{ unassigned: UnassignedEntry[]; alerts: StuckAlert[] }> {
  const base = { orderId: orders.id, number: orders.number, merchantName: merchants.name, status: orders.status, dispatch: orders.dispatchState, driverId: orders.driverId };
  const [awaiting, waiting, held, city] = await Promise.all([
    listAwaitingMerchant(cx.db, { cityId, limit: LIMIT }),
    cx.db
      .select({ ...base, since: waitingSince })
      .from(orders)
      .innerJoin(merchants, eq(merchants.id, orders.merchantId))
      .where(and(eq(orders.cityId, cityId), inArray(orders.status, ASSIGNABLE_STATUSES), isNull(orders.driverId)))
      .orderBy(asc(waitingSince))
      .limit(LIMIT),
    cx.db
      .select(base)
      .from(orders)
      .innerJoin(merchants, eq(merchants.id, orders.merchantId))
      .where(and(eq(orders.cityId, cityId), inArray(orders.status, [...ASSIGNABLE_STATUSES, 'in_delivery']), isNotNull(orders.driverId)))
      .limit(LIMIT),
    loadCityGeometry(cx.db, cityId),
  ]);
  // A scheduled order whose first offer is not due yet is not waiting for a driver.
  const unassigned = waiting.filter((o) => o.since.getTime() <= now).map((o) => ({ orderId: o.orderId, number: o.number, merchantName: o.merchantName, status: o.status, dispatch: o.dispatch, waitingSince: o.since.toISOString(), ageSeconds: age(o.since, now) }));
  const alerts: StuckAlert[] = [];
  for (const o of awaiting) {
    // A scheduled order waits for its merchant from its release, not its payment (ADR 0108).
    if (o.askedAt && now - o.askedAt.getTime() >= t.merchantMinutes * 60_000) {
      alerts.push({ kind: 'no_merchant_answer', orderId: o.orderId, number: o.number, merchantName: o.merchantName, status: 'placed', driverId: null, since: o.askedAt.toISOString(), ageSeconds: age(o.askedAt, now) });
    }
  }
  for (const o of unassigned) {
    if (o.ageSeconds >= t.driverMinutes * 60) alerts.push({ kind: 'no_driver_found', orderId: o.orderId, number: o.number, merchantName: o.merchantName, status: o.status, driverId: null, since: o.waitingSince, ageSeconds: o.ageSeconds });
  }
  if (held.length > 0 && city) {
    const live = new Map<string, SnapshotDriver>();
    for (const snap of await Promise.all(cityShards(cx.env, city).map((s) => s.stub.snapshot()))) for (const d of snap.drivers) live.set(d.driverId, d);
    for (const o of held) {
      const d = live.get(o.driverId!);
      const fix = d?.updatedAt ? new Date(d.updatedAt) : null;
      if (fix && now - fix.getTime() < t.movingMinutes * 60_000) continue;
      alerts.push({ kind: 'driver_not_moving', orderId: o.orderId, number: o.number, merchantName: o.merchantName, status: o.status, driverId: o.driverId, since: fix?.toISOString() ?? null, ageSeconds: fix ? age(fix, now) : null });
    }
  }
  return { unassigned, alerts };
}
