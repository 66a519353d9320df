/**
 * Transactional outbox and dead letters. Every state change writes its outbox
 * row in the same transaction; a relay publishes rows to the queue and marks
 * them. Payloads carry ids and states, not contact data: consumers read the
 * recipient at send time, so an erasure in between is honoured and the
 * outbox never needs scrubbing.
 */
import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, tstz } from './columns';

export const outbox = pgTable(
  'outbox',
  {
    id: idColumn(),
    /** Event type, e.g. order.placed, payment.refunded. */
    topic: text('topic').notNull(),
    aggregateType: text('aggregate_type').notNull(),
    aggregateId: text('aggregate_id').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    publishedAt: tstz('published_at'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: tstz('next_attempt_at').notNull().defaultNow(),
    lastError: text('last_error'),
    /**
     * Acknowledged: the EVENTS consumer ran every handler of this event to
     * success (set once per batch for the acked ids). Published and not
     * consumed past its deadline, the reconciliation sweep republishes it
     * (workers/services/outbox-redelivery.ts, docs/decisions/0078).
     */
    consumedAt: tstz('consumed_at'),
    /** The consumer asked the queue to deliver it again by then (a retry with backoff): still in the queue's hands. */
    retryDueAt: tstz('retry_due_at'),
    /** How often the sweep republished it, and when last. */
    republishes: integer('republishes').notNull().default(0),
    republishedAt: tstz('republished_at'),
    /** Given up: stored in dead_letters (by the sweep after its republishes, or by the queue's dead-letter consumer). */
    parkedAt: tstz('parked_at'),
  },
  (t) => [
    // The relay's scan: only the unpublished tail, in order.
    index('outbox_unpublished_idx')
      .on(t.createdAt)
      .where(sql`${t.publishedAt} is null`),
    // The redelivery sweep and its metric: only what is published and not yet consumed.
    index('outbox_unconsumed_idx')
      .on(t.publishedAt)
      .where(sql`${t.publishedAt} is not null and ${t.consumedAt} is null`),
    index('outbox_aggregate_idx').on(t.aggregateType, t.aggregateId, t.createdAt),
    // The retention sweep (workers/services/retention.ts): published rows, oldest first.
    index('outbox_published_idx')
      .on(t.publishedAt)
      .where(sql`${t.publishedAt} is not null`),
  ],
);

/** Queue messages that exhausted their retries, kept for inspection and replay. */
export const deadLetters = pgTable(
  'dead_letters',
  {
    id: idColumn(),
    queue: text('queue').notNull(),
    messageId: text('message_id').notNull(),
    body: jsonb('body').notNull(),
    error: text('error'),
    attempts: integer('attempts').notNull().default(0),
    createdAt: createdAt(),
    replayedAt: tstz('replayed_at'),
  },
  (t) => [
    index('dead_letters_queue_created_idx').on(t.queue, t.createdAt.desc().nullsFirst()),
    // The dead-letter consumer runs at least once too: a redelivery stores nothing new.
    uniqueIndex('dead_letters_queue_message_uq').on(t.queue, t.messageId),
  ],
);

export type OutboxMessage = typeof outbox.$inferSelect;
export type NewOutboxMessage = typeof outbox.$inferInsert;
export type DeadLetter = typeof deadLetters.$inferSelect;
export type NewDeadLetter = typeof deadLetters.$inferInsert;
