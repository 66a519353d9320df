/**
 * What the EVENTS consumer tells Postgres about the outbox events it handled
 * (docs/decisions/0078-outbox-acknowledgement.md): the ones every handler
 * finished (`consumed_at`), the ones it handed back to the queue for a retry
 * (`retry_due_at`: still in the queue's hands until then), and the ones the
 * queue gave up on (`parked_at`, from the dead-letter consumer). One UPDATE
 * per batch for each, never one per message.
 *
 * Only outbox events are acknowledged: their envelope id is the outbox row's
 * id. A `webhook.retry` message (id `<event>.retry.<endpoint>`), a shard's
 * dispatch fact and the notifications made from one (`dispatch.offer`,
 * `order.arriving_soon`) have no outbox row.
 */
import { and, inArray, isNull, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { outbox } from '../../db/schema/index';
import { classifyMessage } from '../services/events/envelope';
import { log } from '../../domain/log';

const OUTBOX_ID = /^obx_[0-9a-z]{20}$/;

/** The outbox row a queue message carries, if it carries one. */
export function outboxIdOf(body: unknown): string | null {
  const message = classifyMessage(body);
  if (message.kind !== 'event' || message.event.type === 'webhook.retry') return null;
  return OUTBOX_ID.test(message.event.id) ? message.event.id : null;
}

/** The outcomes of one batch, collected while its messages are handled. */
export class BatchAcknowledgements {
  readonly consumed = new Set<string>();
  readonly retries = new Map<string, Date>();

  /** Every handler succeeded: the message is acked. */
  consumedMessage(body: unknown): void {
    const id = outboxIdOf(body);
    if (id) this.consumed.add(id);
  }

  /** Handed back to the queue, to be delivered again after `delaySeconds`. */
  retriedMessage(body: unknown, delaySeconds: number, now = Date.now()): void {
    const id = outboxIdOf(body);
    if (id && !this.consumed.has(id)) this.retries.set(id, new Date(now + delaySeconds * 1000));
  }

  /** At most two statements; a failure is logged, not thrown: the redelivery sweep covers a lost acknowledgement. */
  async flush(db: Database, now = new Date()): Promise<void> {
    for (const id of this.consumed) this.retries.delete(id);
    try {
      await Promise.all([acknowledgeConsumed(db, [...this.consumed], now), recordRetries(db, this.retries)]);
    } catch (error) {
      log.warn('outbox acknowledgement not written; the redelivery sweep may send these events again', { consumed: this.consumed.size, retried: this.retries.size, error });
    }
  }
}

/** One UPDATE for the batch's consumed events; a redelivery of an acknowledged event keeps its first time. */
export async function acknowledgeConsumed(db: Pick<Database, 'update'>, ids: readonly string[], now = new Date()): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(outbox)
    .set({ consumedAt: now })
    .where(and(inArray(outbox.id, [...ids]), isNull(outbox.consumedAt)));
}

/** One UPDATE for the batch's retried events: each is not overdue before the queue's next delivery of it. */
export async function recordRetries(db: Pick<Database, 'execute'>, retries: ReadonlyMap<string, Date>): Promise<void> {
  if (retries.size === 0) return;
  // One JSON parameter: postgres.js is not asked to type arrays (fetch_types is off).
  const rows = JSON.stringify([...retries].map(([id, due]) => ({ id, due: due.toISOString() })));
  await db.execute(sql`
    update ${outbox} set retry_due_at = v.due
    from jsonb_to_recordset(${rows}::jsonb) as v(id text, due timestamptz)
    where ${outbox.id} = v.id and ${outbox.consumedAt} is null`);
}

/** The queue (or the sweep) gave up on these events: they are dead letters now, not overdue. */
export async function markParked(db: Pick<Database, 'update'>, ids: readonly string[], now = new Date()): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(outbox)
    .set({ parkedAt: now })
    .where(and(inArray(outbox.id, [...ids]), isNull(outbox.parkedAt)));
}
