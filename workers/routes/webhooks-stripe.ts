/**
 * POST /v1/webhooks/stripe: Stripe's events. Who may call: Stripe, proven by
 * the `Stripe-Signature` header (HMAC with STRIPE_WEBHOOK_SECRET over the raw
 * body, verified by the SDK's constructEventAsync with Web Crypto). A bad or
 * missing signature is a 400 and changes nothing. Events are deduplicated by
 * id and may arrive in any order (services/payments/stripe-events.ts).
 * Answers 2xx once the effect is committed, so Stripe retries anything else.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { createRouter, problemResponses } from '../openapi';
import { Problem } from '../problem';
import { InvalidSignatureError, paymentProvider } from '../providers/payments/index';
import { afterOrderCommit } from '../services/order-commit';
import { settle } from '../services/payments/payments';
import { applyStripeEvent } from '../services/payments/stripe-events';
import { log } from '../../domain/log';

const receive = createRoute({
  method: 'post',
  path: '/v1/webhooks/stripe',
  operationId: 'receiveStripeWebhook',
  tags: ['Payments'],
  summary: 'Stripe webhook endpoint',
  description:
    'Who may call: Stripe (signature verified). Handles payment_intent.succeeded (order placed), payment_intent.payment_failed, payment_intent.canceled (order cancelled) and charge.refunded; other types are acknowledged and ignored. The same event twice is acknowledged once more and changes nothing.',
  security: [],
  request: {
    headers: z.object({ 'stripe-signature': z.string().optional().openapi({ param: { name: 'stripe-signature', in: 'header' } }) }),
    body: { required: true, content: { 'application/json': { schema: z.object({ id: z.string(), type: z.string() }).passthrough().openapi('StripeEvent') } } },
  },
  responses: {
    200: {
      description: 'Received (and applied, unless it was a duplicate)',
      content: { 'application/json': { schema: z.object({ received: z.literal(true), duplicate: z.boolean(), effect: z.string() }) } },
    },
    ...problemResponses(400, 413, 415, 422, 503),
  },
});

export const stripeWebhookRoutes = createRouter().openapi(receive, async (c) => {
  const raw = await c.req.text();
  const provider = paymentProvider(c.env);
  let event;
  try {
    event = await provider.verifyWebhook(raw, c.req.header('stripe-signature'));
  } catch (error) {
    if (error instanceof InvalidSignatureError) throw new Problem(400, 'invalid-signature', `The Stripe-Signature does not verify: ${error.message}`);
    throw error;
  }
  const db = c.var.db();
  const outcome = await applyStripeEvent(db, event);
  for (const { merchantId, events } of outcome.orderEvents) afterOrderCommit(c.env, c.executionCtx, db, merchantId, events);
  if (outcome.settlement.kind !== 'none') {
    try {
      await settle(db, provider, outcome.settlement);
    } catch (error) {
      log.warn('refund after late payment deferred', { eventId: event.id, error });
    }
  }
  return c.json({ received: true as const, duplicate: outcome.duplicate, effect: outcome.effect }, 200);
});
