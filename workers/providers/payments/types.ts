/**
 * What the platform needs from a payment provider, and nothing more. The
 * production implementation is Stripe (stripe.ts); tests run the same code
 * against the Stripe-compatible fake in fakes/stripe.
 */

export type ProviderIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'canceled'
  | 'succeeded';

export interface ProviderIntent {
  id: string;
  status: ProviderIntentStatus;
  amountCents: number;
  /** ISO 4217, upper case. */
  currency: string;
  clientSecret: string;
}

export interface ProviderRefund {
  id: string;
  status: 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';
  amountCents: number;
}

/** A verified provider event, reduced to what the webhook handler reads. */
export interface ProviderEvent {
  id: string;
  type: string;
  /** The event's object as sent (a PaymentIntent, a Charge, …). */
  object: Record<string, unknown>;
}

export interface CreateIntentInput {
  orderId: string;
  amountCents: number;
  currency: string;
  /** The same key for the same order: a retry can never create a second intent. */
  idempotencyKey: string;
  description?: string;
}

export interface PaymentProvider {
  createIntent(input: CreateIntentInput): Promise<ProviderIntent>;
  retrieveIntent(id: string): Promise<ProviderIntent>;
  cancelIntent(id: string, idempotencyKey: string): Promise<ProviderIntent>;
  refund(input: { intentId: string; amountCents: number; idempotencyKey: string; reason?: 'requested_by_customer' | 'duplicate' | 'fraudulent'; refundId: string }): Promise<ProviderRefund>;
  /** The refund of this intent made for our refund row (`metadata.refund_id`), if the provider has one. */
  findRefund(intentId: string, refundId: string): Promise<ProviderRefund | null>;
  retrieveRefund(id: string): Promise<ProviderRefund>;
  /** Verifies the signature over the raw body; throws InvalidSignatureError when it does not match. */
  verifyWebhook(rawBody: string, signatureHeader: string | undefined): Promise<ProviderEvent>;
}

export class InvalidSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSignatureError';
  }
}

/** The provider could not be reached or failed (5xx, timeout): retryable. */
export class PaymentProviderUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PaymentProviderUnavailableError';
  }
}

/** The provider refused the request (4xx): retrying the same request will not help. */
export class PaymentProviderRejectedError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'PaymentProviderRejectedError';
  }
}
