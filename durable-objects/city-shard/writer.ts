/**
 * How a step's effects reach SQLite. State changes that matter (presence,
 * offers, jobs, timers, the outbox) are written in the step's transaction;
 * positions of moving drivers and trip breadcrumbs are written behind, in
 * batches every FLUSH_MS, so a ping costs no row (docs/decisions/0037).
 * No runtime imports: it gets the repository and a clock-free flush timer.
 */
import type { Effect, ShardState } from './model';
import type { ShardRepository, TimerRow } from './storage';

/** Moved drivers' positions and trip breadcrumbs are written in batches this often. */
export const FLUSH_MS = 10_000;

export interface Persisted {
  /** Rows were added to the outbox. */
  emitted: boolean;
  /** Calls to other shards were queued (ADR 0060). */
  called: boolean;
  /** Earliest timer set by the step (Infinity when none). */
  earliestTimer: number;
}

export class ShardWriter {
  private readonly dirtyPositions = new Set<string>();
  private readonly crumbs = new Map<string, { driverId: string; points: [number, number, number][] }>();
  private flushTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly repo: ShardRepository,
    private readonly state: () => ShardState,
    /** Runs a function in one SQLite transaction (ctx.storage.transactionSync). */
    private readonly transaction: (fn: () => void) => void,
  ) {}

  get pending(): boolean {
    return this.dirtyPositions.size > 0 || this.crumbs.size > 0;
  }

  /** Inside the step's transaction. */
  persist(effects: readonly Effect[], now: number): Persisted {
    const state = this.state();
    const drivers = new Set<string>();
    const jobs = new Set<string>();
    const offers = new Set<string>();
    const hosted = new Set<string>();
    let emitted = false;
    let called = false;
    let earliestTimer = Infinity;
    for (const e of effects) {
      switch (e.type) {
        case 'saveDriver':
          drivers.add(e.driverId);
          break;
        case 'moveDriver':
          this.dirtyPositions.add(e.driverId);
          this.scheduleFlush();
          break;
        case 'saveJob':
          jobs.add(e.orderId);
          break;
        case 'saveOffer':
          offers.add(e.offerId);
          break;
        case 'note':
          this.repo.addNote(e.orderId, now, e.kind, e.detail);
          break;
        case 'setTimer': {
          const timer: TimerRow = { id: e.id, kind: e.kind, fireAt: e.fireAt, payload: e.payload };
          // Housekeeping keeps its earliest time: later job ends must not postpone it forever.
          if (e.kind === 'housekeeping') this.repo.putTimerIfEarlier(timer);
          else this.repo.putTimer(timer);
          earliestTimer = Math.min(earliestTimer, e.fireAt);
          break;
        }
        case 'clearTimer':
          this.repo.deleteTimer(e.id);
          break;
        case 'breadcrumb': {
          let trip = this.crumbs.get(e.orderId);
          if (!trip) this.crumbs.set(e.orderId, (trip = { driverId: e.driverId, points: [] }));
          trip.points.push([e.at, e.lat, e.lng]);
          this.scheduleFlush();
          break;
        }
        case 'emit':
          this.repo.enqueueEvent(e.event.id, JSON.stringify(e.event), now);
          emitted = true;
          break;
        case 'purge':
          this.repo.purgeEndedJobs(e.storageBefore);
          break;
        case 'saveHosted':
          hosted.add(e.offerId);
          break;
        case 'remoteCall':
          this.repo.enqueueRemoteCall(e.call, now);
          called = true;
          break;
        case 'send':
        case 'commitAssignment':
        case 'commitRelease':
        case 'watchers':
        case 'gather':
        case 'placeRemote':
        case 'relayTrip':
          break;
      }
    }
    for (const id of drivers) {
      const d = state.drivers.get(id);
      if (d) this.repo.saveDriverState(d);
      this.dirtyPositions.delete(id);
    }
    for (const id of offers) {
      const o = state.offers.get(id);
      if (o) this.repo.saveOffer(o);
    }
    // In the order they changed: one superseded by a newer offer of its order is closed before that one is written.
    for (const id of hosted) {
      const h = state.hosted.get(id);
      if (h) this.repo.saveHostedOffer(h);
    }
    for (const id of jobs) {
      const job = state.jobs.get(id);
      if (!job) continue;
      this.repo.saveJob(job);
      if (job.endedAt !== null) this.flushCrumbs(id);
    }
    return { emitted, called, earliestTimer };
  }

  /** Writes moved positions and breadcrumbs now: one row per driver and one per trip. */
  flush(): { positions: number; trips: number } {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const positions = this.dirtyPositions.size;
    const trips = this.crumbs.size;
    if (positions === 0 && trips === 0) return { positions, trips };
    const state = this.state();
    this.transaction(() => {
      for (const id of this.dirtyPositions) {
        const d = state.drivers.get(id);
        if (d) this.repo.saveDriverPosition(d);
      }
      this.dirtyPositions.clear();
      for (const orderId of [...this.crumbs.keys()]) this.flushCrumbs(orderId);
    });
    return { positions, trips };
  }

  private scheduleFlush(): void {
    // An in-memory timer: it also keeps the object awake until the batch is written.
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flushCrumbs(orderId: string): void {
    const trip = this.crumbs.get(orderId);
    if (!trip) return;
    this.crumbs.delete(orderId);
    this.repo.appendBreadcrumbs(orderId, trip.driverId, trip.points);
  }
}
