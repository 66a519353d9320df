/**
 * Payments and refunds (Stripe). Accounting records we must keep for years,
 * so they hold amounts and provider ids only: no card data (Stripe has it),
 * no names. The PaymentIntent client_secret is deliberately not stored; it is
 * fetched from Stripe when the client needs it again.
 */
import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { createdAt, currency, idColumn, tstz, updatedAt } from './columns';
import { paymentProvider, paymentStatus, refundStatus } from './enums';
import { orders } from './orders';

export const payments = pgTable(
  'payments',
  {
    id: idColumn(),
    orderId: text('order_id')
      .notNull()
      .unique()
      .references(() => orders.id, { onDelete: 'restrict' }),
    provider: paymentProvider('provider').notNull().default('stripe'),
    /** PaymentIntent id (pi_...). Null only between our insert and Stripe's answer. */
    providerPaymentId: text('provider_payment_id').unique(),
    status: paymentStatus('status').notNull().default('requires_payment'),
    amountCents: integer('amount_cents').notNull(),
    currency: currency(),
    refundedCents: integer('refunded_cents').notNull().default(0),
    /** Last failure as reported by the provider (decline code, message). */
    failureReason: text('failure_reason'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('payments_amount_non_negative', sql`${t.amountCents} >= 0`),
    check('payments_refund_bounds', sql`${t.refundedCents} between 0 and ${t.amountCents}`),
  ],
);

export const refunds = pgTable(
  'refunds',
  {
    id: idColumn(),
    paymentId: text('payment_id')
      .notNull()
      .references(() => payments.id, { onDelete: 'restrict' }),
    /** Refund id (re_...). Null only between our insert and Stripe's answer. */
    providerRefundId: text('provider_refund_id').unique(),
    amountCents: integer('amount_cents').notNull(),
    currency: currency(),
    status: refundStatus('status').notNull().default('pending'),
    reason: text('reason'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('refunds_payment_idx').on(t.paymentId),
    check('refunds_amount_positive', sql`${t.amountCents} > 0`),
  ],
);

/**
 * Provider webhooks already handled: insert first (on conflict do nothing)
 * in the same transaction as the effect, so a redelivered event is a no-op.
 */
export const processedWebhookEvents = pgTable(
  'processed_webhook_events',
  {
    /** 'stripe', 'twilio', ... */
    provider: text('provider').notNull(),
    eventId: text('event_id').notNull(),
    eventType: text('event_type'),
    receivedAt: tstz('received_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.provider, t.eventId] }),
    index('processed_webhook_events_received_idx').on(t.receivedAt),
  ],
);

export type Payment = typeof payments.$inferSelect;
export type NewPayment = typeof payments.$inferInsert;
export type PaymentStatus = Payment['status'];
export type Refund = typeof refunds.$inferSelect;
export type NewRefund = typeof refunds.$inferInsert;
