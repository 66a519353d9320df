/**
 * The offer loop: dispatch an order, offer it to the best free driver, move
 * on after a decline or an expiry, widen the radius, fall back to
 * `unassigned` and retry. Transitions are synchronous, so within the one
 * thread of the shard two of them never interleave: an order has at most one
 * live offer, a driver at most one open offer (docs/decisions/0033).
 */
import type { ShardEvent } from './events';
import { distanceM, type LatLng } from './geo';
import { searchDrivers, type CandidateDriver, type DriverLookup, type RankedCandidate } from './matching';
import { iso, isMatchable, syncIndex, type DriverLive, type Effect, type IdSource, type Job, type JobBatching, type Offer, type OfferStatus, type ShardState } from './model';
import type { DispatchState, OrderStatus } from '../../domain/protocol/city-shard';
import { withdrawCall, withoutOpenOffers } from './remote-calls';
import { findBatch, linkBatch } from './batch-dispatch';
import { placeOffer } from './offer-place';

export interface DispatchRequest {
  orderId: string;
  pickup: LatLng;
  dropoff: LatLng;
  payoutCents: number;
  shop?: Job['shop'];
  /** The order's status when dispatch starts (what watchers are told). */
  orderStatus?: OrderStatus;
  offerTtlMs?: number;
  /** Keys of the neighbouring shards within the largest search radius (domain/shard-keys.ts); absent: none. */
  neighbours?: string[];
  /** The city's batching settings (ADR 0105); absent: never stacked. */
  batching?: JobBatching;
  /** When the order is promised by (ms); absent: unknown. */
  promisedBy?: number;
  scheduledFor?: Job['scheduledFor'];
}

export interface DispatchView {
  orderId: string;
  dispatch: DispatchState;
  ended: boolean;
  offerId: string | null;
  driverId: string | null;
  round: number;
}

export const viewOf = (job: Job): DispatchView => ({
  orderId: job.orderId,
  dispatch: job.dispatch,
  ended: job.endedAt !== null,
  offerId: job.offerId,
  driverId: job.driverId,
  round: job.round,
});

export const offerTimerId = (offerId: string) => `offer:${offerId}`;
export const commitTimerId = (orderId: string) => `commit:${orderId}`;
/** A commit of an assignment that has not answered is tried again after this long (doubling, at most COMMIT_RETRY_MAX_MS). */
export const COMMIT_RETRY_MS = 2_000;
export const COMMIT_RETRY_MAX_MS = 30_000;
export const retryTimerId = (orderId: string) => `retry:${orderId}`;

const MAX_JOBS_PER_FREED_DRIVER = 10;
/** A search waiting this long for its neighbours is started again (the retry timer is its backstop). */
export const GATHER_STALE_MS = 5_000;
/** The owner expires a remote offer this long after `expiresAt` if the driver's shard never reported. */
export const REMOTE_GRACE_MS = 10_000;

function lookupFor(state: ShardState): DriverLookup {
  return {
    candidate(driverId: string): CandidateDriver | null {
      const d = state.drivers.get(driverId);
      if (!d || !d.position || !isMatchable(d)) return null;
      return { driverId, vehicle: d.vehicle, position: d.position, idleSince: d.idleSince };
    },
  };
}

export function event<T extends ShardEvent['type']>(state: ShardState, type: T, key: string, orderId: string, now: number, rest: Omit<Extract<ShardEvent, { type: T }>, 'id' | 'shardKey' | 'orderId' | 'at' | 'type'>): Effect {
  return { type: 'emit', event: { id: `${key}:${type}`, type, shardKey: state.shardKey, orderId, at: iso(now), ...rest } as unknown as ShardEvent };
}

// `job.dispatch` is the shard's own view of the dispatch. Watchers are not told when it
// changes: they hear only committed order events, with their seq (`orderStatusChanged`), so
// the order channel never runs ahead of, or disagrees with, Postgres (ADR 0075).

const gatherIsFresh = (job: Job, now: number) => !!job.gathering && now - job.gathering.at < GATHER_STALE_MS;

/**
 * A scheduled order's first offer goes out this long before its window starts
 * (ADR 0108): the ride to the shop with the offer's answer and the shop's
 * handover, so the driver arrives about when the food is ready.
 */
export const SCHEDULED_OFFER_LEAD_MS = 10 * 60_000;

/**
 * Searches drivers for a job without a live offer. A pickup with neighbouring
 * shards in reach first asks them for their candidates (the `gather` effect,
 * answered by `dispatch.gathered`); otherwise it decides at once, with no RPC.
 */
export function search(state: ShardState, job: Job, now: number, ids: IdSource, effects: Effect[]): void {
  // Held (a scheduled order before its time): the retry timer set at `heldUntil` searches then.
  if (job.heldUntil && now < job.heldUntil) return;
  if (!job.neighbours?.length) {
    decide(state, job, [], now, ids, effects);
    return;
  }
  // One search at a time: the pending one ranks the drivers free when its answers arrive.
  if (gatherIsFresh(job, now)) return;
  const seq = (job.gatherSeq ?? 0) + 1;
  job.gatherSeq = seq;
  job.gathering = { seq, at: now };
  effects.push(
    { type: 'gather', orderId: job.orderId, seq },
    { type: 'setTimer', id: retryTimerId(job.orderId), kind: 'dispatch_retry', fireAt: now + GATHER_STALE_MS, payload: job.orderId },
    { type: 'saveJob', orderId: job.orderId },
  );
}

/**
 * Ranks this shard's free drivers and `remote` ones (from neighbouring
 * shards) by the same score, and offers the job to the winner, or marks it
 * unassigned. A remote winner's offer is placed through its shard. Before
 * that, a driver already on a nearby order heading the same way may be
 * offered this one stacked on it (batch-dispatch.ts, ADR 0105).
 */
export function decide(state: ShardState, job: Job, remote: readonly CandidateDriver[], now: number, ids: IdSource, effects: Effect[]): void {
  if (job.gathering) job.gathering = null;
  if (remote.length > 0) remote = withoutOpenOffers(state, remote);
  const excluded = new Map<string, string>();
  for (const [driverId, ex] of Object.entries(job.excluded)) {
    if (ex.until > now) excluded.set(driverId, ex.why);
    else delete job.excluded[driverId];
  }
  const stacked = findBatch(state, job, excluded, now, effects);
  if (stacked) {
    const { driver, carrier, decision } = stacked;
    const winner: RankedCandidate = { driverId: driver.driverId, vehicle: driver.vehicle, distanceM: Math.round(distanceM(driver.position!, job.pickup)), etaSeconds: 0, idleSeconds: 0, score: 0, rejectedBecause: null };
    winner.etaSeconds = Math.round((decision.stops.find((s) => s.orderId === job.orderId && s.kind === 'pickup')!.eta - now) / 1000);
    const batch = { withOrderId: carrier.orderId, stops: decision.stops.map((s) => ({ orderId: s.orderId, kind: s.kind })) };
    placeOffer(state, job, winner, driver, { radiusM: 0, reason: `stacked on order ${carrier.orderId}: ${decision.detail}`, candidates: [winner], batch }, now, ids, effects);
    return;
  }
  const searches = searchDrivers(state.index, lookupFor(state), job.pickup, excluded, now, state.policy, remote);
  const last = searches[searches.length - 1]!;
  const remoteWinner = last.winner?.shardKey !== undefined;
  const driver = last.winner && !remoteWinner ? state.drivers.get(last.winner.driverId) : undefined;
  if (!last.winner || (!remoteWinner && (!driver || !isMatchable(driver)))) {
    job.offerId = null;
    effects.push({ type: 'setTimer', id: retryTimerId(job.orderId), kind: 'dispatch_retry', fireAt: now + state.policy.retryUnassignedMs, payload: job.orderId });
    if (job.unassignedSince === null) {
      job.unassignedSince = now;
      effects.push({ type: 'note', orderId: job.orderId, kind: 'no_driver', detail: { searches: searches.map((s) => ({ radiusM: s.radiusM, candidates: s.candidates, reason: s.reason })) } });
      effects.push(event(state, 'dispatch.unassigned', `${job.orderId}:${job.round}:${now}`, job.orderId, now, { reason: last.reason }));
    }
    job.dispatch = 'unassigned';
    effects.push({ type: 'saveJob', orderId: job.orderId });
    return;
  }
  const widened = searches.length > 1 ? `nobody free within ${searches[searches.length - 2]!.radiusM} m, widened to ${last.radiusM} m; ` : '';
  placeOffer(state, job, last.winner, driver, { radiusM: last.radiusM, reason: widened + last.reason, candidates: last.candidates, batch: null }, now, ids, effects);
}

export function resolve(state: ShardState, offer: Offer, status: Exclude<OfferStatus, 'pending'>, reason: string, now: number, effects: Effect[]): void {
  offer.status = status;
  offer.resolvedAt = now;
  offer.outcomeReason = reason;
  effects.push(
    { type: 'saveOffer', offerId: offer.offerId },
    { type: 'clearTimer', id: offerTimerId(offer.offerId) },
    event(state, 'dispatch.offer_resolved', offer.offerId, offer.orderId, now, { offerId: offer.offerId, driverId: offer.driverId, status, outcomeReason: reason }),
  );
}

/** Releases a driver from an open offer or an assignment; they may get other work at once. */
export function freeDriver(state: ShardState, driver: DriverLive, now: number, ids: IdSource, effects: Effect[], resetIdle: boolean): void {
  driver.offerId = null;
  if (resetIdle) {
    driver.orderId = null;
    driver.idleSince = now;
  }
  syncIndex(state, driver);
  effects.push({ type: 'saveDriver', driverId: driver.driverId });
  offerUnassignedTo(state, driver, now, ids, effects);
}

/** A driver just became free: unassigned orders within reach are searched again, oldest first. */
export function offerUnassignedTo(state: ShardState, driver: DriverLive, now: number, ids: IdSource, effects: Effect[]): void {
  if (!isMatchable(driver) || now - driver.lastSeenAt > state.policy.silentAfterMs) return;
  const reach = state.policy.radiiM[state.policy.radiiM.length - 1] ?? 0;
  let tried = 0;
  for (const job of state.jobs.values()) {
    if (tried >= MAX_JOBS_PER_FREED_DRIVER || !isMatchable(driver)) break;
    if (job.endedAt !== null || job.dispatch !== 'unassigned' || job.offerId !== null || gatherIsFresh(job, now)) continue;
    if (distanceM(driver.position!, job.pickup) > reach) continue;
    tried++;
    search(state, job, now, ids, effects);
  }
}

export function requestDispatch(state: ShardState, req: DispatchRequest, now: number, ids: IdSource, effects: Effect[]): DispatchView {
  const existing = state.jobs.get(req.orderId);
  // Idempotent: the Worker may retry the call; one order has one offer loop.
  if (existing) return viewOf(existing);
  const job: Job = {
    orderId: req.orderId,
    pickup: req.pickup,
    dropoff: req.dropoff,
    payoutCents: req.payoutCents,
    ...(req.shop ? { shop: req.shop } : {}),
    ...(req.scheduledFor ? { scheduledFor: req.scheduledFor } : {}),
    offerTtlMs: req.offerTtlMs ?? state.policy.offerTtlMs,
    orderStatus: req.orderStatus ?? 'preparing',
    dispatch: 'unassigned',
    offerId: null,
    driverId: null,
    round: 0,
    excluded: {},
    createdAt: now,
    unassignedSince: null,
    endedAt: null,
    ...(req.neighbours?.length ? { neighbours: req.neighbours } : {}),
    ...(req.batching ? { batching: req.batching } : {}),
    ...(req.promisedBy !== undefined ? { promisedBy: req.promisedBy } : {}),
    // Events relayed before the job existed (the accept's relay may win the race with the dispatch call).
    timeline: state.relayedSeqs?.get(req.orderId) ?? null,
  };
  state.jobs.set(job.orderId, job);
  const heldUntil = req.scheduledFor ? Date.parse(req.scheduledFor.start) - SCHEDULED_OFFER_LEAD_MS : NaN;
  if (heldUntil > now) {
    job.heldUntil = heldUntil;
    effects.push(
      { type: 'note', orderId: job.orderId, kind: 'held', detail: { until: new Date(heldUntil).toISOString() } },
      { type: 'setTimer', id: retryTimerId(job.orderId), kind: 'dispatch_retry', fireAt: heldUntil, payload: job.orderId },
      { type: 'saveJob', orderId: job.orderId },
    );
    return viewOf(job);
  }
  search(state, job, now, ids, effects);
  return viewOf(job);
}

export type OfferAnswer = { ok: true; orderId: string } | { ok: false; code: 'offer_not_found' | 'offer_closed' | 'offer_expired'; detail: string };

function openOfferOf(state: ShardState, driverId: string, offerId: string, now: number, ids: IdSource, effects: Effect[]): { offer: Offer; job: Job; driver: DriverLive } | OfferAnswer {
  const offer = state.offers.get(offerId);
  const driver = state.drivers.get(driverId);
  const job = offer ? state.jobs.get(offer.orderId) : undefined;
  // Someone else's offer is answered exactly like an unknown one.
  if (!offer || !driver || !job || offer.driverId !== driverId) return { ok: false, code: 'offer_not_found', detail: 'No such offer.' };
  if (offer.status !== 'pending') return { ok: false, code: 'offer_closed', detail: `The offer is ${offer.status}.` };
  if (now >= offer.expiresAt) {
    expire(state, offer, job, driver, now, ids, effects);
    return { ok: false, code: 'offer_expired', detail: 'The offer expired.' };
  }
  return { offer, job, driver };
}

export function acceptOffer(state: ShardState, driverId: string, offerId: string, now: number, ids: IdSource, effects: Effect[]): OfferAnswer {
  const open = openOfferOf(state, driverId, offerId, now, ids, effects);
  if ('ok' in open) return open;
  const { offer, job, driver } = open;
  if (job.driverId !== null || job.offerId !== offerId || job.endedAt !== null) {
    // Unreachable while the invariants hold; refuse rather than assign twice.
    resolve(state, offer, 'cancelled', 'order no longer open', now, effects);
    freeDriver(state, driver, now, ids, effects, false);
    return { ok: false, code: 'offer_closed', detail: 'The order is no longer open.' };
  }
  resolve(state, offer, 'accepted', 'accepted by driver', now, effects);
  job.driverId = driverId;
  job.offerId = null;
  driver.offerId = null;
  // A stacked order rides along: the driver's current order stays the one it carries.
  if (offer.batch) linkBatch(state, job, offer.batch.withOrderId, effects);
  else driver.orderId = job.orderId;
  syncIndex(state, driver);
  job.dispatch = 'assigned';
  effects.push(
    { type: 'saveDriver', driverId },
    { type: 'note', orderId: job.orderId, kind: 'assigned', detail: { offerId, driverId } },
    // The queue's copy of the fact is only the backstop of the commit below (idempotent by driver).
    event(state, 'dispatch.accepted', offerId, job.orderId, now, { offerId, driverId, payoutCents: job.payoutCents }),
  );
  holdForCommit(job, offerId, driverId, now, effects);
  return { ok: true, orderId: job.orderId };
}

/**
 * The driver said yes: Postgres commits the assignment before anyone is told
 * (ADR 0075). The driver stays held; `assignment` goes out when the commit
 * answers (`assignmentCommitted`), and the alarm tries again until it does.
 */
export function holdForCommit(job: Job, offerId: string, driverId: string, now: number, effects: Effect[]): void {
  job.pendingAssignment = { offerId, driverId, payoutCents: job.payoutCents, at: now, attempts: 1 };
  askForCommit(job.orderId, now + COMMIT_RETRY_MS, effects);
}

/** Commit the pending assignment now, and ask again at `retryAt` if no answer has cleared the timer by then. */
function askForCommit(orderId: string, retryAt: number, effects: Effect[]): void {
  effects.push(
    { type: 'saveJob', orderId },
    { type: 'setTimer', id: commitTimerId(orderId), kind: 'assignment_commit', fireAt: retryAt, payload: orderId },
    { type: 'commitAssignment', orderId },
  );
}

/** The commit of a pending assignment did not answer in time: try again, backing off. */
export function commitTimerFired(state: ShardState, orderId: string, now: number, effects: Effect[]): void {
  const job = state.jobs.get(orderId);
  const pending = job?.pendingAssignment;
  if (!job || !pending || job.endedAt !== null) return;
  pending.attempts += 1;
  askForCommit(orderId, now + Math.min(COMMIT_RETRY_MAX_MS, COMMIT_RETRY_MS * 2 ** Math.min(10, pending.attempts - 1)), effects);
}

/** The order a driver may be told about: not one whose assignment Postgres has yet to confirm. */
export function confirmedOrderOf(state: ShardState, driver: DriverLive): string | null {
  if (!driver.orderId) return null;
  const job = state.jobs.get(driver.orderId);
  return job?.pendingAssignment && job.pendingAssignment.driverId === driver.driverId ? null : driver.orderId;
}

export function declineOffer(state: ShardState, driverId: string, offerId: string, reason: string | undefined, now: number, ids: IdSource, effects: Effect[]): OfferAnswer {
  const open = openOfferOf(state, driverId, offerId, now, ids, effects);
  if ('ok' in open) return open;
  const { offer, job, driver } = open;
  resolve(state, offer, 'declined', reason ? `declined: ${reason}` : 'declined by driver', now, effects);
  job.excluded[driverId] = { until: now + state.policy.declineCooldownMs, why: 'declined this order' };
  job.offerId = null;
  driver.offerId = null;
  syncIndex(state, driver);
  search(state, job, now, ids, effects);
  freeDriver(state, driver, now, ids, effects, false);
  return { ok: true, orderId: job.orderId };
}

function expire(state: ShardState, offer: Offer, job: Job, driver: DriverLive | undefined, now: number, ids: IdSource, effects: Effect[]): void {
  resolve(state, offer, 'expired', `no answer within ${Math.round(job.offerTtlMs / 1000)} s`, now, effects);
  job.excluded[offer.driverId] = { until: now + state.policy.expiryCooldownMs, why: 'let an offer for this order expire' };
  job.offerId = null;
  if (driver) {
    driver.offerId = null;
    syncIndex(state, driver);
    effects.push({ type: 'saveDriver', driverId: driver.driverId }, { type: 'send', driverId: driver.driverId, message: { type: 'offer.expired', offerId: offer.offerId } });
  }
  search(state, job, now, ids, effects);
}

/** The offer's timer fired. Idempotent: an offer already answered is left alone. */
export function offerTimerFired(state: ShardState, offerId: string, now: number, ids: IdSource, effects: Effect[]): void {
  const offer = state.offers.get(offerId);
  const job = offer ? state.jobs.get(offer.orderId) : undefined;
  if (!offer || !job || offer.status !== 'pending') return;
  if (!offer.driverShard) {
    expire(state, offer, job, state.drivers.get(offer.driverId), now, ids, effects);
    return;
  }
  // Backstop: the driver's shard never reported. This shard decides the order, so it moves on;
  // the host is told to withdraw the offer (its own timer would free the driver anyway).
  resolve(state, offer, 'expired', `no answer from shard ${offer.driverShard} within ${Math.round((job.offerTtlMs + REMOTE_GRACE_MS) / 1000)} s`, now, effects);
  job.excluded[offer.driverId] = { until: now + state.policy.expiryCooldownMs, why: 'let an offer for this order expire' };
  job.offerId = null;
  effects.push(withdrawCall(offer, 'expired'));
  search(state, job, now, ids, effects);
}


export function retryTimerFired(state: ShardState, orderId: string, now: number, ids: IdSource, effects: Effect[]): void {
  const job = state.jobs.get(orderId);
  if (!job || job.endedAt !== null || job.offerId !== null || job.driverId !== null) return;
  // A search whose neighbours never answered (or lost to an eviction) starts again.
  if (job.gathering && !gatherIsFresh(job, now)) job.gathering = null;
  search(state, job, now, ids, effects);
}

export const HOUR_MS = 3_600_000;

// Moved to job-end.ts; re-exported so the shard's other modules keep one import.
export { assignmentCommitted, cancelDispatch, endJob, orderStatusChanged, type CommitOutcome, type CommittedEvent } from './job-end';
export { offerMessage } from './offer-place';
