/**
 * Which checkout the customer app shows, decided from the `payment` part of
 * the POST /v1/orders answer (the API is where the app learns how to pay;
 * ADR 0054, 0071):
 * - `test-card`: the answer names an `apiBase` — local runs, where Stripe.js
 *   cannot load and the browser confirms at the Stripe fake with a plain
 *   card form (test cards only);
 * - `stripe-element`: no `apiBase` but a publishable key — production, where
 *   Stripe.js is loaded and its Payment Element is mounted with the client
 *   secret, so card numbers never touch our pages;
 * - `unavailable`: neither (card payments are not configured).
 * Our own card form never posts to Stripe itself: an `apiBase` on stripe.com
 * is treated as production. Pure (no DOM, no import.meta), unit tested in Node.
 */

export interface PaymentAnswer {
  clientSecret: string;
  [extra: string]: unknown;
}

export type CheckoutMode =
  | { kind: 'test-card'; clientSecret: string; apiBase: string; publishableKey: string }
  | { kind: 'stripe-element'; clientSecret: string; publishableKey: string }
  | { kind: 'unavailable'; reason: string };

const PUBLISHABLE_KEY = /^pk_(live|test)_[A-Za-z0-9_]+$/;

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);

/** True for Stripe's own API (api.stripe.com and its subdomains), where raw card numbers must never be sent. */
export function isStripeHosted(apiBase: string): boolean {
  try {
    const host = new URL(apiBase).hostname.toLowerCase();
    return host === 'stripe.com' || host.endsWith('.stripe.com');
  } catch {
    return false;
  }
}

export function checkoutModeOf(payment: PaymentAnswer): CheckoutMode {
  const apiBase = text(payment.apiBase);
  const publishableKey = text(payment.publishableKey);
  if (apiBase && !isStripeHosted(apiBase)) {
    return { kind: 'test-card', clientSecret: payment.clientSecret, apiBase, publishableKey: publishableKey ?? 'pk_test_local' };
  }
  if (publishableKey && PUBLISHABLE_KEY.test(publishableKey)) {
    return { kind: 'stripe-element', clientSecret: payment.clientSecret, publishableKey };
  }
  return { kind: 'unavailable', reason: 'Card payments are not set up on this server yet. Nothing was charged.' };
}
