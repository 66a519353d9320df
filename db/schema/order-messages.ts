/**
 * Messages between an order's parties (docs/decisions/0113): the customer
 * and the driver, the merchant and the driver, each thread within one order.
 * Stored with the order (the row goes when the order goes) and personal
 * data: the customer's erasure deletes the messages of their orders, a
 * driver's or merchant user's erasure those they sent (services/privacy.ts).
 * Phone numbers are never exchanged; a masked call is documented in ADR 0113.
 */
import { check, index, pgTable, text } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { createdAt, idColumn } from './columns';
import { orders } from './orders';

export const orderMessages = pgTable(
  'order_messages',
  {
    id: idColumn(),
    orderId: text('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    /** `customer_driver` or `merchant_driver`: who may read it. */
    thread: text('thread').notNull(),
    /** `customer`, `merchant` or `driver`. */
    senderRole: text('sender_role').notNull(),
    /** The user (customer, merchant staff) or driver id; no FK: erasure deletes the row itself. */
    senderId: text('sender_id').notNull(),
    body: text('body').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('order_messages_order_idx').on(t.orderId, t.createdAt),
    index('order_messages_sender_idx').on(t.senderId),
    check('order_messages_thread_check', sql`${t.thread} in ('customer_driver', 'merchant_driver')`),
    check('order_messages_body_check', sql`char_length(${t.body}) between 1 and 500`),
  ],
);

export type OrderMessage = typeof orderMessages.$inferSelect;
