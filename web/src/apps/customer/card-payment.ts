/**
 * The local test-card checkout: confirms the order's PaymentIntent from the
 * browser the way Stripe.js does, POST /v1/payment_intents/{id}/confirm with
 * the publishable key, the client secret and the card as
 * `payment_method_data`, at the Stripe fake (test cards only: 4242 4242 4242
 * 4242 pays, 4000 0000 0000 0002 is declined). Only ever used for a
 * `test-card` checkout (checkout-mode.ts); production mounts Stripe's own
 * Payment Element instead (StripePaymentStep.tsx, ADR 0071).
 */
import type { CheckoutMode } from './checkout-mode';

export type PaymentTarget = Extract<CheckoutMode, { kind: 'test-card' }>;

export interface CardDetails {
  number: string;
  expMonth: string;
  expYear: string;
  cvc: string;
}

export type PaymentOutcome =
  | { kind: 'succeeded' }
  | { kind: 'processing' }
  | { kind: 'declined'; message: string }
  | { kind: 'requires_action'; message: string }
  | { kind: 'unavailable'; message: string };

export const intentIdOf = (clientSecret: string): string => clientSecret.split('_secret_')[0] ?? clientSecret;

export async function confirmCardPayment(target: PaymentTarget, card: CardDetails): Promise<PaymentOutcome> {
  const body = new URLSearchParams({
    key: target.publishableKey,
    client_secret: target.clientSecret,
    'payment_method_data[type]': 'card',
    'payment_method_data[card][number]': card.number.replace(/\s+/g, ''),
    'payment_method_data[card][exp_month]': card.expMonth,
    'payment_method_data[card][exp_year]': card.expYear,
    'payment_method_data[card][cvc]': card.cvc,
  });
  let response: Response;
  try {
    response = await fetch(`${target.apiBase.replace(/\/$/, '')}/v1/payment_intents/${encodeURIComponent(intentIdOf(target.clientSecret))}/confirm`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
    });
  } catch {
    return { kind: 'unavailable', message: 'The payment service could not be reached. Nothing was charged; try again.' };
  }
  const json = (await response.json().catch(() => ({}))) as { status?: string; error?: { message?: string } };
  if (!response.ok) {
    if (response.status === 402 || json.error) return { kind: 'declined', message: json.error?.message ?? 'The card was declined.' };
    return { kind: 'unavailable', message: 'The payment service failed. Nothing was charged; try again.' };
  }
  switch (json.status) {
    case 'succeeded':
      return { kind: 'succeeded' };
    case 'processing':
      return { kind: 'processing' };
    case 'requires_action':
      return { kind: 'requires_action', message: 'Your bank asks for an extra check, which this test checkout cannot show. Use another card.' };
    default:
      return { kind: 'declined', message: 'The card was declined.' };
  }
}
