/**
 * Stripe through its official SDK, the way it runs in workerd: the fetch HTTP
 * client, the Web Crypto (SubtleCrypto) provider for webhook signatures, and
 * the API base from `STRIPE_API_BASE` (production: https://api.stripe.com;
 * tests and local runs: the fake). Capture is automatic: the decision and its
 * reasons are in docs/decisions/0022-capture-at-placement.md.
 */
import Stripe from 'stripe';
import { METRICS } from '../../../domain/metrics';
import { metrics } from '../../../durable-objects/metrics-aggregator/port';
import {
  InvalidSignatureError,
  PaymentProviderRejectedError,
  PaymentProviderUnavailableError,
  type CreateIntentInput,
  type PaymentProvider,
  type ProviderEvent,
  type ProviderIntent,
  type ProviderRefund,
} from './types';

export interface StripeSettings {
  secretKey: string;
  webhookSecret: string;
  /** e.g. https://api.stripe.com or http://127.0.0.1:12111 */
  apiBase: string;
}

/** A request on the order path must answer fast; one retry (same idempotency key) covers a blip. */
const TIMEOUT_MS = 8_000;
const MAX_NETWORK_RETRIES = 1;

const cryptoProvider = Stripe.createSubtleCryptoProvider();
// The SDK object holds no sockets (fetch client), so one per configuration is reused across requests.
const clients = new Map<string, Stripe>();

function clientFor(settings: StripeSettings): Stripe {
  const id = `${settings.apiBase}\u0000${settings.secretKey}`;
  let client = clients.get(id);
  if (!client) {
    const base = new URL(settings.apiBase);
    const protocol = base.protocol === 'http:' ? 'http' : 'https';
    client = new Stripe(settings.secretKey, {
      httpClient: Stripe.createFetchHttpClient(),
      host: base.hostname,
      port: base.port ? Number(base.port) : protocol === 'http' ? 80 : 443,
      protocol,
      timeout: TIMEOUT_MS,
      maxNetworkRetries: MAX_NETWORK_RETRIES,
      telemetry: false,
    });
    clients.set(id, client);
  }
  return client;
}

const toRefund = (refund: Stripe.Refund): ProviderRefund => ({ id: refund.id, status: (refund.status ?? 'pending') as ProviderRefund['status'], amountCents: refund.amount });

/** Refunds of one intent we look through for ours; an intent has one or two in practice. */
const MAX_REFUNDS_LISTED = 100;

function toIntent(pi: Stripe.PaymentIntent): ProviderIntent {
  return {
    id: pi.id,
    status: pi.status as ProviderIntent['status'],
    amountCents: pi.amount,
    currency: pi.currency.toUpperCase(),
    clientSecret: pi.client_secret ?? '',
  };
}

/** Sorts SDK errors into "try again later" and "this request will never work". */
function translate(error: unknown): Error {
  if (error instanceof Stripe.errors.StripeError) {
    const status = error.statusCode ?? 0;
    if (status === 0 || status >= 500 || status === 429 || status === 409 || error.type === 'StripeConnectionError') {
      return new PaymentProviderUnavailableError(`Stripe unavailable: ${error.message}`, { cause: error });
    }
    return new PaymentProviderRejectedError(error.message, error.code);
  }
  return new PaymentProviderUnavailableError(`Stripe call failed: ${String(error)}`, { cause: error });
}

/** Every Stripe call: its outcome counted (delivery_provider_requests_total, ADR 0090), its error translated. */
async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    const result = await fn();
    metrics.inc(METRICS.providerRequests, ['stripe', 'ok']);
    return result;
  } catch (error) {
    metrics.inc(METRICS.providerRequests, ['stripe', 'error']);
    throw translate(error);
  }
}

export function stripeProvider(settings: StripeSettings): PaymentProvider {
  const stripe = clientFor(settings);
  return {
    createIntent: (input: CreateIntentInput) =>
      call(async () =>
        toIntent(
          await stripe.paymentIntents.create(
            {
              amount: input.amountCents,
              currency: input.currency.toLowerCase(),
              automatic_payment_methods: { enabled: true },
              metadata: { order_id: input.orderId },
              ...(input.description ? { description: input.description } : {}),
            },
            { idempotencyKey: input.idempotencyKey },
          ),
        ),
      ),
    retrieveIntent: (id) => call(async () => toIntent(await stripe.paymentIntents.retrieve(id))),
    cancelIntent: (id, idempotencyKey) =>
      call(async () => toIntent(await stripe.paymentIntents.cancel(id, { cancellation_reason: 'requested_by_customer' }, { idempotencyKey }))),
    refund: (input) =>
      call(async (): Promise<ProviderRefund> => {
        const refund = await stripe.refunds.create(
          {
            payment_intent: input.intentId,
            amount: input.amountCents,
            metadata: { refund_id: input.refundId },
            ...(input.reason ? { reason: input.reason } : {}),
          },
          { idempotencyKey: input.idempotencyKey },
        );
        return toRefund(refund);
      }),
    findRefund: (intentId, refundId) =>
      call(async (): Promise<ProviderRefund | null> => {
        let seen = 0;
        for await (const refund of stripe.refunds.list({ payment_intent: intentId, limit: MAX_REFUNDS_LISTED })) {
          if (refund.metadata?.refund_id === refundId) return toRefund(refund);
          if (++seen >= MAX_REFUNDS_LISTED) break;
        }
        return null;
      }),
    retrieveRefund: (id) => call(async () => toRefund(await stripe.refunds.retrieve(id))),
    async verifyWebhook(rawBody, signatureHeader): Promise<ProviderEvent> {
      if (!signatureHeader) throw new InvalidSignatureError('The Stripe-Signature header is missing.');
      let event: Stripe.Event;
      try {
        event = await stripe.webhooks.constructEventAsync(rawBody, signatureHeader, settings.webhookSecret, undefined, cryptoProvider);
      } catch (error) {
        throw new InvalidSignatureError(error instanceof Error ? error.message : 'The signature does not match.');
      }
      return { id: event.id, type: event.type, object: event.data.object as unknown as Record<string, unknown> };
    },
  };
}
