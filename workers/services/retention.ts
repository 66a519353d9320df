/**
 * Retention: what the platform keeps only for a while, deleted by the minute
 * cron in bounded batches (docs/decisions/0067, docs/runbook.md "Retention").
 * Each batch is one statement that picks at most `batchSize` rows (skipping
 * rows another transaction holds) and deletes them, so a sweep never holds
 * long locks nor one huge transaction; a run stops at `maxBatches` per table
 * or when its time budget is spent, and the next minute goes on.
 */
import { and, isNotNull, isNull, lt, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Database } from '../../db/client';
import { devMessages, idempotencyKeys, outbox, processedWebhookEvents, webhookDeliveries } from '../../db/schema/index';
import { log } from '../../domain/log';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionRule {
  name: string;
  table: PgTable;
  /** How long a row is kept, for the docs and the log (the condition below is what counts). */
  keep: string;
  /** The same in days, for the storage projection (`npm run capacity`). */
  keepDays: number;
  expired(now: Date): SQL;
}

const before = (now: Date, days: number) => new Date(now.getTime() - days * DAY_MS);

export const RETENTION_RULES: readonly RetentionRule[] = [
  {
    // Stored answers can hold personal data (an order with its address): gone as soon as they expire (24 h).
    name: 'idempotency_keys',
    table: idempotencyKeys,
    keep: 'until expires_at (24 h after first use)',
    keepDays: 1,
    expired: (now) => lt(idempotencyKeys.expiresAt, now),
  },
  {
    // The merchant's delivery log and replay source; far past the 24 h retry window.
    name: 'webhook_deliveries',
    table: webhookDeliveries,
    keep: '30 days',
    keepDays: 30,
    expired: (now) => and(lt(webhookDeliveries.createdAt, before(now, 30)), isNull(webhookDeliveries.nextRetryAt))!,
  },
  {
    // Local mode only (full rendered messages): a week of history for the dev outbox.
    name: 'dev_messages',
    table: devMessages,
    keep: '7 days',
    keepDays: 7,
    expired: (now) => lt(devMessages.at, before(now, 7)),
  },
  {
    // Stripe's deduplication: Stripe retries for 3 days and resends events up to 30 days old.
    name: 'processed_webhook_events',
    table: processedWebhookEvents,
    keep: '30 days',
    keepDays: 30,
    expired: (now) => lt(processedWebhookEvents.receivedAt, before(now, 30)),
  },
  {
    // Published events: consumers deduplicate by their own logs; a week covers redeliveries,
    // dead-letter replays (which carry the body) and notification fallbacks (ADR 0066).
    name: 'outbox',
    table: outbox,
    keep: '7 days after publication (unpublished rows are never deleted)',
    keepDays: 7,
    expired: (now) => and(isNotNull(outbox.publishedAt), lt(outbox.publishedAt, before(now, 7)))!,
  },
];

export interface RetentionOptions {
  now?: Date;
  batchSize?: number;
  maxBatches?: number;
  /** Wall-clock budget of one run (the cron runs every minute). */
  budgetMs?: number;
  rules?: readonly RetentionRule[];
}

/**
 * Deletes at most `limit` expired rows of one rule; answers how many. A row
 * is named by (tableoid, ctid): on a partitioned table (the outbox, ADR 0119;
 * webhook deliveries, ADR 0126) a ctid is only unique within one partition,
 * and `ctid in (…)` alone deleted the rows at the same place in every other
 * partition too — recent, unexpired ones.
 */
export async function pruneBatch(db: Database, rule: RetentionRule, now: Date, limit: number): Promise<number> {
  const rows = await db.execute(sql`
    with doomed as (
      select tableoid, ctid from ${rule.table} where ${rule.expired(now)} limit ${limit} for update skip locked
    )
    delete from ${rule.table} where (tableoid, ctid) in (select tableoid, ctid from doomed) returning 1`);
  return rows.length;
}

/** One run over every rule; answers the rows deleted per table. */
export async function pruneExpired(db: Database, options: RetentionOptions = {}): Promise<Record<string, number>> {
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? 1_000;
  const maxBatches = options.maxBatches ?? 10;
  const deadline = Date.now() + (options.budgetMs ?? 20_000);
  const deleted: Record<string, number> = {};
  for (const rule of options.rules ?? RETENTION_RULES) {
    let total = 0;
    for (let batch = 0; batch < maxBatches && Date.now() < deadline; batch++) {
      const n = await pruneBatch(db, rule, now, batchSize);
      total += n;
      if (n < batchSize) break;
    }
    deleted[rule.name] = total;
  }
  return deleted;
}

/** The cron's entry: one run, logged when it deleted anything. */
export async function runRetentionSweep(db: Database, options: RetentionOptions = {}): Promise<Record<string, number>> {
  const deleted = await pruneExpired(db, options);
  if (Object.values(deleted).some((n) => n > 0)) log.info('retention sweep', { deleted });
  return deleted;
}
