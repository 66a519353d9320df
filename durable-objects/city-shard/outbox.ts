/**
 * The shard's outbox of dispatch events (docs/decisions/0035): rows written in
 * the step's transaction, published in batches of 100 by whoever comes first
 * (the step that wrote them, or the alarm), deferred with backoff when the
 * sink fails. One delivery runs at a time.
 */
import { log } from '../../domain/log';
import type { EventSink, ShardEvent } from './events';
import type { ShardRepository } from './storage';

/** An undelivered outbox is retried by the alarm after this long. */
export const OUTBOX_RETRY_MS = 5_000;

export interface OutboxDeps {
  repo: ShardRepository;
  sink: () => EventSink;
  clock: () => number;
  armAlarm: (at: number) => Promise<void>;
  shardKey: () => string;
}

export class ShardOutbox {
  private delivering = false;

  constructor(private readonly deps: OutboxDeps) {}

  async deliver(): Promise<void> {
    if (this.delivering) return;
    this.delivering = true;
    const { repo, clock } = this.deps;
    try {
      for (;;) {
        const rows = repo.dueEvents(clock(), 100);
        if (rows.length === 0) return;
        try {
          await this.deps.sink().publish(rows.map((r) => JSON.parse(r.body) as ShardEvent));
          repo.deleteEvents(rows.map((r) => r.seq));
        } catch (error) {
          const retryAt = clock() + OUTBOX_RETRY_MS * 2 ** Math.min(6, rows[0]!.attempts);
          repo.deferEvents(rows.map((r) => r.seq), retryAt);
          log.warn('shard outbox: publish failed', { shard: this.deps.shardKey(), error });
          await this.deps.armAlarm(retryAt);
          return;
        }
      }
    } finally {
      this.delivering = false;
    }
  }
}
