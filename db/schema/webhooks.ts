/**
 * Merchant webhooks (Standard Webhooks). Payloads are the order as the
 * merchant may see it; the merchant is entitled to its own customers' data,
 * and deliveries are pruned after the retry window plus a retention period,
 * so this is not a long-term copy of personal data.
 */
import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, tstz, updatedAt } from './columns';
import { webhookDeliveryStatus } from './enums';
import { merchants } from './merchants';

export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: idColumn(),
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    /** Event types, or ['*'] for all. */
    events: text('events').array().notNull().default(sql`'{}'::text[]`),
    /**
     * The signing secret `whsec_<base64>`, sealed with AES-GCM under
     * DATA_ENCRYPTION_KEYS (`v1.<kid>.<iv>.<ct>`, ADR 0083): every delivery
     * is signed with it, so it must be read back (a hash would not do).
     */
    secretSealed: text('secret_sealed'),
    /** The secret in clear: rows from before ADR 0083 only, until the seal sweep empties it (a later migration drops it). */
    secret: text('secret'),
    active: boolean('active').notNull().default(true),
    description: text('description'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('webhook_endpoints_merchant_idx').on(t.merchantId),
    check('webhook_endpoints_secret_stored', sql`${t.secret} is not null or ${t.secretSealed} is not null`),
  ],
);

/** One row per attempt; a retry or a replay is a new row with the same event_id. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: idColumn(),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    /** The Webhook-Id header: the same on every attempt, receivers dedupe by it. */
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    /**
     * When the event happened (the payload's `createdAt`): the partition key
     * (daily partitions, migration 0016, ADR 0126). Every attempt of an event
     * computes the same value from the same payload, so the attempts share a
     * partition and the unique key below still makes two racing consumers
     * conflict.
     */
    eventAt: tstz('event_at').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    attempt: integer('attempt').notNull().default(1),
    /** What made this attempt: the event itself, a scheduled retry, or a manual replay. */
    trigger: text('trigger').notNull().default('event'),
    status: webhookDeliveryStatus('status').notNull().default('pending'),
    statusCode: integer('status_code'),
    latencyMs: integer('latency_ms'),
    error: text('error'),
    nextRetryAt: tstz('next_retry_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('webhook_deliveries_endpoint_created_idx').on(t.endpointId, t.createdAt.desc().nullsFirst()),
    // One row per attempt number: two consumers racing on the same event
    // cannot both make attempt n (the loser's insert conflicts). The partition
    // key is part of it (Postgres requires it), and is the same for both.
    uniqueIndex('webhook_deliveries_endpoint_event_attempt_uq').on(t.endpointId, t.eventId, t.attempt, t.eventAt),
    // The retry sweep: only rows still waiting for another attempt.
    index('webhook_deliveries_retry_idx')
      .on(t.nextRetryAt)
      .where(sql`${t.nextRetryAt} is not null`),
    // The retention sweep (workers/services/retention.ts): the oldest attempts first.
    index('webhook_deliveries_created_idx').on(t.createdAt),
  ],
);

export type WebhookEndpoint = typeof webhookEndpoints.$inferSelect;
export type NewWebhookEndpoint = typeof webhookEndpoints.$inferInsert;
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;
export type NewWebhookDelivery = typeof webhookDeliveries.$inferInsert;
export type WebhookDeliveryStatus = WebhookDelivery['status'];
