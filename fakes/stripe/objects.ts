/**
 * Object shapes as the Stripe API returns them (API version of the installed
 * SDK): the fields the platform and the SDK's types rely on, with Stripe's
 * names and nulls, so code written against the fake reads real responses too.
 */
import Stripe from 'stripe';
import { nowSeconds, stripeId } from './ids';

export const API_VERSION: string = Stripe.API_VERSION;

export type Metadata = Record<string, string>;

export interface PaymentIntentObject {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  automatic_payment_methods: { enabled: boolean } | null;
  canceled_at: number | null;
  cancellation_reason: string | null;
  capture_method: 'automatic' | 'automatic_async' | 'manual';
  client_secret: string;
  confirmation_method: 'automatic' | 'manual';
  created: number;
  currency: string;
  customer: string | null;
  description: string | null;
  last_payment_error: Record<string, unknown> | null;
  latest_charge: string | null;
  livemode: false;
  metadata: Metadata;
  next_action: Record<string, unknown> | null;
  payment_method: string | null;
  payment_method_types: string[];
  receipt_email: string | null;
  status:
    | 'requires_payment_method'
    | 'requires_confirmation'
    | 'requires_action'
    | 'processing'
    | 'requires_capture'
    | 'canceled'
    | 'succeeded';
}

export interface ChargeObject {
  id: string;
  object: 'charge';
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  captured: boolean;
  created: number;
  currency: string;
  failure_code: string | null;
  failure_message: string | null;
  livemode: false;
  metadata: Metadata;
  paid: boolean;
  payment_intent: string;
  payment_method: string;
  payment_method_details: { type: 'card'; card: { brand: string; last4: string; exp_month: number; exp_year: number } };
  refunded: boolean;
  status: 'succeeded' | 'failed' | 'pending';
}

export interface RefundObject {
  id: string;
  object: 'refund';
  amount: number;
  charge: string;
  created: number;
  currency: string;
  metadata: Metadata;
  payment_intent: string;
  reason: string | null;
  status: 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';
}

export interface EventObject {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

export function newPaymentIntent(params: {
  amount: number;
  currency: string;
  metadata: Metadata;
  captureMethod: PaymentIntentObject['capture_method'];
  automaticPaymentMethods: boolean;
  description: string | null;
  receiptEmail: string | null;
}): PaymentIntentObject {
  const id = stripeId('pi');
  return {
    id,
    object: 'payment_intent',
    amount: params.amount,
    amount_capturable: 0,
    amount_received: 0,
    automatic_payment_methods: params.automaticPaymentMethods ? { enabled: true } : null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: params.captureMethod,
    client_secret: `${id}_secret_${stripeId('x', 25).slice(2)}`,
    confirmation_method: 'automatic',
    created: nowSeconds(),
    currency: params.currency,
    customer: null,
    description: params.description,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: params.metadata,
    next_action: null,
    payment_method: null,
    payment_method_types: ['card'],
    receipt_email: params.receiptEmail,
    status: 'requires_payment_method',
  };
}

export function newEvent(type: string, object: object, request: EventObject['request']): EventObject {
  return {
    id: stripeId('evt'),
    object: 'event',
    api_version: API_VERSION,
    created: nowSeconds(),
    // A snapshot: later changes to the object do not rewrite past events.
    data: { object: structuredClone(object) as Record<string, unknown> },
    livemode: false,
    pending_webhooks: 1,
    request,
    type,
  };
}

/** Stripe's error envelope (https://docs.stripe.com/api/errors). */
export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: {
      type: 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';
      message: string;
      code?: string;
      decline_code?: string;
      param?: string;
      payment_intent?: PaymentIntentObject;
      doc_url?: string;
    },
  ) {
    super(error.message);
  }

  body(requestId: string): string {
    return JSON.stringify({ error: { ...this.error, request_log_url: `https://dashboard.stripe.com/test/logs/${requestId}` } });
  }
}

export const invalidRequest = (message: string, param?: string, code?: string, status = 400) =>
  new StripeApiError(status, { type: 'invalid_request_error', message, ...(param ? { param } : {}), ...(code ? { code } : {}) });

export const resourceMissing = (kind: string, id: string, param = 'id') =>
  new StripeApiError(404, { type: 'invalid_request_error', code: 'resource_missing', param, message: `No such ${kind}: '${id}'` });
