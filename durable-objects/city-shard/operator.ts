/**
 * What operators do to the shard's live state (docs/decisions/0112). Each
 * input is a fact Postgres already holds (the Worker commits the change and
 * its audit row first, ADR 0075): the shard only makes the live state and
 * the drivers' apps follow.
 *
 * - `operator.assigned`: the order was given to `driverId` by an operator.
 *   An open offer of the order is withdrawn (its driver told
 *   `offer.expired`), an acceptance still waiting for its commit is dropped
 *   (Postgres will refuse it: the order has a driver), the previous driver
 *   is told `assignment.reassigned` and freed, and the chosen driver is told
 *   `assignment` and watched for silence like any assignee. Idempotent.
 * - `operator.offline`: the driver stops getting offers (as if they had
 *   switched to unavailable), with the operator's reason on their socket.
 *   An order they hold stays theirs; the operator reassigns it if need be.
 */
import type { ChatNudge } from '../../domain/protocol/city-shard';
import type { DriverLive, Effect, IdSource, Job, ShardState } from './model';
import { syncIndex } from './model';
import { commitTimerId, declineOffer, freeDriver, resolve, retryTimerId } from './offers';
import { startWatch, stopWatch } from './silence';

export interface OperatorAssignment {
  orderId: string;
  driverId: string;
  /** ISO time of the committed change. */
  at: string;
}

export type OperatorAssignResult =
  | { ok: true; previousDriverId: string | null; unchanged: boolean }
  | { ok: false; reason: 'unknown_order' | 'order_ended' | 'picked_up' | 'unknown_driver' | 'driver_busy' | 'remote_driver' };

/** Whether the shard can carry out an operator's assignment: asked before Postgres commits it. */
export function checkOperatorAssign(state: ShardState, orderId: string, driverId: string): OperatorAssignResult {
  const job = state.jobs.get(orderId);
  if (!job) return { ok: false, reason: 'unknown_order' };
  if (job.endedAt !== null) return { ok: false, reason: 'order_ended' };
  if (job.dispatch === 'picked_up' || job.dispatch === 'dropped_off' || job.orderStatus === 'in_delivery') return { ok: false, reason: 'picked_up' };
  if (job.driverShard) return { ok: false, reason: 'remote_driver' };
  const d = state.drivers.get(driverId);
  if (!d) return { ok: false, reason: 'unknown_driver' };
  if (d.orderId !== null && d.orderId !== orderId) return { ok: false, reason: 'driver_busy' };
  if (d.orderShard) return { ok: false, reason: 'driver_busy' };
  return { ok: true, previousDriverId: job.driverId, unchanged: job.driverId === driverId && !job.pendingAssignment };
}

export function operatorAssigned(state: ShardState, a: OperatorAssignment, now: number, ids: IdSource, effects: Effect[]): OperatorAssignResult {
  const check = checkOperatorAssign(state, a.orderId, a.driverId);
  if (!check.ok || check.unchanged) return check;
  const job = state.jobs.get(a.orderId)!;
  const driver = state.drivers.get(a.driverId)!;
  withdrawOpenOffer(state, job, now, ids, effects);
  dropPendingAcceptance(state, job, now, ids, effects);
  const previous = job.driverId;
  if (previous && previous !== a.driverId) {
    const old = state.drivers.get(previous);
    closeAccepted(state, job, previous, now, effects);
    stopWatch(job, effects);
    if (old && old.orderId === job.orderId) {
      effects.push({ type: 'send', driverId: previous, message: { type: 'assignment.reassigned', orderId: job.orderId } });
      freeDriver(state, old, now, ids, effects, true);
    }
  }
  // The chosen driver's own open offer (another order) is answered for them: one job at a time.
  if (driver.offerId) declineOffer(state, driver.driverId, driver.offerId, 'assigned another order by an operator', now, ids, effects);
  driver.offerId = null;
  driver.orderId = job.orderId;
  syncIndex(state, driver);
  job.driverId = driver.driverId;
  job.offerId = null;
  job.dispatch = 'assigned';
  job.unassignedSince = null;
  effects.push(
    { type: 'saveDriver', driverId: driver.driverId },
    { type: 'clearTimer', id: retryTimerId(job.orderId) },
    { type: 'saveJob', orderId: job.orderId },
    { type: 'note', orderId: job.orderId, kind: 'operator_assigned', detail: { driverId: driver.driverId, ...(previous ? { reason: `reassigned from ${previous}` } : {}) } },
    { type: 'send', driverId: driver.driverId, message: { type: 'assignment', orderId: job.orderId } },
  );
  startWatch(state, job, now, effects);
  return { ok: true, previousDriverId: previous, unchanged: false };
}

/** An offer of the order still open: withdrawn, its driver free for other work. */
function withdrawOpenOffer(state: ShardState, job: Job, now: number, ids: IdSource, effects: Effect[]): void {
  const offer = job.offerId ? state.offers.get(job.offerId) : undefined;
  job.offerId = null;
  if (!offer || offer.status !== 'pending') return;
  resolve(state, offer, 'cancelled', 'an operator assigned the order', now, effects);
  const d = state.drivers.get(offer.driverId);
  if (d && d.offerId === offer.offerId) {
    effects.push({ type: 'send', driverId: d.driverId, message: { type: 'offer.expired', offerId: offer.offerId } });
    freeDriver(state, d, now, ids, effects, false);
  }
}

/** An acceptance whose commit has not answered: Postgres refuses it now, so the driver is told the offer is gone. */
function dropPendingAcceptance(state: ShardState, job: Job, now: number, ids: IdSource, effects: Effect[]): void {
  const pending = job.pendingAssignment;
  if (!pending) return;
  job.pendingAssignment = null;
  effects.push({ type: 'clearTimer', id: commitTimerId(job.orderId) });
  closeAccepted(state, job, pending.driverId, now, effects);
  const d = state.drivers.get(pending.driverId);
  if (d && d.orderId === job.orderId) {
    effects.push({ type: 'send', driverId: d.driverId, message: { type: 'offer.expired', offerId: pending.offerId } });
    freeDriver(state, d, now, ids, effects, true);
  }
  if (job.driverId === pending.driverId) job.driverId = null;
}

/** The accepted offer of a driver who loses the order ends too (one live offer per order). */
function closeAccepted(state: ShardState, job: Job, driverId: string, now: number, effects: Effect[]): void {
  for (const offer of state.offers.values()) {
    if (offer.orderId !== job.orderId || offer.driverId !== driverId || offer.status !== 'accepted') continue;
    offer.status = 'cancelled';
    offer.resolvedAt = now;
    offer.outcomeReason = 'reassigned by an operator';
    effects.push({ type: 'saveOffer', offerId: offer.offerId });
  }
}

/** The driver is told why (then `setAvailability` makes them unavailable, in state.ts). */
export function operatorOffline(d: DriverLive, reason: string, now: number, effects: Effect[]): void {
  effects.push({ type: 'send', driverId: d.driverId, message: { type: 'ops.message', text: `An operator set you offline: ${reason}`, at: new Date(now).toISOString() } });
}

/** An operator's message, on the driver's socket if one is open (the Worker also pushes it); answers whether one was. */
export function operatorMessage(state: ShardState, driverId: string, text: string, now: number, effects: Effect[]): boolean {
  const d = state.drivers.get(driverId);
  if (!d?.connected) return false;
  effects.push({ type: 'send', driverId, message: { type: 'ops.message', text, at: new Date(now).toISOString() } });
  return true;
}

/** A new chat message: the order's watchers and its driver are nudged (no body: each reads what it may over HTTP). */
export function chatPosted(nudge: ChatNudge, driverId: string | null, effects: Effect[]): void {
  effects.push({ type: 'watchers', orderId: nudge.orderId, message: nudge, coalesce: false });
  if (driverId) effects.push({ type: 'send', driverId, message: nudge });
}
