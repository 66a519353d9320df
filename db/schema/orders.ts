/**
 * Orders. GDPR placement: `orders` is an accounting and operations record we
 * must keep (tax law), so it holds no direct identifier of a person. Who the
 * order goes to (name, phone, email, street address, instructions) lives in
 * `order_contacts`, and delivery proof (photo, ID check) in
 * `delivery_proofs`; erasure deletes or blanks both and rounds the dropoff
 * coordinates (3 decimals, ~100 m) so they no longer point at a home.
 * `customer_id` can stay: after erasure it points at a users row without
 * personal data, i.e. a pseudonym (and it is set null if that row is ever
 * deleted). Merchant-created orders for people without an account exist only
 * in `order_contacts`.
 */
import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  smallint,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { products } from './catalog';
import { cities } from './cities';
import { createdAt, currency, idColumn, tstz, updatedAt } from './columns';
import { drivers } from './drivers';
import { actorType, deliveryProofMethod, dispatchState, orderSource, orderStatus } from './enums';
import { users } from './identity';
import { merchantApiKeys, merchants } from './merchants';

export const orders = pgTable(
  'orders',
  {
    id: idColumn(),
    /** The human order number (domain/order.ts): the same in every app, message and webhook. */
    number: text('number').notNull().unique(),
    cityId: text('city_id')
      .notNull()
      .references(() => cities.id, { onDelete: 'restrict' }),
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id, { onDelete: 'restrict' }),
    /** Null for merchant-created orders whose customer has no account. */
    customerId: text('customer_id').references(() => users.id, { onDelete: 'set null' }),
    driverId: text('driver_id').references(() => drivers.id, { onDelete: 'set null' }),
    status: orderStatus('status').notNull(),
    dispatchState: dispatchState('dispatch_state').notNull().default('unassigned'),
    source: orderSource('source').notNull(),
    /** The merchant API key that created it (source = merchant_api). */
    apiKeyId: text('api_key_id').references(() => merchantApiKeys.id, { onDelete: 'set null' }),

    // Totals are a snapshot: later price or fee changes never alter an order.
    subtotalCents: integer('subtotal_cents').notNull(),
    deliveryFeeCents: integer('delivery_fee_cents').notNull(),
    taxCents: integer('tax_cents').notNull(),
    totalCents: integer('total_cents').notNull(),
    currency: currency(),
    /** What the driver is paid for this order, fixed when the offer is accepted. */
    driverPayoutCents: integer('driver_payout_cents'),
    distanceM: integer('distance_m').notNull(),

    /** Merchant location at order time, so moving a merchant keeps history. */
    pickupLat: doublePrecision('pickup_lat').notNull(),
    pickupLng: doublePrecision('pickup_lng').notNull(),
    /** Exact while the order is live; rounded on erasure (see header). */
    dropoffLat: doublePrecision('dropoff_lat').notNull(),
    dropoffLng: doublePrecision('dropoff_lng').notNull(),

    /**
     * The hand-over PIN and the tracking link's token are never stored in
     * clear (ADR 0083, services/orders/codes.ts). `delivery_pin` and
     * `tracking_token` are the plaintext columns of rows written before:
     * the seal sweep empties them (a later migration drops them).
     */
    deliveryPin: text('delivery_pin'),
    trackingToken: text('tracking_token').unique(),
    /** HMAC-SHA-256 of the PIN under the data key (`<kid>.<base64url>`): what a driver's code is compared with. */
    deliveryPinHash: text('delivery_pin_hash'),
    /** The PIN sealed with AES-GCM (`v1.<kid>.<iv>.<ct>`): the customer must be able to read it again. */
    deliveryPinSealed: text('delivery_pin_sealed'),
    /** SHA-256 of the token, hex: GET /v1/track/{token} looks the order up by it. */
    trackingTokenHash: text('tracking_token_hash').unique(),
    /** The token sealed with AES-GCM, for the links the platform shows and sends. */
    trackingTokenSealed: text('tracking_token_sealed'),
    /** Set when the order ends (+1 h); the link answers 404 afterwards. */
    trackingExpiresAt: tstz('tracking_expires_at'),

    requiresPrescription: boolean('requires_prescription').notNull().default(false),
    /** Merchant orders already paid outside the platform: no payment row. */
    paidOffPlatform: boolean('paid_off_platform').notNull().default(false),
    cancelReason: text('cancel_reason'),

    createdAt: createdAt(),
    updatedAt: updatedAt(),
    placedAt: tstz('placed_at'),
    /**
     * Set with the `order.escalated` event when the merchant had not accepted
     * the order within its city's deadline (services/orders/unaccepted.ts).
     */
    escalatedAt: tstz('escalated_at'),
    deliveredAt: tstz('delivered_at'),
    /**
     * A scheduled order's delivery window (ADR 0108): placed and paid at
     * once, held (status `placed`) until `release_at` (window start minus the
     * merchant's prep time, fixed at creation), when the minute cron sets
     * `released_at` and the merchant may accept it. All null for an order
     * delivered as soon as possible.
     */
    scheduledStart: tstz('scheduled_start'),
    scheduledEnd: tstz('scheduled_end'),
    releaseAt: tstz('release_at'),
    releasedAt: tstz('released_at'),
    /** Optimistic concurrency: `update ... where id = $1 and version = $2`. */
    version: integer('version').notNull().default(0),
    /**
     * The seq of the order's latest event (order_status_events.seq): every
     * change sets `seq = seq + 1` in its UPDATE and appends the event with
     * that number in the same transaction, so the log has no gaps.
     */
    seq: integer('seq').notNull().default(0),
  },
  (t) => [
    // Keyset pagination: `order by created_at desc, id desc` with
    // `(created_at, id) < (cursor)`. Plain DESC (nulls first) so the planner
    // matches drizzle's `desc()` exactly and reads the index in order.
    index('orders_customer_created_idx').on(
      t.customerId,
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    index('orders_merchant_created_idx').on(
      t.merchantId,
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    index('orders_driver_created_idx').on(t.driverId, t.createdAt.desc().nullsFirst()),
    index('orders_status_idx').on(t.status),
    index('orders_city_status_idx').on(t.cityId, t.status),
    // The unaccepted-orders sweep: placed orders, oldest placement first.
    index('orders_placed_at_idx')
      .on(t.placedAt)
      .where(sql`${t.status} = 'placed'`),
    // The scheduled-release sweep (services/orders/scheduled.ts): held orders, earliest release first.
    index('orders_release_due_idx')
      .on(t.releaseAt)
      .where(sql`${t.releaseAt} is not null and ${t.releasedAt} is null`),
    check(
      'orders_schedule_complete',
      sql`(${t.scheduledStart} is null) = (${t.scheduledEnd} is null) and (${t.scheduledStart} is null) = (${t.releaseAt} is null) and (${t.scheduledEnd} is null or ${t.scheduledEnd} > ${t.scheduledStart})`,
    ),
    check(
      'orders_amounts_non_negative',
      sql`${t.subtotalCents} >= 0 and ${t.deliveryFeeCents} >= 0 and ${t.taxCents} >= 0 and ${t.totalCents} >= 0`,
    ),
    check('orders_delivery_pin_format', sql`${t.deliveryPin} ~ '^[0-9]{4}$'`),
    // Every order has a PIN and a token, in clear (rows from before ADR 0083) or hashed and sealed.
    check('orders_delivery_pin_stored', sql`${t.deliveryPin} is not null or (${t.deliveryPinHash} is not null and ${t.deliveryPinSealed} is not null)`),
    check('orders_tracking_token_stored', sql`${t.trackingToken} is not null or (${t.trackingTokenHash} is not null and ${t.trackingTokenSealed} is not null)`),
    // The seal sweep's work list: rows still holding a code in clear (empty once it is done).
    index('orders_plaintext_codes_idx')
      .on(t.id)
      .where(sql`${t.deliveryPin} is not null or ${t.trackingToken} is not null`),
    check('orders_distance_non_negative', sql`${t.distanceM} >= 0`),
  ],
);

/** The person and place an order goes to. Wiped on erasure. */
export const orderContacts = pgTable('order_contacts', {
  orderId: text('order_id')
    .primaryKey()
    .references(() => orders.id, { onDelete: 'cascade' }),
  name: text('name'),
  phone: text('phone'),
  email: text('email'),
  address: text('address'),
  instructions: text('instructions'),
  createdAt: createdAt(),
  /** Set when erasure blanked this row. */
  erasedAt: tstz('erased_at'),
});

export const orderItems = pgTable(
  'order_items',
  {
    id: idColumn(),
    orderId: text('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    productId: text('product_id').references(() => products.id, { onDelete: 'set null' }),
    /** Snapshot of the product at order time. */
    name: text('name').notNull(),
    unitPriceCents: integer('unit_price_cents').notNull(),
    quantity: integer('quantity').notNull(),
    lineTotalCents: integer('line_total_cents').notNull(),
    requiresPrescription: boolean('requires_prescription').notNull().default(false),
  },
  (t) => [
    index('order_items_order_idx').on(t.orderId),
    check('order_items_quantity_positive', sql`${t.quantity} > 0`),
    check('order_items_line_total', sql`${t.lineTotalCents} = ${t.unitPriceCents} * ${t.quantity}`),
  ],
);

/**
 * The order's timeline (GET /v1/orders/{id}/events): one row per change, with
 * a per-order `seq` (1, 2, 3… without gaps) and the order as it was at that
 * event (`snapshot`: the order's own columns only, never contact data, the
 * PIN or the tracking token; see workers/services/orders/snapshot.ts). Every
 * view (REST, live channels, merchant feed, webhooks, notifications) is
 * derived from these rows.
 */
export const orderStatusEvents = pgTable(
  'order_status_events',
  {
    id: idColumn(),
    orderId: text('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    /** Rows older than the timeline were numbered by time in migration 0005. */
    seq: integer('seq').notNull(),
    /** order.created, order.assigned, … (domain/order.ts ORDER_EVENT_TYPES); null on rows older than the timeline. */
    type: text('type'),
    /** Null on rows older than the timeline. */
    snapshot: jsonb('snapshot').$type<Record<string, unknown>>(),
    status: orderStatus('status').notNull(),
    dispatchState: dispatchState('dispatch_state'),
    actorType: actorType('actor_type').notNull(),
    /** A user, driver, API key or provider event id; no FK, it may be any of them. */
    actorId: text('actor_id'),
    reason: text('reason'),
    at: tstz('at').notNull().defaultNow(),
  },
  (t) => [
    index('order_status_events_order_at_idx').on(t.orderId, t.at),
    uniqueIndex('order_status_events_order_seq_uq').on(t.orderId, t.seq),
  ],
);

/**
 * Proof of hand-over. A photo of the door and the recipient's ID check are
 * personal data, so they sit apart from the order and erasure can drop them.
 */
export const deliveryProofs = pgTable(
  'delivery_proofs',
  {
    orderId: text('order_id')
      .primaryKey()
      .references(() => orders.id, { onDelete: 'cascade' }),
    driverId: text('driver_id').references(() => drivers.id, { onDelete: 'set null' }),
    method: deliveryProofMethod('method').notNull(),
    photoUrl: text('photo_url'),
    /** Prescription orders: the document shown, and the birth year read from it. */
    idDocumentType: text('id_document_type'),
    idBirthYear: smallint('id_birth_year'),
    createdAt: createdAt(),
  },
  (t) => [
    check('delivery_proofs_photo_needs_url', sql`${t.method} <> 'photo' or ${t.photoUrl} is not null`),
  ],
);

export type Order = typeof orders.$inferSelect;
export type NewOrder = typeof orders.$inferInsert;
export type OrderContact = typeof orderContacts.$inferSelect;
export type NewOrderContact = typeof orderContacts.$inferInsert;
export type OrderItem = typeof orderItems.$inferSelect;
export type NewOrderItem = typeof orderItems.$inferInsert;
export type OrderStatusEvent = typeof orderStatusEvents.$inferSelect;
export type NewOrderStatusEvent = typeof orderStatusEvents.$inferInsert;
export type DeliveryProof = typeof deliveryProofs.$inferSelect;
export type OrderStatus = Order['status'];
export type DispatchState = Order['dispatchState'];
