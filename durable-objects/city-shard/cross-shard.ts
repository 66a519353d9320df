/**
 * Cross-shard matching, the transitions (docs/decisions/0060). Two
 * authorities, each on its own single thread:
 * - the shard that owns an order (its pickup's shard) decides the order: it
 *   ranks its drivers and its neighbours' together, holds the one open offer
 *   of the order, and alone turns an answer into an assignment;
 * - the shard that holds a driver decides the driver: it reserves the driver
 *   for a remote offer or refuses, sends the offer on the driver's socket,
 *   keeps its timer, and reports the answer to the owner, which has the last
 *   word. So an order never has two open offers (the owner's `job.offerId`)
 *   and a driver never holds two (the host's `driver.offerId`, backed by
 *   `offers_one_open_per_driver` in the host's SQLite, which keeps hosted
 *   offers in the same table).
 * Pure like offers.ts: the adapter carries out `gather`, `placeRemote`,
 * `remoteCall` and `relayTrip` and steps the answers back in.
 */
import { iso, isMatchable, syncIndex, type Effect, type HostedAnswer, type HostedOffer, type IdSource, type OfferStatus, type ShardState } from './model';
import { decide, event, freeDriver, holdForCommit, HOUR_MS, offerTimerId, resolve, search, type OfferAnswer } from './offers';
import {
  answerCall,
  withdrawCall,
  type AnswerBody,
  type AnswerResult,
  type CandidateQuery,
  type HostRequest,
  type HostResult,
  type ReleaseBody,
  type RemoteCandidate,
  type TripBody,
  type WithdrawBody,
} from './remote-calls';
import { tripProgress } from './trip';
import { tellReleased } from './silence';

/** A driver its shard would not reserve (it became busy) is not asked again for this order for so long. */
export const REMOTE_REFUSED_COOLDOWN_MS = 30_000;

const housekeepingSoon = (now: number): Effect => ({ type: 'setTimer', id: 'housekeeping', kind: 'housekeeping', fireAt: now + HOUR_MS, payload: '' });

// ---- the owner of the order ---------------------------------------------------

/** The neighbours answered (those that did not are noted): rank everyone by the same score and offer. */
export function gathered(state: ShardState, orderId: string, seq: number, remote: RemoteCandidate[], unanswered: string[], now: number, ids: IdSource, effects: Effect[]): void {
  const job = state.jobs.get(orderId);
  // A newer search replaced this one, or the job moved on meanwhile.
  if (!job || job.gathering?.seq !== seq) return;
  if (job.endedAt !== null || job.offerId !== null || job.driverId !== null) {
    job.gathering = null;
    effects.push({ type: 'saveJob', orderId });
    return;
  }
  if (unanswered.length > 0) effects.push({ type: 'note', orderId, kind: 'neighbours', detail: { unanswered } });
  decide(state, job, remote, now, ids, effects);
}

/**
 * The driver's shard answered the placement: placed (nothing to do), refused
 * (the driver was taken meanwhile), or `unknown` (the call failed: it may have
 * been placed, so it is withdrawn). Either failure moves on to the next candidate.
 */
export function remotePlaced(state: ShardState, offerId: string, result: HostResult, unknown: boolean, now: number, ids: IdSource, effects: Effect[]): void {
  const offer = state.offers.get(offerId);
  const job = offer ? state.jobs.get(offer.orderId) : undefined;
  if (!offer || !job || result.placed || offer.status !== 'pending') return;
  resolve(state, offer, 'cancelled', `not placed by shard ${offer.driverShard}: ${result.reason}`, now, effects);
  if (unknown) effects.push(withdrawCall(offer, 'not placed'));
  job.excluded[offer.driverId] = { until: now + REMOTE_REFUSED_COOLDOWN_MS, why: `was not free in shard ${offer.driverShard}` };
  job.offerId = null;
  search(state, job, now, ids, effects);
}

/**
 * The driver's shard reports an answer. Decided here, atomically, like a
 * local answer; idempotent: an offer already over reports how it ended.
 */
export function remoteAnswer(state: ShardState, body: AnswerBody, now: number, ids: IdSource, effects: Effect[]): AnswerResult {
  const offer = state.offers.get(body.offerId);
  const job = offer ? state.jobs.get(offer.orderId) : undefined;
  // Not this driver's, or forgotten (an hour after its order ended): over, as far as that driver is concerned.
  if (!offer || !job || !offer.driverShard || offer.driverId !== body.driverId) return { status: 'cancelled' };
  if (offer.status !== 'pending') return { status: offer.status };
  const shard = offer.driverShard;
  if (body.answer === 'accepted') {
    if (job.driverId !== null || job.offerId !== offer.offerId || job.endedAt !== null) {
      resolve(state, offer, 'cancelled', 'order no longer open', now, effects);
      return { status: 'cancelled' };
    }
    resolve(state, offer, 'accepted', 'accepted by driver', now, effects);
    job.driverId = offer.driverId;
    job.driverShard = shard;
    job.offerId = null;
    job.dispatch = 'assigned';
    effects.push(
      { type: 'note', orderId: job.orderId, kind: 'assigned', detail: { offerId: offer.offerId, driverId: offer.driverId, shardKey: shard } },
      event(state, 'dispatch.accepted', offer.offerId, job.orderId, now, { offerId: offer.offerId, driverId: offer.driverId, payoutCents: job.payoutCents }),
    );
    // Accepted here; the adapter answers the driver's shard only once Postgres has the assignment (ADR 0075).
    holdForCommit(job, offer.offerId, offer.driverId, now, effects);
    return { status: 'accepted' };
  }
  if (body.answer === 'declined') {
    resolve(state, offer, 'declined', body.reason ? `declined: ${body.reason}` : 'declined by driver', now, effects);
    job.excluded[offer.driverId] = { until: now + state.policy.declineCooldownMs, why: 'declined this order' };
  } else {
    resolve(state, offer, 'expired', `no answer within ${Math.round(job.offerTtlMs / 1000)} s`, now, effects);
    job.excluded[offer.driverId] = { until: now + state.policy.expiryCooldownMs, why: 'let an offer for this order expire' };
  }
  job.offerId = null;
  search(state, job, now, ids, effects);
  return { status: offer.status };
}

/** A position of the remote driver on this shard's order: watchers, breadcrumbs, arriving soon, as for a local driver. */
export function remoteTrip(state: ShardState, body: TripBody, now: number, effects: Effect[]): void {
  const job = state.jobs.get(body.orderId);
  if (!job || job.endedAt !== null || !job.driverShard || job.driverId !== body.driverId) return;
  job.remoteDriver = { vehicle: body.vehicle, position: body.position };
  tripProgress(state, job, body.driverId, body.vehicle, body.position, body.position.at, now, effects);
}

// ---- the shard of the driver ----------------------------------------------------

/** This shard's free drivers near another shard's pickup (read only: reserving happens in `hostOffer`). */
export function candidatesNear(state: ShardState, q: CandidateQuery, now: number): RemoteCandidate[] {
  const found = state.index.nearest(q.pickup.lat, q.pickup.lng, { k: q.k, radiusM: q.radiusM, minSeenAt: now - state.policy.silentAfterMs });
  const out: RemoteCandidate[] = [];
  for (const n of found) {
    const d = state.drivers.get(n.driverId);
    if (!d || !d.position || !isMatchable(d)) continue;
    out.push({ driverId: d.driverId, vehicle: d.vehicle, position: { lat: d.position.lat, lng: d.position.lng }, idleSince: d.idleSince, shardKey: state.shardKey });
  }
  return out;
}

export const hostedOfferMessage = (h: HostedOffer) =>
  ({ type: 'offer', offerId: h.offerId, orderId: h.orderId, pickup: h.pickup, dropoff: h.dropoff, payoutCents: h.payoutCents, expiresAt: iso(h.expiresAt), ...(h.shop ? { shop: h.shop } : {}) }) as const;

/** Reserves the driver for another shard's offer and sends it, or refuses. Idempotent per offer id. */
export function hostOffer(state: ShardState, req: HostRequest, now: number, ids: IdSource, effects: Effect[]): HostResult {
  const known = state.hosted.get(req.offerId);
  if (known) return known.status === 'pending' ? { placed: true } : { placed: false, reason: `the offer is already ${known.status}` };
  const d = state.drivers.get(req.driverId);
  const refusal = !d
    ? 'the driver is not in this shard'
    : !isMatchable(d)
      ? 'the driver is no longer free'
      : now - d.lastSeenAt > state.policy.silentAfterMs
        ? 'the driver went silent'
        : now >= req.expiresAt
          ? 'the offer expired on its way'
          : null;
  if (refusal || !d) return { placed: false, reason: refusal ?? 'unknown driver' };
  // The owner has one open offer per order: a newer one proves an older one is over there.
  for (const h of state.hosted.values()) {
    if (h.orderId === req.orderId && h.status === 'pending') closeHosted(state, h, 'cancelled', 'superseded by a newer offer for the order', now, ids, effects, true);
  }
  const h: HostedOffer = { ...req, offeredAt: now, status: 'pending', answer: null, resolvedAt: null, outcomeReason: null };
  state.hosted.set(h.offerId, h);
  d.offerId = h.offerId;
  syncIndex(state, d);
  effects.push(
    { type: 'saveHosted', offerId: h.offerId },
    { type: 'saveDriver', driverId: d.driverId },
    { type: 'setTimer', id: offerTimerId(h.offerId), kind: 'offer_expiry', fireAt: h.expiresAt, payload: h.offerId },
    { type: 'send', driverId: d.driverId, message: hostedOfferMessage(h) },
  );
  return { placed: true };
}

/** Ends a hosted offer here and frees its driver (who is told `offer.expired` when `tell`). */
function closeHosted(state: ShardState, h: HostedOffer, status: Exclude<OfferStatus, 'pending'>, reason: string, now: number, ids: IdSource, effects: Effect[], tell: boolean): void {
  h.status = status;
  h.resolvedAt = now;
  h.outcomeReason = reason;
  effects.push({ type: 'saveHosted', offerId: h.offerId }, { type: 'clearTimer', id: offerTimerId(h.offerId) }, housekeepingSoon(now));
  const d = state.drivers.get(h.driverId);
  if (!d || d.offerId !== h.offerId) return;
  if (tell) effects.push({ type: 'send', driverId: d.driverId, message: { type: 'offer.expired', offerId: h.offerId } });
  freeDriver(state, d, now, ids, effects, false);
}

/**
 * The driver (or the offer's timer) answers a hosted offer; the owner is told
 * (a call that must arrive). A decline or an expiry frees the driver at once:
 * the owner can only end the offer the same way. An acceptance keeps the
 * driver reserved until the owner confirms it.
 */
export function answerHosted(state: ShardState, driverId: string, offerId: string, answer: HostedAnswer, reason: string | null, now: number, ids: IdSource, effects: Effect[]): OfferAnswer {
  const h = state.hosted.get(offerId);
  if (!h || h.driverId !== driverId) return { ok: false, code: 'offer_not_found', detail: 'No such offer.' };
  if (h.status !== 'pending') return { ok: false, code: 'offer_closed', detail: `The offer is ${h.status}.` };
  if (h.answer !== null) return { ok: false, code: 'offer_closed', detail: 'The offer was already answered.' };
  const late = answer !== 'expired' && now >= h.expiresAt;
  const final: HostedAnswer = late ? 'expired' : answer;
  h.answer = final;
  effects.push(answerCall(h.ownerShard, { offerId, orderId: h.orderId, driverId, answer: final, reason }));
  if (final === 'accepted') {
    effects.push({ type: 'saveHosted', offerId });
    return { ok: true, orderId: h.orderId };
  }
  if (final === 'declined') closeHosted(state, h, 'declined', reason ? `declined: ${reason}` : 'declined by driver', now, ids, effects, false);
  else closeHosted(state, h, 'expired', 'no answer in time', now, ids, effects, true);
  return late ? { ok: false, code: 'offer_expired', detail: 'The offer expired.' } : { ok: true, orderId: h.orderId };
}

/** The hosted offer's timer fired. Idempotent; an acceptance waiting for the owner is the owner's to end. */
export function hostedTimerFired(state: ShardState, offerId: string, now: number, ids: IdSource, effects: Effect[]): void {
  const h = state.hosted.get(offerId);
  if (!h || h.status !== 'pending' || h.answer !== null) return;
  answerHosted(state, h.driverId, offerId, 'expired', null, now, ids, effects);
}

/** The owner's word on an answer this shard reported. Only an acceptance waits for it. */
export function hostedAnswered(state: ShardState, offerId: string, status: OfferStatus, now: number, ids: IdSource, effects: Effect[]): void {
  const h = state.hosted.get(offerId);
  if (!h || h.status !== 'pending' || h.answer !== 'accepted') return;
  if (status !== 'accepted') {
    effects.push({ type: 'send', driverId: h.driverId, message: { type: 'error', code: status === 'expired' ? 'offer_expired' : 'offer_closed', detail: `The order's shard answered: ${status}.` } });
    closeHosted(state, h, status === 'pending' ? 'cancelled' : status, `not confirmed by shard ${h.ownerShard}: ${status}`, now, ids, effects, false);
    return;
  }
  h.status = 'accepted';
  h.resolvedAt = now;
  h.outcomeReason = 'accepted by driver';
  effects.push({ type: 'saveHosted', offerId }, { type: 'clearTimer', id: offerTimerId(offerId) }, housekeepingSoon(now));
  const d = state.drivers.get(h.driverId);
  if (!d || d.offerId !== offerId) return;
  d.offerId = null;
  d.orderId = h.orderId;
  d.orderShard = h.ownerShard;
  syncIndex(state, d);
  effects.push({ type: 'saveDriver', driverId: d.driverId }, { type: 'send', driverId: d.driverId, message: { type: 'assignment', orderId: h.orderId } });
}

/** The owner ended a hosted offer. An offer never seen here is kept as a tombstone, so a late placement is refused. */
export function withdrawHosted(state: ShardState, body: WithdrawBody, now: number, ids: IdSource, effects: Effect[]): void {
  const h = state.hosted.get(body.offerId);
  if (h) {
    if (h.status === 'pending') closeHosted(state, h, 'cancelled', `withdrawn: ${body.reason}`, now, ids, effects, true);
    return;
  }
  const tombstone: HostedOffer = {
    offerId: body.offerId, orderId: body.orderId, driverId: body.driverId, ownerShard: '', pickup: { lat: 0, lng: 0 }, dropoff: { lat: 0, lng: 0 },
    payoutCents: 0, offeredAt: now, expiresAt: now, status: 'cancelled', answer: null, resolvedAt: now, outcomeReason: `withdrawn before it arrived: ${body.reason}`,
  };
  state.hosted.set(tombstone.offerId, tombstone);
  effects.push({ type: 'saveHosted', offerId: tombstone.offerId }, housekeepingSoon(now));
}

/** The owner's order ended: its driver here is free again. Idempotent. */
export function releaseRemoteOrder(state: ShardState, body: ReleaseBody, now: number, ids: IdSource, effects: Effect[]): void {
  const d = state.drivers.get(body.driverId);
  if (!d || d.orderId !== body.orderId) return;
  if (body.reason) tellReleased(d, body.orderId, body.silentSeconds ?? 0, now, effects);
  else if (body.cancelled) effects.push({ type: 'send', driverId: d.driverId, message: { type: 'assignment.cancelled', orderId: body.orderId } });
  d.orderShard = null;
  freeDriver(state, d, now, ids, effects, true);
}

/** A reconnecting driver gets its open hosted offer again. */
export function resendHosted(state: ShardState, offerId: string | null, effects: Effect[]): void {
  const h = offerId ? state.hosted.get(offerId) : undefined;
  if (h && h.status === 'pending' && h.answer === null) effects.push({ type: 'send', driverId: h.driverId, message: hostedOfferMessage(h) });
}

/** Forgets hosted offers ended before `before` (memory); returns when the oldest one kept ended (Infinity: none). */
export function forgetHosted(state: ShardState, before: number): number {
  let oldestKept = Infinity;
  for (const [id, h] of state.hosted) {
    if (h.status === 'pending') continue;
    if ((h.resolvedAt ?? 0) < before) state.hosted.delete(id);
    else oldestKept = Math.min(oldestKept, h.resolvedAt ?? 0);
  }
  return oldestKept;
}
