/**
 * The shard's transitions: `reduce(state, input, now, ids) -> { state, effects, result }`.
 * No I/O, no clock, no randomness: the adapter passes the time and an id
 * source in, and carries the effects out (sockets, SQLite, timers, outbox).
 * For speed the state is updated in place (a copy of 10,000 drivers per
 * ping is not an option); the shard is single-threaded, so nothing observes
 * a half-applied step. See docs/decisions/0033-shard-state-transitions.md.
 */
import {
  answerHosted,
  forgetHosted,
  gathered,
  hostedAnswered,
  hostedTimerFired,
  hostOffer,
  releaseRemoteOrder,
  remoteAnswer,
  remotePlaced,
  remoteTrip,
  resendHosted,
  withdrawHosted,
} from './cross-shard';
import { COUNTER, judge, type IngestSummary } from './fixes';
import { isVehicle, type DispatchPolicy, type Vehicle } from './matching';
import { driverStatus, isMatchable, newDriver, syncIndex, type DriverLive, type Effect, type IdSource, type OfferStatus, type ShardState, type Step, type TimerKind } from './model';
import {
  acceptOffer,
  assignmentCommitted,
  cancelDispatch,
  commitTimerFired,
  confirmedOrderOf,
  declineOffer,
  HOUR_MS,
  offerMessage,
  offerTimerFired,
  offerUnassignedTo,
  orderStatusChanged,
  requestDispatch,
  retryTimerFired,
  type CommitOutcome,
  type DispatchRequest,
  type DispatchView,
} from './offers';
import { assertNever, parseFixTime, type ChatNudge, type DispatchState, type DriverMessage, type LocationPoint, type OrderStatus } from '../../domain/protocol/city-shard';
import type { AnswerBody, AnswerResult, HostRequest, HostResult, ReleaseBody, RemoteCandidate, TripBody, WithdrawBody } from './remote-calls';
import { deliverNotice, driverStepped, noticeSeen, releaseCommitted, releaseTimerFired, silenceTimerFired, type CommitReleaseOutcome } from './silence';
import { tripProgress } from './trip';
import { ordersOf, stackedSession } from './batch-dispatch';
import { chatPosted, operatorAssigned, operatorMessage, operatorOffline, type OperatorAssignment, type OperatorAssignResult } from './operator';
import { DriverIndex } from './spatial';
import type { LatLng } from './geo';

/** Ended jobs stay in memory this long, and in SQLite (the decision log) this long. */
export const ENDED_JOB_MEMORY_MS = HOUR_MS;
export const ENDED_JOB_STORAGE_MS = 24 * HOUR_MS;
export { ARRIVING_SOON_M, ARRIVING_SOON_SECONDS } from './trip';
export type { IngestSummary } from './fixes';

export type ShardInput =
  | { type: 'driver.connected'; driverId: string; vehicle: Vehicle }
  | { type: 'driver.disconnected'; driverId: string }
  | { type: 'driver.message'; driverId: string; message: DriverMessage }
  | { type: 'driver.locations'; driverId: string; vehicle: Vehicle; points: LocationPoint[] }
  | { type: 'driver.upserted'; driverId: string; vehicle: Vehicle; lat: number; lng: number; heading: number | null; speed: number | null; available: boolean; at: number }
  | { type: 'dispatch.requested'; request: DispatchRequest }
  | { type: 'dispatch.cancelled'; orderId: string; reason: string }
  | { type: 'order.status'; orderId: string; status: OrderStatus; dispatch: DispatchState | null; seq?: number | undefined; at?: string | undefined; driverId?: string | undefined }
  /** Postgres answered the commit of a pending assignment (ADR 0075), or of a silent driver's release (ADR 0079). */
  | { type: 'assignment.committed'; orderId: string; offerId: string; outcome: CommitOutcome; reason: string | null }
  | { type: 'release.committed'; orderId: string; driverId: string; outcome: CommitReleaseOutcome; reason: string | null }
  | { type: 'timer.fired'; kind: TimerKind; payload: string }
  // Cross-shard matching (ADR 0060). As the order's owner: the neighbours' candidates, the placement's
  // outcome, the remote driver's answer and trip positions. As the driver's shard: a placement, the
  // owner's word on an answer, a withdrawal, the end of the remote order.
  | { type: 'dispatch.gathered'; orderId: string; seq: number; remote: RemoteCandidate[]; unanswered: string[] }
  | { type: 'remote.placed'; offerId: string; result: HostResult; unknown: boolean }
  | { type: 'remote.answer'; body: AnswerBody }
  | { type: 'remote.trip'; body: TripBody }
  | { type: 'remote.host'; request: HostRequest }
  | { type: 'remote.answered'; offerId: string; status: OfferStatus }
  | { type: 'remote.withdraw'; body: WithdrawBody }
  | { type: 'remote.release'; body: ReleaseBody }
  // Operators (ADR 0112; operator.ts): facts Postgres already holds.
  | { type: 'operator.assigned'; assignment: OperatorAssignment }
  | { type: 'operator.offline'; driverId: string; reason: string }
  | { type: 'operator.message'; driverId: string; text: string }
  /** A message was stored in one of the order's threads (ADR 0113): its parties on live channels are nudged. */
  | { type: 'chat.posted'; nudge: ChatNudge; driverId: string | null };

export interface ResultOf {
  'driver.connected': void;
  'driver.disconnected': void;
  'driver.message': void;
  'driver.locations': IngestSummary;
  'driver.upserted': void;
  'dispatch.requested': DispatchView;
  'dispatch.cancelled': DispatchView | null;
  'order.status': void;
  'assignment.committed': void;
  'release.committed': void;
  'timer.fired': void;
  'dispatch.gathered': void;
  'remote.placed': void;
  'remote.answer': AnswerResult;
  'remote.trip': void;
  'remote.host': HostResult;
  'remote.answered': void;
  'remote.withdraw': void;
  'remote.release': void;
  'operator.assigned': OperatorAssignResult;
  'operator.offline': boolean;
  'operator.message': boolean;
  'chat.posted': void;
}

export function createState(shardKey: string, origin: LatLng, policy: DispatchPolicy): ShardState {
  return { shardKey, policy, index: new DriverIndex({ origin }), drivers: new Map(), jobs: new Map(), offers: new Map(), hosted: new Map() };
}

export function reduce<I extends ShardInput>(state: ShardState, input: I, now: number, ids: IdSource): Step<ResultOf[I['type']]> {
  const effects: Effect[] = [];
  const result = apply(state, input, now, ids, effects);
  return { state, effects, result: result as ResultOf[I['type']] };
}

function apply(state: ShardState, input: ShardInput, now: number, ids: IdSource, effects: Effect[]): ResultOf[keyof ResultOf] {
  switch (input.type) {
    case 'driver.connected':
      return connected(state, input.driverId, input.vehicle, now, ids, effects);
    case 'driver.disconnected': {
      const d = state.drivers.get(input.driverId);
      if (d) {
        d.connected = false;
        effects.push({ type: 'saveDriver', driverId: d.driverId });
      }
      return;
    }
    case 'driver.message':
      return driverMessage(state, input.driverId, input.message, now, ids, effects);
    case 'driver.locations': {
      const d = driverFor(state, input.driverId, input.vehicle, now);
      return ingest(state, d, input.points, now, ids, effects, false);
    }
    case 'driver.upserted': {
      const d = driverFor(state, input.driverId, input.vehicle, now);
      d.available = input.available;
      d.position = { lat: input.lat, lng: input.lng, heading: input.heading, speed: input.speed, accuracy: null, at: input.at };
      d.lastSeenAt = now;
      state.index.upsert(d.driverId, input.lat, input.lng, isMatchable(d), now);
      effects.push({ type: 'saveDriver', driverId: d.driverId });
      offerUnassignedTo(state, d, now, ids, effects);
      return;
    }
    case 'dispatch.requested':
      return requestDispatch(state, input.request, now, ids, effects);
    case 'dispatch.cancelled':
      return cancelDispatch(state, input.orderId, input.reason, now, ids, effects);
    case 'order.status':
      if (input.driverId) driverStepped(state, input.driverId, now);
      return orderStatusChanged(state, { orderId: input.orderId, status: input.status, dispatch: input.dispatch, seq: input.seq, at: input.at }, now, ids, effects);
    case 'assignment.committed':
      return assignmentCommitted(state, input.orderId, input.offerId, input.outcome, input.reason, now, ids, effects);
    case 'release.committed':
      return releaseCommitted(state, input.orderId, input.driverId, input.outcome, input.reason, now, ids, effects);
    case 'timer.fired':
      return timerFired(state, input.kind, input.payload, now, ids, effects);
    case 'dispatch.gathered':
      return gathered(state, input.orderId, input.seq, input.remote, input.unanswered, now, ids, effects);
    case 'remote.placed':
      return remotePlaced(state, input.offerId, input.result, input.unknown, now, ids, effects);
    case 'remote.answer':
      return remoteAnswer(state, input.body, now, ids, effects);
    case 'remote.trip':
      return remoteTrip(state, input.body, now, effects);
    case 'remote.host':
      return hostOffer(state, input.request, now, ids, effects);
    case 'remote.answered':
      return hostedAnswered(state, input.offerId, input.status, now, ids, effects);
    case 'remote.withdraw':
      return withdrawHosted(state, input.body, now, ids, effects);
    case 'remote.release':
      return releaseRemoteOrder(state, input.body, now, ids, effects);
    case 'operator.assigned':
      return operatorAssigned(state, input.assignment, now, ids, effects);
    case 'operator.offline': {
      const d = state.drivers.get(input.driverId);
      if (!d) return false;
      operatorOffline(d, input.reason, now, effects);
      setAvailability(state, d, false, now, ids, effects);
      return true;
    }
    case 'operator.message':
      return operatorMessage(state, input.driverId, input.text, now, effects);
    case 'chat.posted':
      return chatPosted(input.nudge, input.driverId, effects);
    default:
      return assertNever(input);
  }
}

function driverFor(state: ShardState, driverId: string, vehicle: Vehicle, now: number): DriverLive {
  let d = state.drivers.get(driverId);
  if (!d) {
    d = newDriver(driverId, vehicle, now);
    state.drivers.set(driverId, d);
  } else if (isVehicle(vehicle)) {
    d.vehicle = vehicle;
  }
  return d;
}

function seen(state: ShardState, d: DriverLive, now: number): void {
  d.lastSeenAt = now;
  state.index.touch(d.driverId, now);
}

/** A (re)connecting driver gets its state back: session, then its open offer or assignment. */
function connected(state: ShardState, driverId: string, vehicle: Vehicle, now: number, ids: IdSource, effects: Effect[]): void {
  const d = driverFor(state, driverId, vehicle, now);
  d.connected = true;
  seen(state, d, now);
  effects.push({ type: 'saveDriver', driverId }, sessionOf(state, d, now));
  deliverNotice(d, now, effects);
  const offer = d.offerId ? state.offers.get(d.offerId) : undefined;
  const offerJob = offer ? state.jobs.get(offer.orderId) : undefined;
  if (offer && offerJob && offer.status === 'pending') effects.push({ type: 'send', driverId, message: offerMessage(offer, offerJob, state) });
  else resendHosted(state, d.offerId, effects);
  // An assignment Postgres has not confirmed yet is sent when it is (offers.ts assignmentCommitted).
  const confirmed = confirmedOrderOf(state, d);
  if (confirmed) effects.push({ type: 'send', driverId, message: { type: 'assignment', orderId: confirmed } });
  offerUnassignedTo(state, d, now, ids, effects);
}

function sessionOf(state: ShardState, d: DriverLive, now: number): Effect {
  return { type: 'send', driverId: d.driverId, message: { type: 'session', v: 1, driverId: d.driverId, status: driverStatus(d, now, state.policy), available: d.available, orderId: confirmedOrderOf(state, d), stacked: stackedSession(state, d) } };
}

function driverMessage(state: ShardState, driverId: string, message: DriverMessage, now: number, ids: IdSource, effects: Effect[]): void {
  const d = state.drivers.get(driverId);
  if (!d) {
    effects.push({ type: 'send', driverId, message: { type: 'error', code: 'not_connected', detail: 'Connect before sending messages.' } });
    return;
  }
  noticeSeen(d, effects);
  switch (message.type) {
    case 'location':
      ingest(state, d, [message], now, ids, effects, true);
      return;
    case 'locations':
      ingest(state, d, message.points, now, ids, effects, true);
      return;
    case 'availability':
      seen(state, d, now);
      setAvailability(state, d, message.available, now, ids, effects);
      return;
    case 'offer.accept': {
      seen(state, d, now);
      // An offer of another shard's order is answered through its owner (cross-shard.ts).
      const answer = state.hosted.has(message.offerId)
        ? answerHosted(state, driverId, message.offerId, 'accepted', null, now, ids, effects)
        : acceptOffer(state, driverId, message.offerId, now, ids, effects);
      if (!answer.ok) effects.push({ type: 'send', driverId, message: { type: 'error', code: answer.code, detail: answer.detail } });
      return;
    }
    case 'offer.decline': {
      seen(state, d, now);
      const answer = state.hosted.has(message.offerId)
        ? answerHosted(state, driverId, message.offerId, 'declined', message.reason ?? null, now, ids, effects)
        : declineOffer(state, driverId, message.offerId, message.reason, now, ids, effects);
      if (!answer.ok) effects.push({ type: 'send', driverId, message: { type: 'error', code: answer.code, detail: answer.detail } });
      return;
    }
    case 'ping':
      seen(state, d, now);
      effects.push({ type: 'send', driverId, message: { type: 'pong' } });
      return;
    default:
      assertNever(message);
  }
}

function setAvailability(state: ShardState, d: DriverLive, available: boolean, now: number, ids: IdSource, effects: Effect[]): void {
  if (d.available !== available) {
    d.available = available;
    if (available && d.orderId === null) d.idleSince = now;
    // Going unavailable with an offer open answers it: the next driver need not wait for the timer.
    if (!available && d.offerId) {
      if (state.hosted.has(d.offerId)) answerHosted(state, d.driverId, d.offerId, 'declined', 'went unavailable', now, ids, effects);
      else declineOffer(state, d.driverId, d.offerId, 'went unavailable', now, ids, effects);
    }
    syncIndex(state, d);
    effects.push({ type: 'saveDriver', driverId: d.driverId });
  }
  effects.push(sessionOf(state, d, now));
  offerUnassignedTo(state, d, now, ids, effects);
}

/** Applies fixes oldest first; refused ones change nothing but the counters. */
function ingest(state: ShardState, d: DriverLive, points: readonly LocationPoint[], now: number, ids: IdSource, effects: Effect[], replyOnSocket: boolean): IngestSummary {
  const summary: IngestSummary = { accepted: 0, duplicate: 0, outOfOrder: 0, implausibleJump: 0, future: 0, inaccurate: 0 };
  const wasFresh = now - d.lastSeenAt <= state.policy.silentAfterMs;
  const hadPosition = d.position !== null;
  seen(state, d, now);
  const ordered = points.length > 1 ? [...points].sort((a, b) => parseFixTime(a.at) - parseFixTime(b.at)) : points;
  let moved = false;
  for (const p of ordered) {
    const at = parseFixTime(p.at);
    const rejected = judge(d, p, at, now);
    if (rejected) {
      summary[COUNTER[rejected]]++;
      if (rejected === 'implausible_jump') d.flaggedPoints++;
      // Retries (duplicates, late arrivals) are normal; only refusals the device should know about are reported.
      if (replyOnSocket && rejected !== 'duplicate' && rejected !== 'out_of_order') effects.push({ type: 'send', driverId: d.driverId, message: { type: 'location.rejected', at: p.at, reason: rejected } });
      continue;
    }
    summary.accepted++;
    moved = true;
    d.suspect = null;
    d.position = { lat: p.lat, lng: p.lng, heading: p.heading ?? null, speed: p.speed ?? null, accuracy: p.accuracy ?? null, at };
    state.index.upsert(d.driverId, p.lat, p.lng, isMatchable(d), now);
    if (d.orderId) onTrip(state, d, at, now, effects);
  }
  // The first fix is written at once (a driver without one cannot be matched); later ones in batches.
  if (moved) effects.push({ type: hadPosition ? 'moveDriver' : 'saveDriver', driverId: d.driverId });
  if (summary.implausibleJump > 0) effects.push({ type: 'saveDriver', driverId: d.driverId });
  // On another shard's order: that shard's watchers follow the trip (the adapter coalesces).
  if (moved && d.orderId && d.orderShard) effects.push({ type: 'relayTrip', shardKey: d.orderShard, orderId: d.orderId, driverId: d.driverId, vehicle: d.vehicle, position: d.position! });
  // Back from silence (or first fix): unassigned orders nearby are tried again.
  if (moved && (!wasFresh || !hadPosition)) offerUnassignedTo(state, d, now, ids, effects);
  return summary;
}

/** A driver on a trip (trip.ts): watchers, breadcrumbs, arriving soon. */
function onTrip(state: ShardState, d: DriverLive, at: number, now: number, effects: Effect[]): void {
  // Both orders of a batch (batch-dispatch.ts): each keeps its own watchers and ETA.
  for (const job of ordersOf(state, d)) tripProgress(state, job, d.driverId, d.vehicle, d.position!, at, now, effects);
}

function timerFired(state: ShardState, kind: TimerKind, payload: string, now: number, ids: IdSource, effects: Effect[]): void {
  switch (kind) {
    case 'offer_expiry':
      return state.hosted.has(payload) ? hostedTimerFired(state, payload, now, ids, effects) : offerTimerFired(state, payload, now, ids, effects);
    case 'dispatch_retry':
      return retryTimerFired(state, payload, now, ids, effects);
    case 'housekeeping':
      return housekeeping(state, now, effects);
    case 'assignment_commit':
      return commitTimerFired(state, payload, now, effects);
    case 'driver_silence':
      return silenceTimerFired(state, payload, now, ids, effects);
    case 'release_commit':
      return releaseTimerFired(state, payload, now, effects);
    default:
      assertNever(kind);
  }
}

/** Forgets ended jobs: from memory after an hour, from SQLite after a day. */
function housekeeping(state: ShardState, now: number, effects: Effect[]): void {
  let oldestKept = Infinity;
  for (const job of state.jobs.values()) {
    if (job.endedAt === null) continue;
    if (job.endedAt < now - ENDED_JOB_MEMORY_MS) {
      state.jobs.delete(job.orderId);
      for (const [id, offer] of state.offers) if (offer.orderId === job.orderId) state.offers.delete(id);
    } else {
      oldestKept = Math.min(oldestKept, job.endedAt);
    }
  }
  oldestKept = Math.min(oldestKept, forgetHosted(state, now - ENDED_JOB_MEMORY_MS));
  effects.push({ type: 'purge', memoryBefore: now - ENDED_JOB_MEMORY_MS, storageBefore: now - ENDED_JOB_STORAGE_MS });
  if (oldestKept !== Infinity) effects.push({ type: 'setTimer', id: 'housekeeping', kind: 'housekeeping', fireAt: oldestKept + ENDED_JOB_MEMORY_MS + 1, payload: '' });
}
