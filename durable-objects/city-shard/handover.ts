/**
 * Driver handover between the shards of a split city (ADR 0122). Pure: no
 * runtime imports; the adapter side (the call, the socket, the durable
 * intent) is handover-link.ts.
 *
 * A shard owns the drivers whose fixes fall in its cell. When a driver's
 * latest fix lies in another shard's cell, more than HANDOVER_MARGIN_M past
 * this cell's edge (so a driver riding along the border does not flap), the
 * shard packs the driver's live state — position, availability, idle time,
 * and an assignment to an order of this shard or of the target — removes the
 * driver, and the target adopts it. The Worker's routing (domain/shard-keys.ts
 * `shardFor`, the same function with the same geometry) sends the driver's
 * reconnect to the target.
 *
 * Not handed over (yet): a driver with an open offer, or on an order whose
 * assignment or release Postgres has not confirmed, or on an order of a third
 * shard. They stay where they are — matched, tracked and relayed exactly as
 * before — and are handed over at their first fix after it ends.
 */
import { cellKmOf, distanceToCellM, parseShardKey, shardFor, type CityGeometry, type LatLng } from '../../domain/shard-keys';
import type { Vehicle } from './matching';
import { isMatchable, newDriver, type DriverLive, type Job, type Position, type ShardState } from './model';

/** How far past its own cell a driver must be before it is handed over (hysteresis along the border). */
export const HANDOVER_MARGIN_M = 150;

/** What the old shard hands to the new one. */
export interface HandoverPackage {
  driverId: string;
  vehicle: Vehicle;
  available: boolean;
  idleSince: number;
  flaggedPoints: number;
  position: Position;
  /** The driver's order, and the shard that owns it (never null when orderId is set). */
  orderId: string | null;
  orderShard: string | null;
  from: string;
}

export type HandoverDecision =
  | { kind: 'stay' }
  /** Outside this cell, but something in flight keeps the driver here for now. */
  | { kind: 'defer'; target: string; why: string }
  | { kind: 'go'; target: string; pkg: HandoverPackage };

/**
 * The shard a driver at `position`, held by `shardKey`, belongs to instead —
 * or null while it belongs where it is: inside its cell or within
 * HANDOVER_MARGIN_M of it, or on a shard of another city or cell size (an
 * old shard of a re-split city routes nobody).
 */
export function handoverTarget(city: CityGeometry | null, shardKey: string, position: LatLng | null): string | null {
  const own = parseShardKey(shardKey);
  if (!city || !own || own.cityId !== city.id || !position) return null;
  const cellKm = cellKmOf(city);
  if (cellKm !== own.cellKm) return null;
  if (distanceToCellM(city, position, own.row, own.col, cellKm) <= HANDOVER_MARGIN_M) return null;
  const target = shardFor(city, position, cellKm).key;
  return target === shardKey ? null : target;
}

/** Where this driver belongs, and whether it can go there now. */
export function decideHandover(state: ShardState, city: CityGeometry | null, d: DriverLive): HandoverDecision {
  const target = handoverTarget(city, state.shardKey, d.position);
  if (target === null || !d.position) return { kind: 'stay' };
  if (d.offerId !== null) return { kind: 'defer', target, why: 'open offer' };
  let orderShard: string | null = null;
  if (d.orderId !== null) {
    if (d.orderShard !== null && d.orderShard !== target) return { kind: 'defer', target, why: 'on a third shard’s order' };
    if (d.orderShard === null) {
      const job = state.jobs.get(d.orderId);
      if (!job || job.endedAt !== null || job.pendingAssignment || job.pendingRelease) return { kind: 'defer', target, why: 'assignment not settled' };
    }
    orderShard = d.orderShard ?? state.shardKey;
  }
  return {
    kind: 'go',
    target,
    pkg: {
      driverId: d.driverId,
      vehicle: d.vehicle,
      available: d.available,
      idleSince: d.idleSince,
      flaggedPoints: d.flaggedPoints,
      position: { ...d.position },
      orderId: d.orderId,
      orderShard,
      from: state.shardKey,
    },
  };
}

/**
 * The old shard lets the driver go: out of its drivers and index; an order of
 * its own now follows the driver on the target (as a cross-shard assignment,
 * ADR 0060). Returns the job to save, if one changed.
 */
export function releaseDriver(state: ShardState, pkg: HandoverPackage, target: string): Job | null {
  state.drivers.delete(pkg.driverId);
  state.index.remove(pkg.driverId);
  if (!pkg.orderId || pkg.orderShard !== state.shardKey) return null;
  const job = state.jobs.get(pkg.orderId);
  if (!job || job.driverId !== pkg.driverId) return null;
  job.driverShard = target;
  job.remoteDriver = { vehicle: pkg.vehicle, position: { ...pkg.position } };
  return job;
}

/**
 * The new shard takes the driver. Idempotent: a repeated or older package
 * (a retry after a lost answer) changes nothing the driver has since sent
 * here. A driver whose reconnect arrived first keeps its socket state.
 * Returns the driver and the job to save when one of this shard's orders
 * became local again.
 */
export function adoptDriver(state: ShardState, pkg: HandoverPackage, now: number): { driver: DriverLive; job: Job | null; changed: boolean } {
  const existing = state.drivers.get(pkg.driverId);
  if (existing?.position && existing.position.at >= pkg.position.at) return { driver: existing, job: null, changed: false };
  const d: DriverLive = existing ?? newDriver(pkg.driverId, pkg.vehicle, now);
  d.vehicle = pkg.vehicle;
  d.available = pkg.available;
  d.idleSince = pkg.idleSince;
  d.flaggedPoints = Math.max(d.flaggedPoints, pkg.flaggedPoints);
  d.position = { ...pkg.position };
  d.lastSeenAt = Math.max(d.lastSeenAt, now);
  d.orderId = pkg.orderId;
  // Back on the shard that owns its order: a local assignment again.
  d.orderShard = pkg.orderShard === state.shardKey ? null : pkg.orderShard;
  state.drivers.set(d.driverId, d);
  state.index.upsert(d.driverId, d.position.lat, d.position.lng, isMatchable(d), d.lastSeenAt);
  let job: Job | null = null;
  if (d.orderId && d.orderShard === null) {
    const j = state.jobs.get(d.orderId);
    if (j && j.driverId === d.driverId && j.driverShard) {
      j.driverShard = null;
      j.remoteDriver = null;
      job = j;
    }
  }
  return { driver: d, job, changed: true };
}
