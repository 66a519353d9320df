/**
 * Placing an offer: the offer row, the driver held (or the driver's shard
 * asked), its timer, the message the driver sees (a stacked one names the
 * order carried, batch-dispatch.ts) and the `dispatch.offered` fact.
 */
import { batchOfferPart } from './batch-dispatch';
import type { RankedCandidate } from './matching';
import { iso, syncIndex, type DriverLive, type Effect, type IdSource, type Job, type Offer, type ShardState } from './model';
import { event, offerTimerId, REMOTE_GRACE_MS, retryTimerId } from './offers';

/** Offers the job to the chosen driver: this shard's (`driver`), or another shard's through it. */
export function placeOffer(state: ShardState, job: Job, winner: RankedCandidate, driver: DriverLive | undefined, why: Pick<Offer, 'radiusM' | 'reason' | 'candidates' | 'batch'>, now: number, ids: IdSource, effects: Effect[]): void {
  const offer: Offer = {
    offerId: ids.offerId(),
    orderId: job.orderId,
    driverId: winner.driverId,
    round: job.round + 1,
    status: 'pending',
    offeredAt: now,
    expiresAt: now + job.offerTtlMs,
    resolvedAt: null,
    outcomeReason: null,
    ...why,
  };
  if (!offer.batch) delete offer.batch;
  state.offers.set(offer.offerId, offer);
  job.round = offer.round;
  job.offerId = offer.offerId;
  job.unassignedSince = null;
  if (driver) {
    driver.offerId = offer.offerId;
    syncIndex(state, driver);
    effects.push(
      { type: 'saveDriver', driverId: driver.driverId },
      { type: 'setTimer', id: offerTimerId(offer.offerId), kind: 'offer_expiry', fireAt: offer.expiresAt, payload: offer.offerId },
      { type: 'send', driverId: driver.driverId, message: offerMessage(offer, job, state) },
    );
  } else {
    // The driver's shard reserves the driver (or refuses), sends the offer and keeps its timer;
    // this timer is only the backstop for a shard that never reports back.
    offer.driverShard = winner.shardKey!;
    effects.push(
      { type: 'setTimer', id: offerTimerId(offer.offerId), kind: 'offer_expiry', fireAt: offer.expiresAt + REMOTE_GRACE_MS, payload: offer.offerId },
      { type: 'placeRemote', offerId: offer.offerId },
    );
  }
  effects.push(
    { type: 'saveOffer', offerId: offer.offerId },
    { type: 'clearTimer', id: retryTimerId(job.orderId) },
    event(state, 'dispatch.offered', offer.offerId, job.orderId, now, {
      offerId: offer.offerId,
      driverId: winner.driverId,
      round: offer.round,
      expiresAt: iso(offer.expiresAt),
      payoutCents: job.payoutCents,
      candidates: offer.candidates,
      reason: offer.reason,
      distanceM: winner.distanceM,
      etaSeconds: winner.etaSeconds,
      score: winner.score,
    }),
  );
  job.dispatch = 'offered';
  effects.push({ type: 'saveJob', orderId: job.orderId });
}

/** The offer as the driver sees it; a stacked one names the order already carried and the route (batch-dispatch.ts). */
export const offerMessage = (offer: Offer, job: Job, state?: ShardState) =>
  ({
    type: 'offer',
    offerId: offer.offerId,
    orderId: job.orderId,
    pickup: job.pickup,
    dropoff: job.dropoff,
    payoutCents: job.payoutCents,
    expiresAt: iso(offer.expiresAt),
    ...(job.shop ? { shop: job.shop } : {}),
    ...(job.scheduledFor ? { scheduledFor: job.scheduledFor } : {}),
    ...(offer.batch && state ? { batch: batchOfferPart(state, offer.batch, job) } : {}),
  }) as const;
