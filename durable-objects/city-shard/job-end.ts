/**
 * How a job ends and what Postgres tells it: an assignment's commit answered
 * (refused ends the job), a cancellation, a committed order event relayed to
 * watchers (a terminal one ends the job). Ending frees the driver, or, when
 * the driver carries a stacked order too, hands the driver on to that order
 * (batch-dispatch.ts, ADR 0105).
 */
import { commitTimerId, freeDriver, HOUR_MS, resolve, retryTimerId, viewOf, type DispatchView } from './offers';
import { iso, type Effect, type IdSource, type Job, type RelayedEvent, type ShardState } from './model';
import type { DispatchState, OrderStatus } from '../../domain/protocol/city-shard';
import { releaseCall, withdrawCall } from './remote-calls';
import { startWatch, stopWatch } from './silence';
import { batchPartnerEnded } from './batch-dispatch';

const TERMINAL: ReadonlySet<OrderStatus> = new Set(['delivered', 'cancelled', 'rejected', 'failed']);

export type CommitOutcome = 'assigned' | 'duplicate' | 'refused';

/**
 * Postgres answered the commit of a pending assignment. Assigned (or already
 * assigned to this driver): now the driver hears `assignment`. Refused (the
 * order ended, or has another driver): the driver is told the offer is gone,
 * never that it was assigned, and the job ends.
 */
export function assignmentCommitted(state: ShardState, orderId: string, offerId: string, outcome: CommitOutcome, reason: string | null, now: number, ids: IdSource, effects: Effect[]): void {
  const job = state.jobs.get(orderId);
  const pending = job?.pendingAssignment;
  if (!job || !pending || pending.offerId !== offerId) return;
  job.pendingAssignment = null;
  effects.push({ type: 'clearTimer', id: commitTimerId(orderId) }, { type: 'saveJob', orderId });
  const local = !job.driverShard;
  if (outcome !== 'refused') {
    if (local) effects.push({ type: 'send', driverId: pending.driverId, message: { type: 'assignment', orderId } });
    startWatch(state, job, now, effects);
    return;
  }
  const why = `assignment not saved: ${reason ?? 'refused'}`;
  if (local) {
    effects.push(
      { type: 'send', driverId: pending.driverId, message: { type: 'offer.expired', offerId } },
      { type: 'send', driverId: pending.driverId, message: { type: 'error', code: 'offer_closed', detail: 'The order is no longer available.' } },
    );
  }
  effects.push({ type: 'note', orderId, kind: 'cancelled', detail: { reason: why } });
  endJob(state, job, why, now, ids, effects, false);
}


/** Ends a job: its offer is withdrawn, its driver released (through its shard when it is another one). */
export function endJob(state: ShardState, job: Job, reason: string, now: number, ids: IdSource, effects: Effect[], cancelled: boolean): void {
  job.endedAt = now;
  stopWatch(job, effects);
  if (job.pendingAssignment) {
    job.pendingAssignment = null;
    effects.push({ type: 'clearTimer', id: commitTimerId(job.orderId) });
  }
  if (job.gathering) job.gathering = null;
  effects.push({ type: 'clearTimer', id: retryTimerId(job.orderId) }, { type: 'saveJob', orderId: job.orderId });
  effects.push({ type: 'setTimer', id: 'housekeeping', kind: 'housekeeping', fireAt: now + HOUR_MS, payload: '' });
  const offer = job.offerId ? state.offers.get(job.offerId) : undefined;
  if (offer && offer.status === 'pending') {
    resolve(state, offer, 'cancelled', reason, now, effects);
    job.offerId = null;
    const d = offer.driverShard ? undefined : state.drivers.get(offer.driverId);
    if (offer.driverShard) effects.push(withdrawCall(offer, reason));
    if (d) {
      effects.push({ type: 'send', driverId: d.driverId, message: { type: 'offer.expired', offerId: offer.offerId } });
      freeDriver(state, d, now, ids, effects, false);
    }
  }
  if (job.driverId && job.driverShard) effects.push(releaseCall(job, cancelled));
  const assigned = job.driverId && !job.driverShard ? state.drivers.get(job.driverId) : undefined;
  // A driver with a stacked order moves on to it rather than being freed (ADR 0105).
  if (assigned && assigned.orderId === job.orderId && !batchPartnerEnded(state, job, assigned, now, ids, effects)) freeDriver(state, assigned, now, ids, effects, true);
}


/** The order was cancelled (or its assignment could not be persisted): the driver is told. */
export function cancelDispatch(state: ShardState, orderId: string, reason: string, now: number, ids: IdSource, effects: Effect[]): DispatchView | null {
  const job = state.jobs.get(orderId);
  if (!job) return null;
  if (job.endedAt !== null) return viewOf(job);
  // A driver of another shard is told by its shard (the release call).
  if (job.driverId && !job.driverShard) {
    const pending = job.pendingAssignment;
    // A driver still waiting for the commit was never told `assignment`: the offer is gone instead.
    effects.push({ type: 'send', driverId: job.driverId, message: pending ? { type: 'offer.expired', offerId: pending.offerId } : { type: 'assignment.cancelled', orderId } });
  }
  effects.push({ type: 'note', orderId, kind: 'cancelled', detail: { reason } });
  endJob(state, job, reason, now, ids, effects, true);
  return viewOf(job);
}

/** Orders remembered by `relayedSeqs`; the oldest is forgotten first. */
const RELAYED_SEQS_KEPT = 20_000;

function rememberRelayed(state: ShardState, orderId: string, event: RelayedEvent): void {
  const seqs = (state.relayedSeqs ??= new Map());
  seqs.delete(orderId);
  seqs.set(orderId, event);
  if (seqs.size > RELAYED_SEQS_KEPT) seqs.delete(seqs.keys().next().value!);
}

/** Dispatch states the orders domain owns (driver steps); the others are the shard's own decisions. */
const DOMAIN_DISPATCH: ReadonlySet<DispatchState> = new Set(['picked_up', 'dropped_off']);

export interface CommittedEvent {
  orderId: string;
  status: OrderStatus;
  dispatch: DispatchState | null;
  /** The event's seq in Postgres; absent from an older Worker (then applied as before, without ordering). */
  seq?: number | undefined;
  at?: string | undefined;
}

/**
 * A committed order event, relayed by the orders domain (after the commit, and
 * again from the queue as a backstop): watchers are told, with its seq, only
 * when it is newer than what they were told; the job follows; a terminal
 * status releases the driver. A late or repeated event changes nothing.
 */
export function orderStatusChanged(state: ShardState, e: CommittedEvent, now: number, ids: IdSource, effects: Effect[]): void {
  const { orderId, status, dispatch } = e;
  const job = state.jobs.get(orderId);
  const at = e.at ?? iso(now);
  const frame = { type: 'status' as const, orderId, status, dispatch: dispatch ?? job?.dispatch ?? 'unassigned', at, ...(e.seq !== undefined ? { seq: e.seq } : {}) };
  if (e.seq !== undefined) {
    // Told already (the commit's relay and the queue's backstop both arrive), or older: nothing to send.
    if (e.seq <= Math.max(job?.timeline?.seq ?? 0, state.relayedSeqs?.get(orderId)?.seq ?? 0)) return;
    rememberRelayed(state, orderId, { seq: e.seq, status, dispatch: frame.dispatch, at });
  }
  if (!job) {
    if (dispatch) effects.push({ type: 'watchers', orderId, coalesce: false, message: frame });
    return;
  }
  if (e.seq !== undefined) job.timeline = { seq: e.seq, status, dispatch: frame.dispatch, at };
  job.orderStatus = status;
  if (dispatch && DOMAIN_DISPATCH.has(dispatch)) job.dispatch = dispatch;
  effects.push({ type: 'watchers', orderId, coalesce: false, message: frame });
  effects.push({ type: 'saveJob', orderId }, { type: 'note', orderId, kind: 'status', detail: { status, dispatch: job.dispatch } });
  if (TERMINAL.has(status) && job.endedAt === null) endJob(state, job, `order ${status}`, now, ids, effects, false);
}
