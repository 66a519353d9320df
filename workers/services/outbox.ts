/**
 * The transactional outbox: every state change writes the events that
 * announce it in the same transaction, so a change and its announcement
 * commit or roll back together. Rows are ids and states only (no contact
 * data, see db/schema/outbox.ts); the relay that publishes them to Queues,
 * and the consumers, come later and deliver at least once, deduplicating by
 * the row id.
 */
import { newId } from '../../db/ids';
import { outbox, type NewOutboxMessage } from '../../db/schema/index';
import type { Database } from '../../db/client';
import type { OrderEventType, PaymentEventType } from '../../domain/order';

/** Security notices to the account's owner, by email (ADR 0088). */
export type AccountNoticeType = 'account.sign_in_failures' | 'account.password_changed';

/** A transaction handle or the database: anything drizzle can insert with. */
export type Executor = Pick<Database, 'insert'>;

export type OutboxTopic =
  | OrderEventType
  | PaymentEventType
  /** Internal: a notification failed for good after it was sent (Twilio's callback); try the next channel. */
  | 'notification.fallback'
  /** Internal: security notices to an account's owner (services/notifications/account-notices.ts). */
  | AccountNoticeType;

export interface OutboxEvent {
  id: string;
  topic: OutboxTopic;
  aggregateType: 'order' | 'payment' | 'notification' | 'user';
  aggregateId: string;
  payload: Record<string, unknown>;
  createdAt: Date;
}

export function outboxEvent(
  topic: OutboxTopic,
  aggregate: { type: OutboxEvent['aggregateType']; id: string },
  payload: Record<string, unknown>,
  at = new Date(),
): OutboxEvent {
  return { id: newId('obx'), topic, aggregateType: aggregate.type, aggregateId: aggregate.id, payload, createdAt: at };
}

/** The rows of `events` as the outbox table stores them. */
export const outboxRows = (events: readonly OutboxEvent[]): NewOutboxMessage[] =>
  events.map((e) => ({
    id: e.id,
    topic: e.topic,
    aggregateType: e.aggregateType,
    aggregateId: e.aggregateId,
    payload: e.payload,
    createdAt: e.createdAt,
    nextAttemptAt: e.createdAt,
  }));

/** The insert itself, for a caller that folds it into a larger statement (a CTE); at least one event. */
export const outboxInsert = (db: Executor, events: readonly OutboxEvent[]) => db.insert(outbox).values(outboxRows(events));

/** Writes the events with the caller's transaction (pass `tx`, never the bare db, for a state change). */
export async function writeOutbox(tx: Executor, events: readonly OutboxEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.insert(outbox).values(outboxRows(events));
}
