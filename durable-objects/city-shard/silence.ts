/**
 * The watch on an assigned driver who goes silent (docs/decisions/0079).
 * Pure: `(state, …, now) -> effects`, timers on the one alarm.
 *
 * From the committed assignment on, one `driver_silence` timer per job asks:
 * when was the driver last heard from (a fix, any socket message, a connect,
 * an order step through the API)? Nothing is written when a driver is heard:
 * the timer, when it fires, reads the time and sets itself again. A silence
 * of `policy.silencePingMs` gets one ping (socket and push); a silence of
 * `policy.silenceReleaseMs`, and at least the difference after the ping:
 * - before pickup, the assignment is released through the orders domain
 *   (`commitRelease`, answered by `release.committed`, retried from the alarm
 *   like an assignment: Postgres first, ADR 0075), then the driver is told
 *   (`assignment.released`, again after `session` on the next connect if it
 *   was not sent live) and the order is offered to the other drivers; the
 *   released driver is never offered it again;
 * - after pickup the food is with the driver: nothing is taken away,
 *   operators are alerted (a fact, the decision log, the city snapshot).
 * Every handler checks the state it acts on, so a timer that fires twice, or
 * late, does nothing twice (alarms run at least once).
 */
import { COMMIT_RETRY_MAX_MS, COMMIT_RETRY_MS, event, freeDriver, search } from './offers';
import { iso, type DriverLive, type Effect, type IdSource, type Job, type ShardState } from './model';
import type { DispatchPolicy } from './matching';
import { releaseCall } from './remote-calls';

export const silenceTimerId = (orderId: string) => `silence:${orderId}`;
export const releaseTimerId = (orderId: string) => `release:${orderId}`;
export const RELEASE_REASON = 'driver_unresponsive' as const;
export type CommitReleaseOutcome = 'released' | 'duplicate' | 'refused';

/** A released driver is not offered the order again while the shard remembers the job. */
const RELEASED_EXCLUSION_MS = 48 * 3_600_000;
/** A notice not delivered within this long is dropped: the driver's app has moved on. */
const NOTICE_TTL_MS = 3_600_000;
/** Operators see a release in the city snapshot this long. */
const RELEASE_SHOWN_MS = 3_600_000;
const RELEASES_KEPT = 10;

const seconds = (ms: number) => Math.max(0, Math.round(ms / 1000));
const pickedUp = (job: Job) => job.dispatch === 'picked_up' || job.dispatch === 'dropped_off' || job.orderStatus === 'in_delivery';

function arm(orderId: string, at: number, effects: Effect[]): void {
  effects.push({ type: 'setTimer', id: silenceTimerId(orderId), kind: 'driver_silence', fireAt: at, payload: orderId });
}

/** The assignment committed: the driver's silence is watched from now. */
export function startWatch(state: ShardState, job: Job, now: number, effects: Effect[]): void {
  if (!job.driverId || job.endedAt !== null) return;
  job.watch = { driverId: job.driverId, since: now, pingedFor: null, pingedAt: null, alertedFor: null };
  arm(job.orderId, now + state.policy.silencePingMs, effects);
}

/** The job ended: its timers go. */
export function stopWatch(job: Job, effects: Effect[]): void {
  if (job.watch) effects.push({ type: 'clearTimer', id: silenceTimerId(job.orderId) });
  if (job.pendingRelease) effects.push({ type: 'clearTimer', id: releaseTimerId(job.orderId) });
  job.watch = null;
  job.pendingRelease = null;
}

/**
 * When the job's driver was last heard from: a fix (its device time, never
 * later than now), a message, a connect or a step; a driver of another shard
 * by the trip positions it relays (ADR 0060). Never before the assignment.
 */
export function heardAt(state: ShardState, job: Job, now: number): number | null {
  const w = job.watch;
  if (!w || job.driverId !== w.driverId) return null;
  let heard = w.since;
  if (job.driverShard) {
    const p = job.remoteDriver?.position;
    if (p) heard = Math.max(heard, Math.min(p.at, now));
  } else {
    const d = state.drivers.get(w.driverId);
    if (d) heard = Math.max(heard, d.lastSeenAt, Math.min(d.position?.at ?? 0, now));
  }
  return heard;
}

/** When a silence that began at `heard` and was pinged at `pingedAt` is acted on. */
const actAt = (policy: DispatchPolicy, heard: number, pingedAt: number) => Math.max(heard + policy.silenceReleaseMs, pingedAt + policy.silenceReleaseMs - policy.silencePingMs);

/** The `driver_silence` timer fired. */
export function silenceTimerFired(state: ShardState, orderId: string, now: number, ids: IdSource, effects: Effect[]): void {
  const job = state.jobs.get(orderId);
  const w = job?.watch;
  if (!job || !w || job.endedAt !== null || job.pendingRelease || job.pendingAssignment) return;
  const heard = heardAt(state, job, now);
  if (heard === null) return;
  const { silencePingMs } = state.policy;
  // Heard from since: the silence starts again (nothing was written when it was heard).
  if (now - heard < silencePingMs) {
    arm(orderId, heard + silencePingMs, effects);
    return;
  }
  if (w.pingedFor === null || w.pingedFor < heard) {
    ping(state, job, heard, now, effects);
    return;
  }
  const due = actAt(state.policy, heard, w.pingedAt ?? now);
  if (now < due) {
    arm(orderId, due, effects);
    return;
  }
  if (pickedUp(job)) alertOperators(state, job, heard, now, effects);
  else beginRelease(state, job, heard, now, effects);
}

function ping(state: ShardState, job: Job, heard: number, now: number, effects: Effect[]): void {
  const w = job.watch!;
  const silentSeconds = seconds(now - heard);
  const due = actAt(state.policy, heard, now);
  const releaseAt = pickedUp(job) ? null : iso(due);
  w.pingedFor = heard;
  w.pingedAt = now;
  if (!job.driverShard) effects.push({ type: 'send', driverId: w.driverId, message: { type: 'assignment.ping', orderId: job.orderId, silentSeconds, releaseAt } });
  effects.push(
    event(state, 'dispatch.driver_pinged', `${job.orderId}:${w.driverId}:${heard}`, job.orderId, now, { driverId: w.driverId, silentSeconds, releaseAt }),
    { type: 'note', orderId: job.orderId, kind: 'driver_silent', detail: { driverId: w.driverId, silentSeconds, ...(releaseAt ? {} : { afterPickup: true }) } },
    { type: 'saveJob', orderId: job.orderId },
  );
  arm(job.orderId, due, effects);
}

/** After pickup: operators are told once per silence; the watch goes on (a driver heard again starts over). */
function alertOperators(state: ShardState, job: Job, heard: number, now: number, effects: Effect[]): void {
  const w = job.watch!;
  if (w.alertedFor === null || w.alertedFor < heard) {
    const silentSeconds = seconds(now - heard);
    w.alertedFor = heard;
    effects.push(
      event(state, 'dispatch.driver_silent', `${job.orderId}:${w.driverId}:${heard}`, job.orderId, now, { driverId: w.driverId, silentSeconds, afterPickup: true }),
      { type: 'note', orderId: job.orderId, kind: 'driver_unresponsive', detail: { driverId: w.driverId, silentSeconds, afterPickup: true } },
      { type: 'saveJob', orderId: job.orderId },
    );
  }
  arm(job.orderId, now + state.policy.silencePingMs, effects);
}

/** Before pickup: the release is decided; Postgres commits it before anyone is told (as an assignment, ADR 0075). */
function beginRelease(state: ShardState, job: Job, heard: number, now: number, effects: Effect[]): void {
  const driverId = job.watch!.driverId;
  job.pendingRelease = { driverId, at: now, silentSince: heard, attempts: 1 };
  effects.push(
    { type: 'clearTimer', id: silenceTimerId(job.orderId) },
    { type: 'note', orderId: job.orderId, kind: 'driver_unresponsive', detail: { driverId, silentSeconds: seconds(now - heard) } },
  );
  askForRelease(job.orderId, now + COMMIT_RETRY_MS, effects);
}

function askForRelease(orderId: string, retryAt: number, effects: Effect[]): void {
  effects.push(
    { type: 'saveJob', orderId },
    { type: 'setTimer', id: releaseTimerId(orderId), kind: 'release_commit', fireAt: retryAt, payload: orderId },
    { type: 'commitRelease', orderId },
  );
}

/** The commit of a release did not answer in time: ask again, backing off. */
export function releaseTimerFired(state: ShardState, orderId: string, now: number, effects: Effect[]): void {
  const job = state.jobs.get(orderId);
  const pending = job?.pendingRelease;
  if (!job || !pending || job.endedAt !== null) return;
  pending.attempts += 1;
  askForRelease(orderId, now + Math.min(COMMIT_RETRY_MAX_MS, COMMIT_RETRY_MS * 2 ** Math.min(10, pending.attempts - 1)), effects);
}

/**
 * Postgres answered the release. Released (or already released): the driver
 * is told and freed, never offered this order again, and the order is
 * searched for at once. Refused (picked up meanwhile, or the order ended):
 * the driver keeps it and the watch goes on; the relay of the committed
 * event brings the rest.
 */
export function releaseCommitted(state: ShardState, orderId: string, driverId: string, outcome: CommitReleaseOutcome, reason: string | null, now: number, ids: IdSource, effects: Effect[]): void {
  const job = state.jobs.get(orderId);
  const p = job?.pendingRelease;
  if (!job || !p || p.driverId !== driverId) return;
  job.pendingRelease = null;
  effects.push({ type: 'clearTimer', id: releaseTimerId(orderId) }, { type: 'saveJob', orderId });
  if (job.endedAt !== null || job.driverId !== driverId) return;
  if (outcome === 'refused') {
    effects.push({ type: 'note', orderId, kind: 'release_refused', detail: { driverId, reason: reason ?? 'refused' } });
    arm(orderId, now + state.policy.silencePingMs, effects);
    return;
  }
  const silentSeconds = seconds(now - p.silentSince);
  job.releases = [...(job.releases ?? []).slice(-(RELEASES_KEPT - 1)), { driverId, at: now, silentSince: p.silentSince }];
  job.excluded[driverId] = { until: now + RELEASED_EXCLUSION_MS, why: `lost this order: not heard from for ${silentSeconds} s` };
  effects.push(event(state, 'dispatch.driver_released', `${orderId}:${driverId}`, orderId, now, { driverId, reason: RELEASE_REASON, silentSeconds }));
  closeAcceptedOffer(state, orderId, driverId, `released: not heard from for ${silentSeconds} s`, now, effects);
  if (job.driverShard) {
    // The driver's shard tells the driver and frees them (a call that must arrive).
    effects.push(releaseCall(job, false, { reason: RELEASE_REASON, silentSeconds }));
  } else {
    const d = state.drivers.get(driverId);
    if (d && d.orderId === orderId) {
      tellReleased(d, orderId, silentSeconds, now, effects);
      freeDriver(state, d, now, ids, effects, true);
    }
  }
  job.driverId = null;
  job.driverShard = null;
  job.remoteDriver = null;
  job.watch = null;
  job.dispatch = 'unassigned';
  effects.push({ type: 'clearTimer', id: silenceTimerId(orderId) });
  search(state, job, now, ids, effects);
}

/** The accepted offer of the released driver ends too: one live offer per order (storage's unique index, the decision log). */
function closeAcceptedOffer(state: ShardState, orderId: string, driverId: string, reason: string, now: number, effects: Effect[]): void {
  for (const offer of state.offers.values()) {
    if (offer.orderId !== orderId || offer.driverId !== driverId || offer.status !== 'accepted') continue;
    offer.status = 'cancelled';
    offer.resolvedAt = now;
    offer.outcomeReason = reason;
    effects.push(
      { type: 'saveOffer', offerId: offer.offerId },
      // Its own id: the acceptance's resolution fact was `${offerId}:dispatch.offer_resolved`.
      event(state, 'dispatch.offer_resolved', `${offer.offerId}:released`, orderId, now, { offerId: offer.offerId, driverId, status: 'cancelled', outcomeReason: reason }),
    );
  }
}

/**
 * The driver lost the order: told now if a socket is open, and kept as a
 * notice for the next connect; not offered work until they say they are
 * available again (their app does so on reconnect).
 */
export function tellReleased(d: DriverLive, orderId: string, silentSeconds: number, now: number, effects: Effect[]): void {
  d.notice = { orderId, reason: RELEASE_REASON, silentSeconds, at: now, sentLive: d.connected };
  d.available = false;
  effects.push({ type: 'saveDriver', driverId: d.driverId });
  if (d.connected) effects.push({ type: 'send', driverId: d.driverId, message: { type: 'assignment.released', orderId, reason: RELEASE_REASON, silentSeconds } });
}

/** On connect, after `session`: the notice of an order taken away, once. */
export function deliverNotice(d: DriverLive, now: number, effects: Effect[]): void {
  const n = d.notice;
  if (!n) return;
  d.notice = null;
  effects.push({ type: 'saveDriver', driverId: d.driverId });
  if (now - n.at <= NOTICE_TTL_MS) effects.push({ type: 'send', driverId: d.driverId, message: { type: 'assignment.released', orderId: n.orderId, reason: n.reason, silentSeconds: n.silentSeconds } });
}

/** A message on a socket that was open when the notice was sent live: it got there. */
export function noticeSeen(d: DriverLive, effects: Effect[]): void {
  if (!d.notice?.sentLive) return;
  d.notice = null;
  effects.push({ type: 'saveDriver', driverId: d.driverId });
}

/** An order step the driver took through the API (relayed with the committed event): heard from. */
export function driverStepped(state: ShardState, driverId: string, now: number): void {
  const d = state.drivers.get(driverId);
  if (!d) return;
  d.lastSeenAt = Math.max(d.lastSeenAt, now);
  state.index.touch(driverId, d.lastSeenAt);
}

export interface DriverAlert {
  orderId: string;
  driverId: string;
  /** `silent`: pinged, released at `releaseAt` if it goes on; `silent_after_pickup`: operators must act; `released`: given to another driver. */
  kind: 'silent' | 'silent_after_pickup' | 'released';
  silentSince: string;
  releaseAt: string | null;
  releasedAt: string | null;
}

/** For the operators' city snapshot: drivers silent past the ping, and releases of the last hour. */
export function driverAlertsOf(state: ShardState, now: number): DriverAlert[] {
  const out: DriverAlert[] = [];
  for (const job of state.jobs.values()) {
    for (const r of job.releases ?? []) {
      if (now - r.at <= RELEASE_SHOWN_MS) out.push({ orderId: job.orderId, driverId: r.driverId, kind: 'released', silentSince: iso(r.silentSince), releaseAt: null, releasedAt: iso(r.at) });
    }
    if (job.endedAt !== null || !job.watch) continue;
    const heard = heardAt(state, job, now);
    if (heard === null || now - heard < state.policy.silencePingMs) continue;
    const after = pickedUp(job);
    const pingedAt = job.watch.pingedFor !== null && job.watch.pingedFor >= heard ? (job.watch.pingedAt ?? now) : now;
    out.push({ orderId: job.orderId, driverId: job.watch.driverId, kind: after ? 'silent_after_pickup' : 'silent', silentSince: iso(heard), releaseAt: after ? null : iso(actAt(state.policy, heard, pingedAt)), releasedAt: null });
  }
  return out;
}

/** The deployment's override of the silence times (wrangler.toml [vars], in seconds); invalid values keep the defaults. */
export function withSilenceOverrides(policy: DispatchPolicy, vars: { DRIVER_SILENCE_PING_SECONDS?: string; DRIVER_SILENCE_RELEASE_SECONDS?: string }): DispatchPolicy {
  const ping = Number(vars.DRIVER_SILENCE_PING_SECONDS ?? '') * 1000;
  const release = Number(vars.DRIVER_SILENCE_RELEASE_SECONDS ?? '') * 1000;
  const pingMs = Number.isFinite(ping) && ping >= 10_000 ? ping : policy.silencePingMs;
  const releaseMs = Number.isFinite(release) && release > pingMs ? release : Math.max(policy.silenceReleaseMs, pingMs * 2);
  return pingMs === policy.silencePingMs && releaseMs === policy.silenceReleaseMs ? policy : { ...policy, silencePingMs: pingMs, silenceReleaseMs: releaseMs };
}
