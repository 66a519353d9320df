/**
 * The outbox relay: moves committed outbox rows to the EVENTS queue, at least
 * once (docs/decisions/0040-outbox-relay.md).
 *
 * - A row is marked published only after `sendBatch` resolved, in the same
 *   transaction that claimed it (`for update skip locked`, so two relays
 *   running at once never claim the same row). A crash between the send and
 *   the commit leaves the row unpublished and it is sent again: consumers
 *   deduplicate by the event id.
 * - A failed send keeps the row, counts the attempt, records the error and
 *   backs off (`next_attempt_at`).
 * - Prompt path: `kickOutboxRelay(env, ctx)` right after a commit runs the
 *   relay in `waitUntil`, so the answer is not delayed and the event is on
 *   the queue within milliseconds; it retries a failed send a few times
 *   within the invocation. Backstop: the cron (`scheduled`, every minute).
 */
import { and, asc, gte, inArray, isNull, lte, sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../../db/client';
import { outbox, type OutboxMessage } from '../../db/schema/index';
import type { EventEnvelope } from './events/envelope';
import type { OutboxEvent } from './outbox';
import { log } from '../../domain/log';

/** The part of a Queue producer the relay uses (the EVENTS binding in production). */
export interface EventPublisher {
  sendBatch(messages: Iterable<{ body: EventEnvelope; contentType?: 'json' }>): Promise<unknown>;
}

export interface RelayRun {
  claimed: number;
  published: number;
  failed: number;
  lastError?: string;
}

/** Queues accept at most 100 messages and 256 KB per sendBatch. */
const MAX_BATCH_MESSAGES = 100;
const MAX_BATCH_BYTES = 200 * 1024;

export function toEnvelope(row: Pick<OutboxMessage, 'id' | 'topic' | 'aggregateType' | 'aggregateId' | 'payload' | 'createdAt'>): EventEnvelope {
  const payload = row.payload ?? {};
  // Consumers find the order in `data.orderId`; order events may leave it to the aggregate.
  const data = row.aggregateType === 'order' && !('orderId' in payload) ? { orderId: row.aggregateId, ...payload } : payload;
  return { id: row.id, type: row.topic, createdAt: row.createdAt.toISOString(), data };
}

/** Envelopes in sendBatch-sized groups (≤ 100 messages, ≤ 200 KB). */
export function chunks(envelopes: EventEnvelope[]): EventEnvelope[][] {
  const out: EventEnvelope[][] = [];
  let current: EventEnvelope[] = [];
  let bytes = 0;
  for (const e of envelopes) {
    const size = JSON.stringify(e).length + 100;
    if (current.length > 0 && (current.length === MAX_BATCH_MESSAGES || bytes + size > MAX_BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

const errorText = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 500);

/** One claim-send-mark round over at most `limit` due rows. */
export async function relayOutboxOnce(
  db: Database,
  publisher: EventPublisher,
  options: { limit?: number; now?: Date; /** Only these rows (a caller that knows what it just wrote). */ ids?: readonly string[] } = {},
): Promise<RelayRun> {
  const limit = options.limit ?? MAX_BATCH_MESSAGES;
  const now = options.now ?? new Date();
  return db.transaction(async (tx) => {
    const rows = await tx
      .select()
      .from(outbox)
      .where(and(isNull(outbox.publishedAt), lte(outbox.nextAttemptAt, now), options.ids ? inArray(outbox.id, [...options.ids]) : undefined))
      .orderBy(asc(outbox.createdAt))
      .limit(limit)
      .for('update', { skipLocked: true });
    const run: RelayRun = { claimed: rows.length, published: 0, failed: 0 };
    if (rows.length === 0) return run;

    const published: string[] = [];
    const failed: string[] = [];
    for (const batch of chunks(rows.map(toEnvelope))) {
      try {
        await publisher.sendBatch(batch.map((body) => ({ body, contentType: 'json' as const })));
        published.push(...batch.map((e) => e.id));
      } catch (error) {
        failed.push(...batch.map((e) => e.id));
        run.lastError = errorText(error);
      }
    }
    if (published.length > 0) {
      await tx
        .update(outbox)
        .set({ publishedAt: new Date(), attempts: sql`${outbox.attempts} + 1`, lastError: null })
        .where(inArray(outbox.id, published));
    }
    if (failed.length > 0) {
      // 1 s, 2 s, 4 s … capped at a minute (the cron's period).
      await tx
        .update(outbox)
        .set({
          attempts: sql`${outbox.attempts} + 1`,
          lastError: run.lastError ?? 'send failed',
          nextAttemptAt: sql`${now.toISOString()}::timestamptz + make_interval(secs => least(60, power(2, ${outbox.attempts})))`,
        })
        .where(inArray(outbox.id, failed));
    }
    run.published = published.length;
    run.failed = failed.length;
    return run;
  });
}

/** Rounds until the due tail is empty, a send fails, or `maxRounds` is reached. */
export async function relayOutbox(db: Database, publisher: EventPublisher, options: { limit?: number; maxRounds?: number } = {}): Promise<RelayRun> {
  const limit = options.limit ?? MAX_BATCH_MESSAGES;
  const total: RelayRun = { claimed: 0, published: 0, failed: 0 };
  for (let round = 0; round < (options.maxRounds ?? 10); round++) {
    const run = await relayOutboxOnce(db, publisher, { limit });
    total.claimed += run.claimed;
    total.published += run.published;
    total.failed += run.failed;
    if (run.lastError) total.lastError = run.lastError;
    if (run.claimed < limit || run.failed > 0) break;
  }
  return total;
}

export type RelayEnv = Pick<Env, 'HYPERDRIVE' | 'EVENTS'>;

/** Waits before the in-invocation retries of a failed send: the rows' own backoff is 1, 2, 4 s. */
const PROMPT_RETRY_DELAYS_MS = [1_000, 2_000, 4_000];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The prompt path: relay now, retry a failed send a few times, then leave it to the cron. */
export async function relayPromptly(env: RelayEnv, delays: readonly number[] = PROMPT_RETRY_DELAYS_MS): Promise<RelayRun> {
  const db = openDatabase(env.HYPERDRIVE.connectionString, { max: 1 });
  let run = await relayOutbox(db, env.EVENTS as unknown as EventPublisher);
  for (const delay of delays) {
    if (run.failed === 0) break;
    await sleep(delay);
    run = await relayOutbox(db, env.EVENTS as unknown as EventPublisher);
  }
  if (run.failed > 0) {
    log.warn('outbox relay: send failed, left to the cron backstop', { failed: run.failed, error: run.lastError });
  }
  return run;
}

/**
 * One prompt relay at a time per isolate. Under load many requests of one
 * isolate commit within milliseconds of each other; each used to open its
 * own connection and run its own claim-send-mark round for one or two rows.
 * Now a kick while a relay runs only asks it to go round once more (it then
 * picks up the rows just committed, in the same batch as the others), so the
 * number of relay runs follows the isolate's pace, not the request rate.
 * The rows are committed before the kick, so nothing depends on the kick
 * itself: a relay that dies takes nobody's rows with it and the cron
 * backstop sends them. A relay running longer than `STALE_AFTER_MS` (its
 * request's context may have been cancelled before its `finally`) no longer
 * counts as running.
 */
const STALE_AFTER_MS = 10_000;
/**
 * How long a started relay waits before its first claim, so that commits of
 * the isolate's other requests a few milliseconds later ride in the same
 * round (one connection, one claim, one mark) instead of each costing a round
 * of their own: the outbox's linger, as a producer's batching window. Short
 * against what consumers do with an event (notifications, webhooks, the
 * feed's backstop); measured in bench/order-flow.ts (docs/capacity.md).
 */
export const RELAY_LINGER_MS = 10;

/**
 * One run at a time per isolate, for the relay and the writer's publish: the
 * caller that starts it gives the round (bound to its own env and client) and
 * the run goes on in its `waitUntil`, after the linger; later callers leave
 * their work for it and return false. The run goes round while `pending()`
 * says there is more; the last check and the reset are one synchronous step,
 * so a caller that finds the run still going is always taken by it. A run
 * older than `STALE_AFTER_MS` no longer counts.
 */
function oneRunPerIsolate(pending: () => boolean, failed: string) {
  let startedAt = 0;
  return (ctx: { waitUntil(promise: Promise<unknown>): void }, round: () => Promise<unknown>): boolean => {
    const now = Date.now();
    if (startedAt !== 0 && now - startedAt < STALE_AFTER_MS) return false;
    startedAt = now;
    const run = async () => {
      try {
        await sleep(RELAY_LINGER_MS);
        while (pending()) await round();
      } finally {
        startedAt = 0;
      }
    };
    ctx.waitUntil(run().catch((error: unknown) => log.warn(failed, { error })));
    return true;
  };
}

/** Set by every kick; the relay goes round once more for it (it then picks up the rows just committed). */
let relayAgain = false;
const startRelay = oneRunPerIsolate(() => {
  const again = relayAgain;
  relayAgain = false;
  return again;
}, 'outbox relay failed; the cron backstop will retry');

/**
 * Call right after committing a transaction that wrote outbox rows: the relay
 * runs after the response, in `waitUntil`, and never throws into the caller.
 * Returns whether this call started a relay (false: it joined the running one).
 */
export function kickOutboxRelay(env: RelayEnv, ctx: { waitUntil(promise: Promise<unknown>): void }): boolean {
  relayAgain = true;
  return startRelay(ctx, () => relayPromptly(env));
}

/**
 * The writer's own publish: right after a commit, the events it wrote go to
 * the queue from the writer's hands, with no claiming transaction. Under the
 * order benchmark at a steady 5–7 orders/s (commits too far apart to share a
 * relay round) each commit paid a relay of its own — a new connection,
 * `begin`, the claim, the mark, `commit` — about 6 a life and a fifth of a
 * life's Worker CPU (docs/capacity.md). Here a commit costs one statement on
 * the writer's own client and the `sendBatch`:
 *
 * - **Mark, then send.** `update … set published_at where id in (…) and
 *   published_at is null returning id` takes the rows (a relay, the cron, or
 *   an operator's replay that already took one answers it elsewhere, so no
 *   row is sent twice by the race), then the marked ones are sent. A send
 *   that fails puts its rows back — unpublished, due now, the error recorded —
 *   and the claiming relay (`relayPromptly`, with its retries) takes them. A
 *   writer that dies between the mark and the send leaves a row published and
 *   never consumed: the acknowledgement sweep sends it again after the
 *   consume deadline (ADR 0078), as for a message the queue lost.
 * - **One publisher per isolate**, as the relay: events committed while one
 *   runs (or within its linger) join its next round — one statement and one
 *   `sendBatch` for all of them, on the first writer's client. Nothing waits
 *   for it: the rows are committed already and the cron is the backstop.
 *
 * Returns whether this call started the publisher (false: it joined it).
 */
export function publishCommitted(env: RelayEnv, ctx: { waitUntil(promise: Promise<unknown>): void }, db: Database, events: readonly OutboxEvent[]): boolean {
  if (events.length === 0) return false;
  waiting.push(...events);
  // A run started here marks with this writer's client.
  return startPublisher(ctx, () => markAndSend(env, db, waiting.splice(0)));
}

/** Events committed and not yet taken by the publisher's round. */
const waiting: OutboxEvent[] = [];
const startPublisher = oneRunPerIsolate(() => waiting.length > 0, 'outbox publish failed; the relay backstops will send its events');

/**
 * The events' rows by id and by the span of their `created_at`, the outbox's
 * partition key (ADR 0119): the planner then looks only at the day's
 * partition instead of planning and probing every partition's primary key.
 */
function theseRows(events: readonly OutboxEvent[]) {
  const times = events.map((e) => e.createdAt.getTime());
  return and(inArray(outbox.id, events.map((e) => e.id)), gte(outbox.createdAt, new Date(Math.min(...times))), lte(outbox.createdAt, new Date(Math.max(...times))));
}

/** One round of the writer's publish: mark the rows nobody has taken, send them, put back what the queue refused. */
export async function markAndSend(env: RelayEnv, db: Database, events: readonly OutboxEvent[], queue: EventPublisher = env.EVENTS as unknown as EventPublisher): Promise<RelayRun> {
  const rows = theseRows(events);
  const marked = new Set(
    (
      await db
        .update(outbox)
        .set({ publishedAt: new Date(), attempts: sql`${outbox.attempts} + 1`, lastError: null })
        .where(and(rows, isNull(outbox.publishedAt)))
        .returning({ id: outbox.id })
    ).map((r) => r.id),
  );
  // In the order they were committed (the returned rows come in any order).
  const envelopes = events.filter((e) => marked.has(e.id)).map(toEnvelope);
  const run: RelayRun = { claimed: envelopes.length, published: 0, failed: 0 };
  const failed: string[] = [];
  for (const batch of chunks(envelopes)) {
    try {
      await queue.sendBatch(batch.map((body) => ({ body, contentType: 'json' as const })));
      run.published += batch.length;
    } catch (error) {
      failed.push(...batch.map((e) => e.id));
      run.lastError = errorText(error);
    }
  }
  if (failed.length > 0) {
    run.failed = failed.length;
    await db
      .update(outbox)
      .set({ publishedAt: null, lastError: run.lastError ?? 'send failed', nextAttemptAt: new Date() })
      .where(theseRows(events.filter((e) => failed.includes(e.id))));
    await relayPromptly(env);
  }
  return run;
}

/** The cron backstop: everything due, in larger rounds. */
export function relayOutboxBackstop(env: RelayEnv): Promise<RelayRun> {
  const db = openDatabase(env.HYPERDRIVE.connectionString, { max: 1 });
  return relayOutbox(db, env.EVENTS as unknown as EventPublisher, { maxRounds: 50 });
}
