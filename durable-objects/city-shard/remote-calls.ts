/**
 * What shards say to each other for cross-shard matching (ADR 0060): the
 * shard that owns an order (its pickup's shard) decides the order; the shard
 * that holds a driver decides the driver. Plain data, because it crosses RPC.
 *
 * Direct calls, whose answer feeds a step at once (lost ones are covered by
 * timers): `candidatesNear` (owner → neighbours), `hostOffer` (owner → the
 * driver's shard). Calls that must arrive are `RemoteCall`s: written in the
 * step that decides them, sent after it, and retried from the alarm until the
 * other shard answers; each is idempotent there.
 */
import type { CandidateDriver, Vehicle } from './matching';
import type { Effect, HostedAnswer, HostedOffer, Job, Offer, OfferStatus, Position, ShardState } from './model';
import type { LatLng } from './geo';

/** Owner → neighbour: your free drivers near this pickup. */
export interface CandidateQuery {
  pickup: LatLng;
  radiusM: number;
  k: number;
}

/** Owner → the driver's shard: reserve this driver and offer it the order, or refuse. */
export type HostRequest = Pick<HostedOffer, 'offerId' | 'orderId' | 'driverId' | 'ownerShard' | 'pickup' | 'dropoff' | 'payoutCents' | 'expiresAt'> & Pick<Partial<HostedOffer>, 'shop'>;

export type HostResult = { placed: true } | { placed: false; reason: string };

/** The driver's shard → owner: what the driver (or the host's timer) said. The owner decides. */
export interface AnswerBody {
  offerId: string;
  orderId: string;
  driverId: string;
  answer: HostedAnswer;
  reason: string | null;
}

/** The offer's status at the owner once the answer is applied (the final word). */
export interface AnswerResult {
  status: OfferStatus;
}

/** Owner → the driver's shard: the offer is over (order cancelled, owner gave up waiting). */
export interface WithdrawBody {
  offerId: string;
  orderId: string;
  driverId: string;
  reason: string;
}

/**
 * Owner → the driver's shard: the order ended; `cancelled` tells the driver
 * `assignment.cancelled`. With `reason`, the order was taken from the silent
 * driver (ADR 0079): the driver is told `assignment.released`.
 */
export interface ReleaseBody {
  orderId: string;
  driverId: string;
  cancelled: boolean;
  reason?: 'driver_unresponsive' | undefined;
  silentSeconds?: number | undefined;
}

/** The driver's shard → owner: where the driver on the owner's order is (best effort, coalesced). */
export interface TripBody {
  orderId: string;
  driverId: string;
  vehicle: Vehicle;
  position: Position;
}

export type RemoteCall = { id: string; shardKey: string } & (
  | { kind: 'answer'; body: AnswerBody }
  | { kind: 'withdraw'; body: WithdrawBody }
  | { kind: 'release'; body: ReleaseBody }
);

/** A neighbour's candidate as the owner ranks it: the same fields as its own drivers, plus the shard. */
export type RemoteCandidate = CandidateDriver & { shardKey: string };

const call = (c: RemoteCall): Effect => ({ type: 'remoteCall', call: c });

/** The host of a remote offer is told it is over (idempotent there; a tombstone if it never saw the offer). */
export const withdrawCall = (offer: Offer, reason: string): Effect =>
  call({ id: `withdraw:${offer.offerId}`, shardKey: offer.driverShard!, kind: 'withdraw', body: { offerId: offer.offerId, orderId: offer.orderId, driverId: offer.driverId, reason } });

/** The shard of a job's remote driver is told the order ended. */
export const releaseCall = (job: Job, cancelled: boolean, released?: { reason: 'driver_unresponsive'; silentSeconds: number }): Effect =>
  call({ id: `release:${job.orderId}:${job.driverId}`, shardKey: job.driverShard!, kind: 'release', body: { orderId: job.orderId, driverId: job.driverId!, cancelled, ...released } });

/** The owner is told the driver's (or the timer's) answer to a hosted offer. */
export const answerCall = (ownerShard: string, body: AnswerBody): Effect => call({ id: `answer:${body.offerId}`, shardKey: ownerShard, kind: 'answer', body });

/** Remote drivers this shard already has an open offer with (for another order) are not candidates. */
export function withoutOpenOffers(state: ShardState, remote: readonly CandidateDriver[]): CandidateDriver[] {
  const busy = new Set<string>();
  for (const o of state.offers.values()) if (o.status === 'pending' && o.driverShard) busy.add(o.driverId);
  return remote.filter((c) => !busy.has(c.driverId));
}
