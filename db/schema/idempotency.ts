/**
 * Idempotency-Key records: the first answer to a POST, replayed for the same
 * key and body. Stored responses can contain personal data (an order with its
 * dropoff address), which is why every row expires and a cron deletes it;
 * they are a short-lived cache, not a record.
 */
import { index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { createdAt, tstz } from './columns';

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    /** Whose key space: a user id or a merchant API key id. */
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    /** Hash of method + path + body; another body under the same key is a 409. */
    requestHash: text('request_hash').notNull(),
    /** Null while the first request is still running (a concurrent retry gets 409). */
    statusCode: integer('status_code'),
    responseBody: text('response_body'),
    responseHeaders: jsonb('response_headers').$type<Record<string, string>>(),
    /**
     * What the first attempt created (e.g. the order id), written in the same
     * transaction as that object: a retry after a failure further on (the
     * payment provider was down) resumes it instead of creating another.
     */
    resourceId: text('resource_id'),
    /** Set while an attempt runs; an attempt older than the lock timeout is presumed dead and may be taken over. */
    lockedAt: tstz('locked_at'),
    createdAt: createdAt(),
    expiresAt: tstz('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.scope, t.key] }),
    index('idempotency_keys_expires_idx').on(t.expiresAt),
  ],
);

export type IdempotencyKey = typeof idempotencyKeys.$inferSelect;
export type NewIdempotencyKey = typeof idempotencyKeys.$inferInsert;
