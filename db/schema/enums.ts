/**
 * Every Postgres enum in one module: several domains share them (orders and
 * the audit log share actor_type) and drizzle-kit must see each exactly once.
 * Adding a value later is `ALTER TYPE ... ADD VALUE` (cheap); removing one is
 * not, so only closed sets live here.
 */
import { pgEnum } from 'drizzle-orm/pg-core';
import { ACTOR_TYPES, DISPATCH_STATES, ORDER_STATUSES } from '../../domain/order';

export const userRole = pgEnum('user_role', ['customer', 'merchant', 'driver', 'ops', 'admin']);
/** `erased`: GDPR Art. 17 done; the row stays as a pseudonymous anchor. */
export const userStatus = pgEnum('user_status', ['active', 'erased']);

export const merchantKind = pgEnum('merchant_kind', ['restaurant', 'store', 'pharmacy']);
export const merchantStaffRole = pgEnum('merchant_staff_role', ['owner', 'manager', 'staff']);

export const vehicle = pgEnum('vehicle', ['bike', 'scooter', 'car']);

export const orderStatus = pgEnum('order_status', ORDER_STATUSES);
export const dispatchState = pgEnum('dispatch_state', DISPATCH_STATES);
export const orderSource = pgEnum('order_source', ['customer', 'merchant_api']);
/** Who caused a change: order status history and the audit log. */
export const actorType = pgEnum('actor_type', ACTOR_TYPES);
export const deliveryProofMethod = pgEnum('delivery_proof_method', ['pin', 'photo']);
export const dispatchOfferStatus = pgEnum('dispatch_offer_status', [
  'pending',
  'accepted',
  'declined',
  'expired',
  'cancelled',
]);

export const paymentProvider = pgEnum('payment_provider', ['stripe']);
/** Mirrors the PaymentIntent lifecycle plus our refund roll-up. */
export const paymentStatus = pgEnum('payment_status', [
  'requires_payment',
  'processing',
  'succeeded',
  'failed',
  'canceled',
  'refunded',
  'partially_refunded',
]);
/** Stripe Refund.status values. */
export const refundStatus = pgEnum('refund_status', [
  'pending',
  'requires_action',
  'succeeded',
  'failed',
  'canceled',
]);

export const notificationChannel = pgEnum('notification_channel', ['sms', 'email', 'push']);
export const notificationStatus = pgEnum('notification_status', [
  'queued',
  'sent',
  'delivered',
  'failed',
  /** Not sent on purpose: opted out, no device, no address. */
  'skipped',
]);
export const devicePlatform = pgEnum('device_platform', ['ios', 'android', 'web']);

/** `dead`: retries exhausted (24 h); only a manual replay sends it again. */
export const webhookDeliveryStatus = pgEnum('webhook_delivery_status', [
  'pending',
  'succeeded',
  'failed',
  'dead',
]);
