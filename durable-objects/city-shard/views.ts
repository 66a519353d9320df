/**
 * Read models the shard answers with over RPC: the operators' snapshot, the
 * decision log of an order, what a watcher is shown on connect. Pure.
 */
import type { LatLng } from './geo';
import type { RankedCandidate, Vehicle } from './matching';
import { driverStatus, iso, type Job, type NoteDetail, type Offer, type ShardState } from './model';
import type { DispatchState, DriverStatus, OrderStatus, ServerToWatcher } from '../../domain/protocol/city-shard';
import { driverAlertsOf, type DriverAlert } from './silence';
import type { NoteRow } from './storage';
import { countedDown, etaMessage, onTheRoad, tripEta } from './trip';

export interface SnapshotDriver {
  driverId: string;
  status: DriverStatus;
  vehicle: Vehicle;
  location: LatLng | null;
  heading: number | null;
  updatedAt: string | null;
  orderId: string | null;
  offerId: string | null;
  /** The second order the driver carries, stacked on `orderId` (ADR 0105); absent when none. */
  batchOrderId?: string;
}

export interface ShardSnapshot {
  shardKey: string;
  at: string;
  counts: { online: number; available: number; busy: number; offline: number };
  drivers: SnapshotDriver[];
  /** True when the driver list was cut at `limit`. */
  truncated: boolean;
  openOffers: { offerId: string; orderId: string; driverId: string; expiresAt: string }[];
  unassignedOrders: { orderId: string; since: string; pickup: LatLng }[];
  /** Assigned drivers silent past the ping, and drivers an order was taken from in the last hour (ADR 0079). */
  driverAlerts: DriverAlert[];
}

function stackedOf(state: ShardState, d: { driverId: string; orderId: string | null }): { batchOrderId?: string } {
  const job = d.orderId ? state.jobs.get(d.orderId) : undefined;
  const other = job?.batchWith ? state.jobs.get(job.batchWith) : undefined;
  return other && other.endedAt === null && other.driverId === d.driverId ? { batchOrderId: other.orderId } : {};
}

export function snapshotOf(state: ShardState, now: number, limit: number): ShardSnapshot {
  const counts = { online: 0, available: 0, busy: 0, offline: 0 };
  const drivers: SnapshotDriver[] = [];
  for (const d of state.drivers.values()) {
    const status = driverStatus(d, now, state.policy);
    counts[status]++;
    if (status === 'offline' || drivers.length >= limit) continue;
    drivers.push({
      driverId: d.driverId,
      status,
      vehicle: d.vehicle,
      location: d.position ? { lat: d.position.lat, lng: d.position.lng } : null,
      heading: d.position?.heading ?? null,
      updatedAt: d.position ? iso(d.position.at) : null,
      orderId: d.orderId,
      offerId: d.offerId,
      ...stackedOf(state, d),
    });
  }
  const openOffers = [...state.offers.values()]
    .filter((o) => o.status === 'pending')
    .map((o) => ({ offerId: o.offerId, orderId: o.orderId, driverId: o.driverId, expiresAt: iso(o.expiresAt) }));
  const unassignedOrders = [...state.jobs.values()]
    // A scheduled order held until its time (ADR 0108) is not waiting for a driver yet.
    .filter((j) => j.endedAt === null && j.dispatch === 'unassigned' && j.offerId === null && !(j.heldUntil && now < j.heldUntil))
    .map((j) => ({ orderId: j.orderId, since: iso(j.unassignedSince ?? j.createdAt), pickup: j.pickup }));
  const online = counts.online + counts.available + counts.busy;
  return { shardKey: state.shardKey, at: iso(now), counts, drivers, truncated: online > drivers.length, openOffers, unassignedOrders, driverAlerts: driverAlertsOf(state, now) };
}

export interface DispatchLogOffer {
  offerId: string;
  driverId: string;
  /** The neighbouring shard holding the driver, when it is not the order's (ADR 0060). */
  driverShard: string | null;
  round: number;
  radiusM: number;
  offeredAt: string;
  expiresAt: string;
  /** Why the chosen driver won. */
  reason: string;
  candidates: RankedCandidate[];
  status: Offer['status'];
  /** How the offer ended (null while open). */
  outcome: string | null;
  resolvedAt: string | null;
}

export interface DispatchLog {
  orderId: string;
  shardKey: string;
  dispatch: DispatchState;
  orderStatus: OrderStatus;
  driverId: string | null;
  startedAt: string;
  endedAt: string | null;
  offers: DispatchLogOffer[];
  /** Searches that found nobody, assignment, status changes, cancellation. */
  notes: { at: string; kind: string; detail: NoteDetail }[];
}

export function dispatchLogOf(shardKey: string, job: Job, offers: Offer[], notes: NoteRow[]): DispatchLog {
  return {
    orderId: job.orderId,
    shardKey,
    dispatch: job.dispatch,
    orderStatus: job.orderStatus,
    driverId: job.driverId,
    startedAt: iso(job.createdAt),
    endedAt: job.endedAt === null ? null : iso(job.endedAt),
    offers: offers.map((o) => ({
      offerId: o.offerId,
      driverId: o.driverId,
      driverShard: o.driverShard ?? null,
      round: o.round,
      radiusM: o.radiusM,
      offeredAt: iso(o.offeredAt),
      expiresAt: iso(o.expiresAt),
      reason: o.reason,
      candidates: o.candidates,
      status: o.status,
      outcome: o.outcomeReason,
      resolvedAt: o.resolvedAt === null ? null : iso(o.resolvedAt),
    })),
    notes: notes.map((n) => ({ at: iso(n.at), kind: n.kind, detail: n.detail })),
  };
}

export interface TrackingView {
  orderId: string;
  /** As of the latest committed order event relayed to the shard (its seq), else the shard's own view. */
  status: OrderStatus;
  dispatch: DispatchState;
  seq: number | null;
  driver: { driverId: string; vehicle: Vehicle; location: LatLng; heading: number | null; updatedAt: string } | null;
  /** Seconds to the dropoff as watchers were sent them, counted down to `now` when it is given (ADR 0076). */
  etaSeconds: number | null;
  /** Seconds to the pickup while the driver is on the way there. */
  pickupEtaSeconds: number | null;
  /** When the ETA holds (ISO): `now`, or the driver's fix. */
  etaAt: string | null;
}

/** The live part of an order's tracking (the orders domain adds names and links). */
export function trackingOf(state: ShardState, orderId: string, now?: number): TrackingView | null {
  const job = state.jobs.get(orderId);
  if (!job) return null;
  // A driver of another shard is seen through the positions that shard relays (ADR 0060).
  // A driver whose assignment Postgres has not confirmed yet is not shown (ADR 0075).
  const confirmed = !job.pendingAssignment;
  const local = confirmed && job.driverId && !job.driverShard ? state.drivers.get(job.driverId) : undefined;
  const d = local ?? (confirmed && job.driverId && job.remoteDriver ? { driverId: job.driverId, vehicle: job.remoteDriver.vehicle, position: job.remoteDriver.position } : undefined);
  const p = d?.position;
  // The ETA watchers were sent with the driver's last fix (trip.ts), counted down since, as they show it.
  const atFix = d && p && onTheRoad(job) ? tripEta(job, p, d.vehicle, state.policy) : null;
  const eta = atFix && p ? (now === undefined ? atFix : countedDown(atFix, p.at, now)) : null;
  return {
    orderId,
    status: job.timeline?.status ?? job.orderStatus,
    dispatch: job.timeline?.dispatch ?? job.dispatch,
    seq: job.timeline?.seq ?? null,
    driver: d && p ? { driverId: d.driverId, vehicle: d.vehicle, location: { lat: p.lat, lng: p.lng }, heading: p.heading, updatedAt: iso(p.at) } : null,
    etaSeconds: eta?.seconds ?? null,
    pickupEtaSeconds: eta?.pickupSeconds ?? null,
    etaAt: eta && p ? iso(now ?? p.at) : null,
  };
}

/** What a watcher receives on connect, so it never waits for the next change. */
export function watcherGreeting(state: ShardState, orderId: string, now: number): ServerToWatcher[] {
  const t = trackingOf(state, orderId, now);
  if (!t) return [];
  const out: ServerToWatcher[] = [{ type: 'status', orderId, status: t.status, dispatch: t.dispatch, at: iso(now), ...(t.seq !== null ? { seq: t.seq } : {}) }];
  if (t.driver) out.push({ type: 'location', orderId, lat: t.driver.location.lat, lng: t.driver.location.lng, ...(t.driver.heading !== null ? { heading: t.driver.heading } : {}), at: t.driver.updatedAt });
  if (t.etaSeconds !== null) out.push(etaMessage(orderId, { seconds: t.etaSeconds, pickupSeconds: t.pickupEtaSeconds }, now));
  return out;
}
