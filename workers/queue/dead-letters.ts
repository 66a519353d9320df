/**
 * The dead-letter side: messages the EVENTS consumer gave up on (the queue
 * moves them to delivery-events-dlq after max_retries) are stored in
 * `dead_letters`, once per message id, for operators to list and replay.
 */
import { and, desc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import { openDatabase, type Database } from '../../db/client';
import { newId } from '../../db/ids';
import { deadLetters, type DeadLetter } from '../../db/schema/index';
import { markParked, outboxIdOf } from './acknowledgements';
import { log } from '../../domain/log';

/** The queue a parked message came from, and where a replay sends it. */
export const EVENTS_QUEUE = 'delivery-events';

export async function parkMessage(db: Database, m: { messageId: string; body: unknown; attempts: number; error: string | null }): Promise<void> {
  await db
    .insert(deadLetters)
    .values({ id: newId('dlq'), queue: EVENTS_QUEUE, messageId: m.messageId, body: m.body ?? null, attempts: m.attempts, error: m.error })
    .onConflictDoNothing();
}

export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const db = openDatabase(env.HYPERDRIVE.connectionString, { max: 2 });
  // Outbox events parked here are no longer overdue: the redelivery sweep leaves them to operators (ADR 0078).
  const parked: string[] = [];
  for (const message of batch.messages) {
    try {
      await parkMessage(db, {
        messageId: message.id,
        body: message.body,
        attempts: message.attempts,
        error: `exhausted its retries on ${EVENTS_QUEUE}; see the notification log and webhook deliveries for the provider errors`,
      });
      message.ack();
      const outboxId = outboxIdOf(message.body);
      if (outboxId) parked.push(outboxId);
    } catch (error) {
      log.error('could not store a dead letter; retrying', { messageId: message.id, error });
      message.retry({ delaySeconds: 30 });
    }
  }
  await markParked(db, parked).catch((error: unknown) => log.warn('outbox rows not marked parked; the redelivery sweep may send them again', { error }));
}

export interface DeadLetterPage {
  items: DeadLetter[];
  nextCursor: string | null;
}

/** Newest first; the cursor is the last row's `createdAt|id`. */
export async function listDeadLetters(db: Database, options: { limit: number; cursor?: string; pending?: boolean }): Promise<DeadLetterPage> {
  const where: SQL[] = [];
  if (options.pending) where.push(isNull(deadLetters.replayedAt));
  if (options.cursor) {
    const [at, id] = options.cursor.split('|');
    const when = new Date(at ?? '');
    if (id && !Number.isNaN(when.getTime())) {
      where.push(sql`(date_trunc('milliseconds', ${deadLetters.createdAt}), ${deadLetters.id}) < (${when.toISOString()}::timestamptz, ${id})`);
    }
  }
  const rows = await db
    .select()
    .from(deadLetters)
    .where(where.length > 0 ? and(...where) : undefined)
    .orderBy(desc(sql`date_trunc('milliseconds', ${deadLetters.createdAt})`), desc(deadLetters.id))
    .limit(options.limit + 1);
  const items = rows.slice(0, options.limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > options.limit && last ? `${last.createdAt.toISOString()}|${last.id}` : null };
}

/**
 * Sends the parked body to the EVENTS queue again. Marked first (only one
 * replay wins a race), unmarked if the send fails.
 */
export async function replayDeadLetter(db: Database, queue: Pick<Queue, 'send'>, id: string): Promise<{ result: 'replayed'; row: DeadLetter } | { result: 'missing' } | { result: 'already'; row: DeadLetter }> {
  const [claimed] = await db
    .update(deadLetters)
    .set({ replayedAt: new Date() })
    .where(and(eq(deadLetters.id, id), isNull(deadLetters.replayedAt)))
    .returning();
  if (!claimed) {
    const [row] = await db.select().from(deadLetters).where(eq(deadLetters.id, id));
    return row ? { result: 'already', row } : { result: 'missing' };
  }
  try {
    await queue.send(claimed.body, { contentType: 'json' });
  } catch (error) {
    await db.update(deadLetters).set({ replayedAt: null }).where(eq(deadLetters.id, id));
    throw error;
  }
  return { result: 'replayed', row: claimed };
}
