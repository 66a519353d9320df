/**
 * Notifications. GDPR placement: preferences and push tokens are personal
 * data keyed by user_id and deleted on erasure. The send log must survive
 * (proof of what was sent, provider reconciliation), so it stores a hash of
 * the recipient address, never the address itself. `dev_messages` is the
 * exception: it holds full messages, but only in local mode (APP_ENV=local).
 */
import {
  boolean,
  index,
  integer,
  pgTable,
  text,
  unique,
} from 'drizzle-orm/pg-core';
import { createdAt, idColumn, tstz, updatedAt } from './columns';
import { devicePlatform, notificationChannel, notificationStatus } from './enums';
import { users } from './identity';
import { orders } from './orders';

export const notificationPreferences = pgTable('notification_preferences', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  sms: boolean('sms').notNull().default(true),
  email: boolean('email').notNull().default(true),
  push: boolean('push').notNull().default(true),
  /** Opt-in only (ePrivacy): false until the user says otherwise. */
  marketing: boolean('marketing').notNull().default(false),
  /** E.164 number for SMS; null: the account's phone (user_profiles.phone). */
  phone: text('phone'),
  /** Address for email; null: the account's email (user_profiles.email). */
  emailAddress: text('email_address'),
  updatedAt: updatedAt(),
});

export const devices = pgTable(
  'devices',
  {
    id: idColumn(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** A token moves to whoever registered it last (upsert on conflict). */
    pushToken: text('push_token').notNull().unique(),
    platform: devicePlatform('platform').notNull(),
    createdAt: createdAt(),
    lastSeenAt: tstz('last_seen_at').notNull().defaultNow(),
  },
  (t) => [index('devices_user_idx').on(t.userId)],
);

export const notificationLog = pgTable(
  'notification_log',
  {
    id: idColumn(),
    /** The domain event (outbox message) that caused this notification. */
    eventId: text('event_id').notNull(),
    /** Null when the recipient has no account (merchant-created order contact). */
    userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
    orderId: text('order_id').references(() => orders.id, { onDelete: 'set null' }),
    channel: notificationChannel('channel').notNull(),
    template: text('template').notNull(),
    /** SHA-256 of the normalised address or token: matchable, not readable. */
    recipientHash: text('recipient_hash'),
    provider: text('provider'),
    providerMessageId: text('provider_message_id'),
    status: notificationStatus('status').notNull().default('queued'),
    error: text('error'),
    attempt: integer('attempt').notNull().default(0),
    /**
     * Set while a consumer is sending (status `queued`): a redelivery of the
     * same event waits instead of sending twice; a crashed sender's lease
     * expires and the next delivery takes over.
     */
    leasedUntil: tstz('leased_until'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // One send per event, channel and recipient even when the queue redelivers.
    // NULLS NOT DISTINCT (Postgres 15+) so contact-only recipients dedupe too.
    unique('notification_log_event_channel_user_uq')
      .on(t.eventId, t.channel, t.userId)
      .nullsNotDistinct(),
    index('notification_log_provider_msg_idx').on(t.provider, t.providerMessageId),
    index('notification_log_order_idx').on(t.orderId),
    index('notification_log_user_created_idx').on(t.userId, t.createdAt.desc().nullsFirst()),
  ],
);

/** Every attempt of a send: what the provider answered, how long it took. */
export const notificationAttempts = pgTable(
  'notification_attempts',
  {
    id: idColumn(),
    logId: text('log_id')
      .notNull()
      .references(() => notificationLog.id, { onDelete: 'cascade' }),
    attempt: integer('attempt').notNull(),
    /** `sent`, or `failed` with `permanent` telling a 4xx from a 5xx/timeout. */
    status: notificationStatus('status').notNull(),
    permanent: boolean('permanent').notNull().default(false),
    provider: text('provider'),
    providerMessageId: text('provider_message_id'),
    httpStatus: integer('http_status'),
    error: text('error'),
    latencyMs: integer('latency_ms'),
    at: tstz('at').notNull().defaultNow(),
  },
  (t) => [unique('notification_attempts_log_attempt_uq').on(t.logId, t.attempt)],
);

/**
 * Local mode only: every message that would have been sent, in full, for
 * GET /v1/dev/outbox. Never written in production.
 */
export const devMessages = pgTable(
  'dev_messages',
  {
    id: idColumn(),
    channel: notificationChannel('channel').notNull(),
    to: text('to').notNull(),
    /** Event type, e.g. order.placed. */
    event: text('event').notNull(),
    locale: text('locale').notNull(),
    subject: text('subject'),
    body: text('body').notNull(),
    orderId: text('order_id'),
    at: tstz('at').notNull().defaultNow(),
  },
  (t) => [
    index('dev_messages_order_idx').on(t.orderId, t.at),
    index('dev_messages_to_idx').on(t.to, t.at),
  ],
);

export type NotificationPreferences = typeof notificationPreferences.$inferSelect;
export type Device = typeof devices.$inferSelect;
export type NewDevice = typeof devices.$inferInsert;
export type NotificationLogEntry = typeof notificationLog.$inferSelect;
export type NewNotificationLogEntry = typeof notificationLog.$inferInsert;
export type NotificationAttempt = typeof notificationAttempts.$inferSelect;
export type DevMessage = typeof devMessages.$inferSelect;
export type NewDevMessage = typeof devMessages.$inferInsert;
