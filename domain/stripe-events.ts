/**
 * The Stripe events the platform acts on. Every other type is acknowledged
 * and ignored, so the webhook endpoint in Stripe is subscribed to these only
 * (`enabled_events`, docs/runbook.md): each type more is a request to the
 * Worker for nothing. What each one does to a payment:
 * workers/services/payments/stripe-events.ts (a table keyed by this list).
 */
export const STRIPE_EVENTS_ACTED_ON = ['payment_intent.succeeded', 'payment_intent.payment_failed', 'payment_intent.canceled', 'charge.refunded'] as const;

export type StripeEventActedOn = (typeof STRIPE_EVENTS_ACTED_ON)[number];
