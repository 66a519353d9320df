/**
 * Order commands the city shard calls (docs/decisions/0075): a
 * WorkerEntrypoint reached from the Durable Object through `ctx.exports` (a
 * loopback binding to this Worker's own export, no configuration), so the
 * shard never imports the orders domain (durable-objects/ must not import
 * workers/) and every write to an order goes through the one writer of
 * order history (services/orders/timeline.ts).
 */
import { WorkerEntrypoint } from 'cloudflare:workers';
import { openDatabase } from '../db/client';
import type { AssignmentRequest, OrderCommandsPort, ReleaseRequest } from '../durable-objects/city-shard/assignment-commits';
import { assignDriver } from './services/orders/commands/assign';
import { releaseDriver } from './services/orders/commands/release';

export class OrderCommands extends WorkerEntrypoint<Env> implements OrderCommandsPort {
  /**
   * Commits a driver's accepted offer as the order's assignment (with its
   * event, seq and outbox row) and answers how it went; everything that
   * follows a commit (feed, relay, the shard's watchers) runs after the answer.
   */
  async commitAssignment(request: AssignmentRequest): Promise<{ kind: 'assigned' | 'duplicate' | 'refused'; reason: string | null }> {
    const outcome = await assignDriver({ db: openDatabase(this.env.HYPERDRIVE.connectionString), env: this.env, ctx: this.ctx }, request);
    return { kind: outcome.kind, reason: outcome.kind === 'refused' ? outcome.reason : null };
  }

  /** Releases a silent driver's assignment before pickup (ADR 0079), with its event; answers how it went. */
  async releaseAssignment(request: ReleaseRequest): Promise<{ kind: 'released' | 'duplicate' | 'refused'; reason: string | null }> {
    const outcome = await releaseDriver({ db: openDatabase(this.env.HYPERDRIVE.connectionString), env: this.env, ctx: this.ctx }, request);
    return { kind: outcome.kind, reason: outcome.kind === 'refused' ? outcome.reason : null };
  }
}
