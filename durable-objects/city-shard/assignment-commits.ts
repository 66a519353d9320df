/**
 * Commits the shard's assignments to Postgres before the driver is told
 * (docs/decisions/0075-one-order-timeline.md). The pure transitions hold an
 * accepted offer as `job.pendingAssignment` and ask for a `commitAssignment`
 * effect; this carries it out through the orders domain (the Worker's
 * `OrderCommands` entrypoint, reached with `ctx.exports`: the shard never
 * imports workers/) and steps `assignment.committed` with the answer. One
 * commit per order at a time; a failed or slow one is left to the
 * `assignment_commit` timer on the alarm, which asks again. The release of a
 * silent driver (`job.pendingRelease`, `commitRelease`, ADR 0079) goes the
 * same way and steps `release.committed`.
 */
import { log } from '../../domain/log';
import { METRICS } from '../../domain/metrics';
import { metrics } from '../metrics-aggregator/port';
import { withTimeout } from './link';
import type { Effect, ShardState } from './model';
import type { CommitOutcome } from './offers';
import type { CommitReleaseOutcome } from './silence';
import type { ShardInput } from './state';

/** What the orders domain needs to commit an assignment (workers/services/orders/dispatch-facts.ts). */
export interface AssignmentRequest {
  orderId: string;
  offerId: string;
  driverId: string;
  payoutCents: number;
  /** ISO time of the driver's accept. */
  at: string;
}

/** What the orders domain needs to release a silent driver's assignment (workers/services/orders/commands/release.ts). */
export interface ReleaseRequest {
  orderId: string;
  driverId: string;
  reason: 'driver_unresponsive';
  /** ISO time the driver was last heard from. */
  silentSince: string;
}

export interface OrderCommandsPort {
  commitAssignment(request: AssignmentRequest): Promise<{ kind: CommitOutcome; reason: string | null }>;
  releaseAssignment(request: ReleaseRequest): Promise<{ kind: CommitReleaseOutcome; reason: string | null }>;
}

let substitute: OrderCommandsPort | null = null;

/**
 * Tests of the shard alone, whose orders and drivers do not exist in Postgres,
 * answer commits themselves (test/workers/city-shard-helpers.ts). Module state,
 * so it outlives an eviction in the test's isolate; nothing in production sets it.
 */
export function substituteOrderCommands(port: OrderCommandsPort | null): void {
  substitute = port;
}

/** The orders domain: the substitute of a shard test, else the Worker's OrderCommands entrypoint. */
export function orderCommandsOf(exports: unknown): OrderCommandsPort {
  return substitute ?? (exports as { OrderCommands: OrderCommandsPort }).OrderCommands;
}

/** Longer than a healthy commit by far; a database that does not answer in time is retried from the alarm. */
const COMMIT_TIMEOUT_MS = 8_000;

export class AssignmentCommits {
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly host: {
      state(): ShardState;
      step(input: Extract<ShardInput, { type: 'assignment.committed' | 'release.committed' }>): void;
      port(): OrderCommandsPort;
      shardKey(): string;
    },
  ) {}

  /** After a step: start the commits it asked for. */
  after(effects: readonly Effect[]): void {
    for (const e of effects) {
      if (e.type === 'commitAssignment') void this.commit(e.orderId);
      else if (e.type === 'commitRelease') void this.once(`release:${e.orderId}`, () => this.release(e.orderId));
    }
  }

  /** Resolves when the order's pending assignment (if any) has been tried once more. */
  commit(orderId: string): Promise<void> {
    return this.once(orderId, () => this.run(orderId));
  }

  private once(key: string, run: () => Promise<void>): Promise<void> {
    const running = this.running.get(key);
    if (running) return running;
    const work = run().finally(() => {
      if (this.running.get(key) === work) this.running.delete(key);
    });
    this.running.set(key, work);
    return work;
  }

  private async release(orderId: string): Promise<void> {
    const pending = this.host.state().jobs.get(orderId)?.pendingRelease;
    if (!pending) return;
    const request: ReleaseRequest = { orderId, driverId: pending.driverId, reason: 'driver_unresponsive', silentSince: new Date(pending.silentSince).toISOString() };
    try {
      const answer = await withTimeout(this.host.port().releaseAssignment(request), COMMIT_TIMEOUT_MS, 'the release commit');
      this.host.step({ type: 'release.committed', orderId, driverId: pending.driverId, outcome: answer.kind, reason: answer.reason });
    } catch (error) {
      // The driver keeps the order meanwhile; the alarm's release_commit timer asks again.
      log.warn('shard: release commit failed; retrying from the alarm', { shard: this.host.shardKey(), orderId, error });
    }
  }

  private async run(orderId: string): Promise<void> {
    const pending = this.host.state().jobs.get(orderId)?.pendingAssignment;
    if (!pending) return;
    const request: AssignmentRequest = { orderId, offerId: pending.offerId, driverId: pending.driverId, payoutCents: pending.payoutCents, at: new Date(pending.at).toISOString() };
    try {
      const answer = await withTimeout(this.host.port().commitAssignment(request), COMMIT_TIMEOUT_MS, 'the assignment commit');
      // Time to assign (ADR 0090): from the shard's dispatch start of the order to the driver committed in Postgres.
      const job = this.host.state().jobs.get(orderId);
      if (answer.kind === 'assigned' && job) metrics.observe(METRICS.dispatchAssign, [], Math.max(0, Date.now() - job.createdAt) / 1000);
      this.host.step({ type: 'assignment.committed', orderId, offerId: pending.offerId, outcome: answer.kind, reason: answer.reason });
    } catch (error) {
      // Nothing is told to the driver; the alarm's assignment_commit timer asks again.
      log.warn('shard: assignment commit failed; retrying from the alarm', { shard: this.host.shardKey(), orderId, error });
    }
  }
}
