/**
 * The shard's live state and the effects its transitions ask for. Plain data
 * plus the spatial index; no runtime imports, so it is unit-tested in Node.
 */
import type { ShardEvent } from './events';
import type { DispatchPolicy, RankedCandidate, Vehicle } from './matching';
import type { DispatchState, DriverStatus, OrderStatus, ServerToDriver, ServerToWatcher } from './protocol';
import type { DriverIndex } from './spatial';
import type { LatLng } from './geo';

export interface Position {
  lat: number;
  lng: number;
  heading: number | null;
  speed: number | null;
  accuracy: number | null;
  /** Time of the fix (ms), as the device reported it. */
  at: number;
}

export interface DriverLive {
  driverId: string;
  vehicle: Vehicle;
  /** The driver wants work. */
  available: boolean;
  /** A driver socket is open. */
  connected: boolean;
  /** Last time the shard heard from the driver (ms, server clock). */
  lastSeenAt: number;
  /** Since when the driver has been free (fairness). */
  idleSince: number;
  /** Assigned order, if any (busy). */
  orderId: string | null;
  /** Open offer, if any. */
  offerId: string | null;
  position: Position | null;
  /** Points refused as implausible jumps, in total. */
  flaggedPoints: number;
  /** Consecutive implausible points that agree with each other (re-anchor after 3). */
  suspect: { lat: number; lng: number; at: number; count: number } | null;
}

export interface Job {
  orderId: string;
  pickup: LatLng;
  dropoff: LatLng;
  payoutCents: number;
  offerTtlMs: number;
  orderStatus: OrderStatus;
  dispatch: DispatchState;
  offerId: string | null;
  driverId: string | null;
  round: number;
  /** driverId → { until, why }: not offered this order again before `until`. */
  excluded: Record<string, { until: number; why: string }>;
  createdAt: number;
  unassignedSince: number | null;
  endedAt: number | null;
  /** When the `order.arriving_soon` fact was emitted (once per order); absent in jobs saved before it existed. */
  arrivingSoonAt?: number | null;
}

export type OfferStatus = 'pending' | 'accepted' | 'declined' | 'expired' | 'cancelled';

export interface Offer {
  offerId: string;
  orderId: string;
  driverId: string;
  round: number;
  status: OfferStatus;
  offeredAt: number;
  expiresAt: number;
  resolvedAt: number | null;
  outcomeReason: string | null;
  radiusM: number;
  reason: string;
  candidates: RankedCandidate[];
}

export interface ShardState {
  shardKey: string;
  policy: DispatchPolicy;
  index: DriverIndex;
  drivers: Map<string, DriverLive>;
  /** Live jobs, and ended ones for an hour (answers stay idempotent). */
  jobs: Map<string, Job>;
  /** Offers of the jobs in memory. */
  offers: Map<string, Offer>;
}

export type TimerKind = 'offer_expiry' | 'dispatch_retry' | 'housekeeping';

export type NoteKind = 'no_driver' | 'assigned' | 'cancelled' | 'status';

/** What a decision-log note records, by kind (plain data: it crosses RPC). */
export interface NoteDetail {
  /** no_driver: each radius searched, what was found and why nobody was chosen. */
  searches?: { radiusM: number; candidates: RankedCandidate[]; reason: string }[];
  /** assigned */
  offerId?: string;
  driverId?: string;
  /** cancelled */
  reason?: string;
  /** status */
  status?: string;
  dispatch?: string;
}

export type Effect =
  | { type: 'send'; driverId: string; message: ServerToDriver }
  /** `coalesce`: a newer message of the same type for the order replaces an unsent one. */
  | { type: 'watchers'; orderId: string; message: ServerToWatcher; coalesce: boolean }
  /** Presence changed: write now. */
  | { type: 'saveDriver'; driverId: string }
  /** Only the position changed: written in the next batch. */
  | { type: 'moveDriver'; driverId: string }
  | { type: 'saveJob'; orderId: string }
  | { type: 'saveOffer'; offerId: string }
  | { type: 'note'; orderId: string; kind: NoteKind; detail: NoteDetail }
  | { type: 'setTimer'; id: string; kind: TimerKind; fireAt: number; payload: string }
  | { type: 'clearTimer'; id: string }
  | { type: 'breadcrumb'; orderId: string; driverId: string; at: number; lat: number; lng: number }
  | { type: 'emit'; event: ShardEvent }
  /** Forget ended jobs from memory / storage. */
  | { type: 'purge'; memoryBefore: number; storageBefore: number };

export interface Step<R = void> {
  state: ShardState;
  effects: Effect[];
  result: R;
}

/** Random ids come from outside, so the transitions stay deterministic in tests. */
export interface IdSource {
  offerId(): string;
}

export const iso = (ms: number): string => new Date(ms).toISOString();

export function driverStatus(d: DriverLive, now: number, policy: DispatchPolicy): DriverStatus {
  const silent = now - d.lastSeenAt > policy.silentAfterMs;
  if (!d.connected && silent) return 'offline';
  if (d.orderId !== null) return 'busy';
  if (d.available && d.offerId === null && !silent) return 'available';
  return d.offerId !== null ? 'busy' : 'online';
}

/** Free for a new offer, silence aside (the index filters silent drivers by last-seen time). */
export const isMatchable = (d: DriverLive): boolean => d.available && d.orderId === null && d.offerId === null && d.position !== null;

/** Puts the driver in the index layer that matches its state. */
export function syncIndex(state: ShardState, d: DriverLive): void {
  if (d.position === null) return;
  const available = isMatchable(d);
  if (!state.index.has(d.driverId)) state.index.upsert(d.driverId, d.position.lat, d.position.lng, available, d.lastSeenAt);
  else state.index.setAvailable(d.driverId, available);
  state.index.touch(d.driverId, d.lastSeenAt);
}

export function newDriver(driverId: string, vehicle: Vehicle, now: number): DriverLive {
  return {
    driverId,
    vehicle,
    available: false,
    connected: false,
    lastSeenAt: now,
    idleSince: now,
    orderId: null,
    offerId: null,
    position: null,
    flaggedPoints: 0,
    suspect: null,
  };
}

