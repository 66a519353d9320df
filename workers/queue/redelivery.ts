/**
 * The outbox redelivery sweep (minute cron; faults issue, ADR 0078). The relay
 * marks a row published once the queue accepted it; the consumer marks it
 * consumed once every handler succeeded (acknowledgements.ts). A row published
 * and not consumed within its deadline was lost on the way (a local queue
 * lives in memory and a restart of `npm start` drops it; Queues deliver at
 * least once, not exactly once in every failure) and is sent again, with the
 * same id: every handler is idempotent by event id (notification log per
 * event and channel, webhook deliveries per endpoint and event, the feed by
 * seq). The deadline runs from the latest of its publication, its last
 * republish and the retry the consumer asked the queue for, so an event the
 * queue is still retrying with backoff is not doubled.
 *
 * An event republished `MAX_REPUBLISHES` times and still not consumed is a
 * poison event: it is parked in `dead_letters` (message id `outbox:<id>`) for
 * operators to look at and replay, and never sent by the sweep again.
 * Bounded: `BATCH` rows a round, `MAX_ROUNDS` rounds a run, oldest first;
 * rows are claimed with `for update skip locked`, so two sweeps never send the
 * same row in one minute.
 */
import { and, asc, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../../db/client';
import { newId } from '../../db/ids';
import { deadLetters, outbox, type OutboxMessage } from '../../db/schema/index';
import { chunks, toEnvelope, type EventPublisher } from '../services/outbox-relay';
import { DEFAULT_DEADLINES, deadlinesFrom } from '../../domain/deadlines';
import { EVENTS_QUEUE } from './dead-letters';
import { log } from '../../domain/log';

/** Published and not consumed this long after the last send: lost, sent again (RELIABILITY_DEADLINES may shorten it). */
export const ACK_DEADLINE_MS = DEFAULT_DEADLINES.outboxConsumeSeconds * 1000;
/** Republishes before an event is parked as a dead letter (so it is on the queue 1 + 3 times in all). */
export const MAX_REPUBLISHES = 3;
const BATCH = 100;
const MAX_ROUNDS = 5;

export interface RedeliveryOptions {
  now?: Date;
  deadlineMs?: number;
  maxRepublishes?: number;
  limit?: number;
  /** Only these rows (tests, which share the database with other files). */
  ids?: readonly string[];
}

export interface RedeliveryRun {
  claimed: number;
  republished: number;
  parked: number;
  failed: number;
  lastError?: string;
}

/** The deadline in force for this Worker. */
export const outboxDeadlineMs = (env: Pick<Env, 'RELIABILITY_DEADLINES'>): number => deadlinesFrom(env.RELIABILITY_DEADLINES).outboxConsumeSeconds * 1000;

/** The moment after which an unconsumed event counts as lost. */
const lastSentSql = sql`greatest(${outbox.publishedAt}, ${outbox.republishedAt}, ${outbox.retryDueAt})`;

const parkedError = (row: OutboxMessage) =>
  `published ${1 + row.republishes} times (${row.republishes} by the redelivery sweep) and never acknowledged by the ${EVENTS_QUEUE} consumer; see the notification log, webhook deliveries and the Worker's log for this event id`;

/** One claim-send-mark round over at most `limit` overdue rows. */
export async function redeliverOnce(db: Database, publisher: EventPublisher, options: RedeliveryOptions = {}): Promise<RedeliveryRun> {
  const now = options.now ?? new Date();
  const before = new Date(now.getTime() - (options.deadlineMs ?? ACK_DEADLINE_MS));
  const maxRepublishes = options.maxRepublishes ?? MAX_REPUBLISHES;
  return db.transaction(async (tx) => {
    const rows = await tx
      .select()
      .from(outbox)
      .where(
        and(
          isNotNull(outbox.publishedAt),
          isNull(outbox.consumedAt),
          isNull(outbox.parkedAt),
          sql`${lastSentSql} < ${before.toISOString()}::timestamptz`,
          options.ids ? inArray(outbox.id, [...options.ids]) : undefined,
        ),
      )
      .orderBy(asc(outbox.publishedAt))
      .limit(options.limit ?? BATCH)
      .for('update', { skipLocked: true });
    const run: RedeliveryRun = { claimed: rows.length, republished: 0, parked: 0, failed: 0 };
    if (rows.length === 0) return run;

    const poison = rows.filter((r) => r.republishes >= maxRepublishes);
    if (poison.length > 0) {
      await tx
        .insert(deadLetters)
        .values(poison.map((r) => ({ id: newId('dlq'), queue: EVENTS_QUEUE, messageId: `outbox:${r.id}`, body: toEnvelope(r), attempts: 1 + r.republishes, error: parkedError(r) })))
        .onConflictDoNothing();
      await tx.update(outbox).set({ parkedAt: now }).where(inArray(outbox.id, poison.map((r) => r.id)));
      run.parked = poison.length;
    }

    const sent: string[] = [];
    for (const batch of chunks(rows.filter((r) => r.republishes < maxRepublishes).map(toEnvelope))) {
      try {
        await publisher.sendBatch(batch.map((body) => ({ body, contentType: 'json' as const })));
        sent.push(...batch.map((e) => e.id));
      } catch (error) {
        // Left as they are: overdue still, the next run sends them.
        run.failed += batch.length;
        run.lastError = String(error).slice(0, 500);
      }
    }
    if (sent.length > 0) {
      await tx
        .update(outbox)
        .set({ republishes: sql`${outbox.republishes} + 1`, republishedAt: now, retryDueAt: null })
        .where(inArray(outbox.id, sent));
    }
    run.republished = sent.length;
    return run;
  });
}

/** Rounds until nothing overdue is left, a send fails, or `MAX_ROUNDS` is reached. */
export async function redeliverUnconsumed(db: Database, publisher: EventPublisher, options: RedeliveryOptions = {}): Promise<RedeliveryRun> {
  const total: RedeliveryRun = { claimed: 0, republished: 0, parked: 0, failed: 0 };
  const limit = options.limit ?? BATCH;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const run = await redeliverOnce(db, publisher, { ...options, limit });
    total.claimed += run.claimed;
    total.republished += run.republished;
    total.parked += run.parked;
    total.failed += run.failed;
    if (run.lastError) total.lastError = run.lastError;
    if (run.claimed < limit || run.failed > 0) break;
  }
  return total;
}

/** The cron's entry: logs a line when it did anything. */
export async function redeliverUnconsumedNow(env: Pick<Env, 'HYPERDRIVE' | 'EVENTS' | 'RELIABILITY_DEADLINES'>): Promise<RedeliveryRun> {
  const db = openDatabase(env.HYPERDRIVE.connectionString, { max: 1 });
  const run = await redeliverUnconsumed(db, env.EVENTS as unknown as EventPublisher, { deadlineMs: outboxDeadlineMs(env) });
  if (run.claimed > 0) log.info('outbox redelivery', { ...run });
  return run;
}

export interface ConsumptionGauges {
  /** Published, not consumed, within the deadline (on the queue or being retried). */
  inFlight: number;
  /** Past the deadline: the next run republishes them. */
  overdue: number;
  /** Parked as dead letters and not consumed since (an operator's replay consumes them). */
  parked: number;
  /** Age of the oldest published, unconsumed, unparked event, in seconds (0 if none). */
  oldestSeconds: number;
}

/** For GET /metrics: one scan of the partial index `outbox_unconsumed_idx`. */
export async function consumptionGauges(db: Pick<Database, 'execute'>, deadlineMs = ACK_DEADLINE_MS): Promise<ConsumptionGauges> {
  const overdue = sql`${lastSentSql} < now() - make_interval(secs => ${deadlineMs / 1000})`;
  const [row] = await db.execute<{ in_flight: number; overdue: number; parked: number; oldest: number | null }>(sql`
    select count(*) filter (where ${outbox.parkedAt} is null and not (${overdue}))::int as in_flight,
           count(*) filter (where ${outbox.parkedAt} is null and ${overdue})::int as overdue,
           count(*) filter (where ${outbox.parkedAt} is not null)::int as parked,
           extract(epoch from now() - min(${outbox.publishedAt}) filter (where ${outbox.parkedAt} is null))::float8 as oldest
      from ${outbox}
     where ${outbox.publishedAt} is not null and ${outbox.consumedAt} is null`);
  return { inFlight: Number(row?.in_flight ?? 0), overdue: Number(row?.overdue ?? 0), parked: Number(row?.parked ?? 0), oldestSeconds: Number(row?.oldest ?? 0) };
}
