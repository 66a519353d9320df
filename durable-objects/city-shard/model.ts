/**
 * The shard's live state and the effects its transitions ask for. Plain data
 * plus the spatial index; no runtime imports, so it is unit-tested in Node.
 */
import type { ShardEvent } from './events';
import type { RemoteCall } from './remote-calls';
import type { DispatchPolicy, RankedCandidate, Vehicle } from './matching';
import type { DispatchState, DriverStatus, OrderStatus, ServerToDriver, ServerToWatcher } from '../../domain/protocol/city-shard';
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
  /** The shard that owns `orderId` when it is another one (cross-shard matching, ADR 0060). */
  orderShard: string | null;
  /** Open offer, if any. */
  offerId: string | null;
  position: Position | null;
  /** Points refused as implausible jumps, in total. */
  flaggedPoints: number;
  /** Consecutive implausible points that agree with each other (re-anchor after 3). */
  suspect: { lat: number; lng: number; at: number; count: number } | null;
  /** An order taken away while the driver was silent, not yet told on a socket (silence.ts, ADR 0079). */
  notice?: DriverNotice | null;
}

/** What a driver is told when back: the order was given to another driver. */
export interface DriverNotice {
  orderId: string;
  reason: 'driver_unresponsive';
  silentSeconds: number;
  at: number;
  /** Sent on a socket open at the time: the driver's next message on it shows it arrived. */
  sentLive: boolean;
}

/** The pickup's shop as an offer names it. */
export interface ShopInfo {
  name: string;
  address: string;
}

export interface Job {
  orderId: string;
  pickup: LatLng;
  dropoff: LatLng;
  payoutCents: number;
  /** Absent in jobs saved before offers named the shop. */
  shop?: ShopInfo;
  /** A scheduled order's window (ADR 0108), shown on the offer. */
  scheduledFor?: { start: string; end: string };
  /**
   * A scheduled order (ADR 0108) is offered to no driver before this time
   * (ms): its window's start less the ride to the shop, so the driver arrives
   * when the food is ready. Absent or past: searched at once.
   */
  heldUntil?: number | null;
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
  /**
   * Cross-shard matching (ADR 0060), absent on jobs saved before it:
   * neighbouring shards within the largest search radius of the pickup
   * (empty or absent: this shard alone, and no RPC), the search waiting for
   * their candidates, and the shard holding the assigned driver when it is
   * not this one, with the last trip position it relayed (memory only).
   */
  neighbours?: string[];
  gathering?: { seq: number; at: number } | null;
  gatherSeq?: number;
  driverShard?: string | null;
  remoteDriver?: { vehicle: Vehicle; position: Position } | null;
  /** When the `order.arriving_soon` fact was emitted (once per order); absent in jobs saved before it existed. */
  arrivingSoonAt?: number | null;
  /**
   * An accepted offer whose assignment Postgres has not confirmed yet
   * (docs/decisions/0075): the driver is held, and told `assignment` only
   * once the commit answered; retried from the alarm until it does.
   */
  pendingAssignment?: PendingAssignment | null;
  /** The latest committed order event relayed here (seq, status, dispatch): what watchers are shown. */
  timeline?: RelayedEvent | null;
  /** The watch on the assigned driver's silence, from the committed assignment on (silence.ts, ADR 0079). */
  watch?: DriverWatch | null;
  /** A silent driver's release Postgres has not confirmed yet: retried from the alarm until it answers. */
  pendingRelease?: PendingRelease | null;
  /** Drivers released from this order for silence (the last few), for operators. */
  releases?: Release[];
  /** The city's batching settings as dispatch passed them (ADR 0105); absent: this order is never stacked. */
  batching?: JobBatching;
  /** Delivered by then (ms) or late: placement + the city's promise; absent: unknown. */
  promisedBy?: number | null;
  /** The other order of the driver's batch (set on both, from the stacked order's acceptance on). */
  batchWith?: string | null;
}

/** A city's batching settings (the `cities` row, migration 0011). */
export interface JobBatching {
  enabled: boolean;
  maxAddedDetourSeconds: number;
  maxAddedDetourM: number;
}

/** The assigned driver's silence: each one (from when it began) is pinged once, then released or alerted once. */
export interface DriverWatch {
  driverId: string;
  /** When the assignment committed: the silence never starts before. */
  since: number;
  /** The start of the silence the last ping was for, and when it was sent. */
  pingedFor: number | null;
  pingedAt: number | null;
  /** After pickup: the start of the silence operators were alerted for. */
  alertedFor: number | null;
}

export interface PendingRelease {
  driverId: string;
  /** When the shard decided (ms). */
  at: number;
  /** When the driver was last heard from. */
  silentSince: number;
  attempts: number;
}

export interface Release {
  driverId: string;
  at: number;
  silentSince: number;
}

/** The last committed order event relayed to an order's watchers. */
export interface RelayedEvent {
  seq: number;
  status: OrderStatus;
  dispatch: DispatchState;
  at: string;
}

export interface PendingAssignment {
  offerId: string;
  driverId: string;
  payoutCents: number;
  /** When the driver accepted (ms). */
  at: number;
  attempts: number;
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
  /** The shard holding the driver when it is not this one (the offer is placed through it). */
  driverShard?: string | null;
  /** A stacked offer: the order the driver already carries, and the route the offer showed (ADR 0105). */
  batch?: { withOrderId: string; stops: BatchStop[] } | null;
}

export interface BatchStop {
  orderId: string;
  kind: 'pickup' | 'dropoff';
}

/** What the driver (or the host's timer) said to an offer hosted for another shard. */
export type HostedAnswer = 'accepted' | 'declined' | 'expired';

/**
 * An offer of another shard's order to one of this shard's drivers. The
 * owning shard decides the order; this shard holds the driver, the socket and
 * the expiry timer. `pending` reserves the driver, also while an acceptance is
 * being confirmed by the owner (`answer: 'accepted'`).
 */
export interface HostedOffer {
  offerId: string;
  orderId: string;
  driverId: string;
  ownerShard: string;
  pickup: LatLng;
  dropoff: LatLng;
  payoutCents: number;
  shop?: ShopInfo;
  offeredAt: number;
  expiresAt: number;
  status: OfferStatus;
  answer: HostedAnswer | null;
  resolvedAt: number | null;
  outcomeReason: string | null;
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
  /** Offers of other shards' orders to this shard's drivers (open ones, and ended ones for an hour). */
  hosted: Map<string, HostedOffer>;
  /**
   * The last committed event seq relayed to watchers of orders, job or not
   * (memory only, bounded): a repeated or older relay is not sent again. After
   * an eviction a client's own seq check is what remains (docs/api.md v1.1).
   */
  relayedSeqs?: Map<string, RelayedEvent>;
}

export type TimerKind = 'offer_expiry' | 'dispatch_retry' | 'housekeeping' | 'assignment_commit' | 'driver_silence' | 'release_commit';

export type NoteKind = 'no_driver' | 'assigned' | 'cancelled' | 'status' | 'neighbours' | 'driver_silent' | 'driver_unresponsive' | 'release_refused' | 'operator_assigned' | 'batch' | 'held';

/** What a decision-log note records, by kind (plain data: it crosses RPC). */
export interface NoteDetail {
  /** no_driver: each radius searched, what was found and why nobody was chosen. */
  searches?: { radiusM: number; candidates: RankedCandidate[]; reason: string }[];
  /** assigned */
  offerId?: string;
  driverId?: string;
  /** assigned: the driver's shard when it is not this one */
  shardKey?: string;
  /** neighbours: shards that did not answer a search in time */
  unanswered?: string[];
  /** cancelled */
  reason?: string;
  /** held: when the first search runs (a scheduled order, ADR 0108) */
  until?: string;
  /** status */
  status?: string;
  dispatch?: string;
  /** driver_silent, driver_unresponsive: how long the driver had not been heard from; after pickup (alert, no release). */
  silentSeconds?: number;
  afterPickup?: boolean;
  /** batch: each carrier considered for stacking this order, and why it was (not) chosen (ADR 0105). */
  batch?: { driverId: string; withOrderId: string; reason: string; detail: string; addedM?: number; addedSeconds?: number }[];
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
  /** Commit the job's pending assignment in Postgres, then step `assignment.committed` (ADR 0075). */
  | { type: 'commitAssignment'; orderId: string }
  /** Commit the job's pending release of a silent driver in Postgres, then step `release.committed` (ADR 0079). */
  | { type: 'commitRelease'; orderId: string }
  /** Forget ended jobs from memory / storage. */
  | { type: 'purge'; memoryBefore: number; storageBefore: number }
  // ---- cross-shard matching (ADR 0060) ----
  | { type: 'saveHosted'; offerId: string }
  /** Ask the job's neighbours for candidates, then step `dispatch.gathered`. */
  | { type: 'gather'; orderId: string; seq: number }
  /** Ask the driver's shard to place the offer, then step `remote.placed`. */
  | { type: 'placeRemote'; offerId: string }
  /** A call to another shard that must arrive: written in the step, retried from the alarm until answered. */
  | { type: 'remoteCall'; call: RemoteCall }
  /** A trip position for the order's owning shard (best effort, coalesced). */
  | { type: 'relayTrip'; shardKey: string; orderId: string; driverId: string; vehicle: Vehicle; position: Position };

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
    orderShard: null,
    offerId: null,
    position: null,
    flaggedPoints: 0,
    suspect: null,
  };
}

