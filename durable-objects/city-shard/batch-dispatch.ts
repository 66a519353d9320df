/**
 * Batching in the shard (ADR 0105): which driver already on an order may be
 * offered a new one stacked on it, what the offer shows, and what happens to
 * the pair as each order moves on. The rule itself is batching.ts; this is
 * the shard's side of it. Every search with batching on records, in the
 * decision log, each carrier considered and its reason code.
 *
 * A driver carries at most two orders: `driver.orderId` is the one it took
 * first (its trip, its silence watch), and the two jobs name each other in
 * `batchWith`. When the first ends, the driver moves on to the second
 * instead of being freed.
 */
import { DEFAULT_BATCH_RULES, evaluateBatch, type BatchDecision, type BatchOrder, type BatchRules } from './batching';
import { distanceM } from './geo';
import type { BatchStop, DriverLive, Effect, IdSource, Job, NoteDetail, Offer, ShardState } from './model';
import { resolve, search } from './offers';

export interface StackedChoice {
  driver: DriverLive;
  carrier: Job;
  decision: BatchDecision;
}

/** Why a carrier was not even measured (the rule's own codes are in batching.ts). */
export type CarrierReason = 'driver_gone' | 'driver_silent' | 'driver_unavailable' | 'driver_has_offer' | 'driver_has_two_orders' | 'driver_excluded';

const rulesFor = (state: ShardState, job: Job): BatchRules | null =>
  job.batching ? { ...DEFAULT_BATCH_RULES, ...job.batching, detourFactor: state.policy.detourFactor } : null;

const asBatchOrder = (job: Job): BatchOrder => ({ orderId: job.orderId, pickup: job.pickup, dropoff: job.dropoff, promisedBy: job.promisedBy ?? null, pickedUp: job.dispatch === 'picked_up' });

/** A job a second order may be stacked on: this shard's driver on it, committed, not stacked yet. */
const isCarrier = (j: Job, job: Job): boolean =>
  j !== job && j.endedAt === null && j.driverId !== null && !j.driverShard && !j.pendingAssignment && !j.batchWith && (j.dispatch === 'assigned' || j.dispatch === 'picked_up');

function carrierUnfit(state: ShardState, driver: DriverLive | undefined, carrier: Job, excluded: ReadonlyMap<string, string>, now: number): CarrierReason | null {
  if (!driver?.position) return 'driver_gone';
  if (excluded.has(driver.driverId)) return 'driver_excluded';
  if (now - driver.lastSeenAt > state.policy.silentAfterMs) return 'driver_silent';
  if (!driver.available) return 'driver_unavailable';
  if (driver.offerId !== null) return 'driver_has_offer';
  if (driver.orderId !== carrier.orderId) return 'driver_has_two_orders';
  return null;
}

/**
 * The best carrier for `job` (least delay to its first order), or null. A
 * job without batching settings (the city has it off, or an older Worker)
 * is never stacked; with them, each carrier whose pickup is near enough to
 * be worth measuring gets a line in the `batch` note.
 */
export function findBatch(state: ShardState, job: Job, excluded: ReadonlyMap<string, string>, now: number, effects: Effect[]): StackedChoice | null {
  const rules = rulesFor(state, job);
  if (!rules) return null;
  if (!rules.enabled) {
    if (job.round === 0 && job.unassignedSince === null) effects.push({ type: 'note', orderId: job.orderId, kind: 'batch', detail: { batch: [{ driverId: '', withOrderId: '', reason: 'batching_off', detail: 'batching is off in this city' }] } });
    return null;
  }
  const considered: NonNullable<NoteDetail['batch']> = [];
  let best: StackedChoice | null = null;
  for (const carrier of state.jobs.values()) {
    if (!isCarrier(carrier, job)) continue;
    // Not worth a line: far beyond the pickups' gap.
    if (distanceM(carrier.pickup, job.pickup) > 2 * rules.maxPickupGapM) continue;
    const driver = state.drivers.get(carrier.driverId!);
    const unfit = carrierUnfit(state, driver, carrier, excluded, now);
    if (unfit) {
      considered.push({ driverId: carrier.driverId!, withOrderId: carrier.orderId, reason: unfit, detail: unfit.replaceAll('_', ' ') });
      continue;
    }
    const decision = evaluateBatch(driver!.position!, driver!.vehicle, asBatchOrder(carrier), asBatchOrder(job), now, rules);
    considered.push({ driverId: driver!.driverId, withOrderId: carrier.orderId, reason: decision.reason, detail: decision.detail, addedM: decision.addedM, addedSeconds: decision.addedSeconds });
    if (decision.ok && (!best || decision.addedSeconds < best.decision.addedSeconds)) best = { driver: driver!, carrier, decision };
  }
  if (considered.length > 0) effects.push({ type: 'note', orderId: job.orderId, kind: 'batch', detail: { batch: considered } });
  return best;
}

/** What a stacked offer adds to the offer message: the order carried, the route, and the pay of both. */
export function batchOfferPart(state: ShardState, batch: NonNullable<Offer['batch']>, job: Job) {
  const carried = state.jobs.get(batch.withOrderId);
  return {
    withOrderId: batch.withOrderId,
    stops: batch.stops,
    // What both assignments credit: the carried order's committed payout and this one's.
    totalPayoutCents: (carried?.payoutCents ?? 0) + job.payoutCents,
    ...(carried ? { with: { orderId: carried.orderId, pickup: carried.pickup, dropoff: carried.dropoff, payoutCents: carried.payoutCents, pickedUp: carried.dispatch === 'picked_up', ...(carried.shop ? { shop: carried.shop } : {}) } } : {}),
  };
}

/** The stacked order was accepted: the two jobs name each other. */
export function linkBatch(state: ShardState, job: Job, withOrderId: string, effects: Effect[]): void {
  const carried = state.jobs.get(withOrderId);
  job.batchWith = withOrderId;
  if (carried) {
    carried.batchWith = job.orderId;
    effects.push({ type: 'saveJob', orderId: carried.orderId });
  }
}

/** The driver's live orders: the one it carries and the one stacked on it, if any. */
export function ordersOf(state: ShardState, driver: DriverLive): Job[] {
  const first = driver.orderId ? state.jobs.get(driver.orderId) : undefined;
  if (!first) return [];
  const second = first.batchWith ? state.jobs.get(first.batchWith) : undefined;
  return second && second.endedAt === null && second.driverId === driver.driverId ? [first, second] : [first];
}

/**
 * For the session frame (ADR 0105): the order stacked on the one the driver
 * carries and the route through both, so an app that reloads or reconnects
 * finds the second order again. The route is the accepted offer's; once that
 * offer is forgotten, the pickups still due, then the drop-offs.
 */
export function stackedSession(state: ShardState, driver: DriverLive): { orderId: string; stops: BatchStop[] } | null {
  const jobs = ordersOf(state, driver);
  const second = jobs[1];
  if (!second) return null;
  for (const o of state.offers.values()) {
    if (o.orderId === second.orderId && o.status === 'accepted' && o.batch) return { orderId: second.orderId, stops: o.batch.stops };
  }
  return {
    orderId: second.orderId,
    stops: [
      ...jobs.filter((j) => j.dispatch !== 'picked_up').map((j) => ({ orderId: j.orderId, kind: 'pickup' as const })),
      ...jobs.map((j) => ({ orderId: j.orderId, kind: 'dropoff' as const })),
    ],
  };
}

/**
 * `job` ends while its driver holds it. With a live stacked partner the
 * driver moves on to it (true: not freed); a stacked offer resting on `job`
 * is withdrawn and its order searched again.
 */
export function batchPartnerEnded(state: ShardState, job: Job, driver: DriverLive, now: number, ids: IdSource, effects: Effect[]): boolean {
  const open = driver.offerId ? state.offers.get(driver.offerId) : undefined;
  if (open && open.status === 'pending' && open.batch?.withOrderId === job.orderId) {
    const stackedJob = state.jobs.get(open.orderId);
    resolve(state, open, 'cancelled', `the order it was stacked on (${job.orderId}) ended`, now, effects);
    driver.offerId = null;
    effects.push({ type: 'send', driverId: driver.driverId, message: { type: 'offer.expired', offerId: open.offerId } });
    if (stackedJob) {
      stackedJob.offerId = null;
      search(state, stackedJob, now, ids, effects);
    }
  }
  const partner = job.batchWith ? state.jobs.get(job.batchWith) : undefined;
  if (!partner || partner.endedAt !== null || partner.driverId !== driver.driverId) return false;
  driver.orderId = partner.orderId;
  effects.push({ type: 'saveDriver', driverId: driver.driverId }, { type: 'saveJob', orderId: partner.orderId });
  return true;
}

export type { BatchStop };
