/**
 * The Stripe fake, driven by the real `stripe` SDK: if the SDK accepts its
 * answers and its webhooks verify with the SDK's own code, the platform's
 * Stripe client will too.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeFake, type StripeFake } from '../../fakes/stripe/index';
import { newEvent } from '../../fakes/stripe/objects';
import { WebhookSender } from '../../fakes/stripe/webhooks';

const SECRET_KEY = 'sk_test_unit_fake_key';
const WEBHOOK_SECRET = 'whsec_unit_fake_secret';

let fake: StripeFake;
let stripe: Stripe;

const clientFor = (key: string, base: string) => {
  const u = new URL(base);
  return new Stripe(key, { host: u.hostname, port: Number(u.port), protocol: 'http', maxNetworkRetries: 0, telemetry: false });
};

beforeAll(async () => {
  fake = await startStripeFake({ secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET });
  stripe = clientFor(SECRET_KEY, fake.url);
});

afterAll(async () => {
  await fake.stop();
});

const create = (amount = 1234, key?: string, metadata: Record<string, string> = { order_id: 'ord_test' }) =>
  stripe.paymentIntents.create({ amount, currency: 'eur', metadata, automatic_payment_methods: { enabled: true } }, key ? { idempotencyKey: key } : {});

describe('Stripe fake: PaymentIntents', () => {
  it('creates a PaymentIntent with Stripe’s shape and a client secret', async () => {
    const pi = await create(1999);
    expect(pi).toMatchObject({ object: 'payment_intent', amount: 1999, currency: 'eur', status: 'requires_payment_method', livemode: false });
    expect(pi.id).toMatch(/^pi_[A-Za-z0-9]{24}$/);
    expect(pi.client_secret).toMatch(new RegExp(`^${pi.id}_secret_`));
    expect(pi.metadata).toEqual({ order_id: 'ord_test' });
    expect(await stripe.paymentIntents.retrieve(pi.id)).toMatchObject({ id: pi.id, status: 'requires_payment_method' });
  });

  it('refuses a wrong secret key with 401 and an authentication error', async () => {
    const wrong = clientFor('sk_test_wrong_key_000000', fake.url);
    await expect(wrong.paymentIntents.create({ amount: 100, currency: 'eur' })).rejects.toMatchObject({ statusCode: 401, type: 'StripeAuthenticationError' });
  });

  it('succeeds with 4242 4242 4242 4242, declines 4000 0000 0000 0002, asks for action with 4000 0025 0000 3155', async () => {
    const ok = await create();
    const paid = await stripe.paymentIntents.confirm(ok.id, { payment_method: 'pm_card_visa' });
    expect(paid).toMatchObject({ status: 'succeeded', amount_received: 1234 });
    expect(paid.latest_charge).toMatch(/^ch_/);

    const declined = await create();
    const error = await stripe.paymentIntents.confirm(declined.id, { payment_method: 'pm_card_chargeDeclined' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ type: 'StripeCardError', statusCode: 402, code: 'card_declined', decline_code: 'generic_decline' });
    expect(await stripe.paymentIntents.retrieve(declined.id)).toMatchObject({ status: 'requires_payment_method', last_payment_error: { code: 'card_declined' } });

    const sca = await create();
    const action = await stripe.paymentIntents.confirm(sca.id, { payment_method: 'pm_card_authenticationRequired' });
    expect(action.status).toBe('requires_action');
    expect(action.next_action?.type).toBe('use_stripe_sdk');
  });

  it('lets a browser confirm with a publishable key and the client secret, as Stripe.js does', async () => {
    const pi = await create();
    const confirm = (clientSecret: string) =>
      fetch(`${fake.url}/v1/payment_intents/${pi.id}/confirm`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ key: 'pk_test_local', client_secret: clientSecret, 'payment_method_data[type]': 'card', 'payment_method_data[card][number]': '4242 4242 4242 4242' }),
      });
    const bad = await confirm(`${pi.id}_secret_wrong`);
    expect(bad.status).toBe(400);
    const good = await confirm(pi.client_secret!);
    expect(good.status).toBe(200);
    expect(await good.json()).toMatchObject({ id: pi.id, status: 'succeeded' });
  });

  it('cancels an unpaid intent and refuses to cancel a paid one', async () => {
    const open = await create();
    expect(await stripe.paymentIntents.cancel(open.id, { cancellation_reason: 'requested_by_customer' })).toMatchObject({ status: 'canceled' });
    const paid = await create();
    await stripe.paymentIntents.confirm(paid.id, { payment_method: 'pm_card_visa' });
    await expect(stripe.paymentIntents.cancel(paid.id)).rejects.toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
  });

  it('refunds a captured payment, partially then fully, and never beyond the amount', async () => {
    const pi = await create(1000);
    await stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
    expect(await stripe.refunds.create({ payment_intent: pi.id, amount: 300 })).toMatchObject({ object: 'refund', amount: 300, status: 'succeeded', payment_intent: pi.id });
    await expect(stripe.refunds.create({ payment_intent: pi.id, amount: 800 })).rejects.toMatchObject({ statusCode: 400, code: 'amount_too_large' });
    expect(await stripe.refunds.create({ payment_intent: pi.id })).toMatchObject({ amount: 700 });
    await expect(stripe.refunds.create({ payment_intent: pi.id })).rejects.toMatchObject({ code: 'charge_already_refunded' });
    const unpaid = await create();
    await expect(stripe.refunds.create({ payment_intent: unpaid.id })).rejects.toMatchObject({ statusCode: 400 });
  });
});

describe('Stripe fake: idempotency', () => {
  it('replays the first answer for the same key and parameters', async () => {
    const first = await create(500, 'idem-same');
    const second = await create(500, 'idem-same');
    expect(second.id).toBe(first.id);
    expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect([...fake.ledger.paymentIntents.values()].filter((p) => p.id === first.id)).toHaveLength(1);
  });

  it('answers idempotency_error for the same key with other parameters', async () => {
    await create(600, 'idem-other');
    await expect(create(601, 'idem-other')).rejects.toMatchObject({ statusCode: 400, type: 'StripeIdempotencyError' });
  });

  it('does not save a 5xx, so a retry with the same key executes', async () => {
    await fetch(`${fake.url}/_fake/faults`, { method: 'POST', headers: { Authorization: `Bearer ${SECRET_KEY}` }, body: JSON.stringify({ count: 1, status: 500 }) });
    await expect(create(700, 'idem-after-fault')).rejects.toMatchObject({ statusCode: 500 });
    expect((await create(700, 'idem-after-fault')).amount).toBe(700);
  });
});

describe('Stripe fake: webhooks', () => {
  const received: { body: string; signature: string }[] = [];
  let receiver: ReturnType<typeof createServer>;

  beforeAll(async () => {
    let failFirst = true;
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        // The first delivery fails: the fake must retry it.
        if (failFirst) {
          failFirst = false;
          res.writeHead(500).end();
          return;
        }
        received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: String(req.headers['stripe-signature']) });
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    fake.setWebhookUrl(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`);
  });

  afterAll(async () => {
    fake.setWebhookUrl(undefined);
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  it('delivers signed events that the SDK verifies, retrying failed deliveries', async () => {
    const pi = await create(4200, undefined, { order_id: 'ord_webhook' });
    await stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
    await expect.poll(() => received.filter((r) => r.body.includes(pi.id)).length, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
    const types = received
      .filter((r) => r.body.includes(pi.id))
      .map((r) => stripe.webhooks.constructEvent(r.body, r.signature, WEBHOOK_SECRET).type);
    expect(types).toEqual(['payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded']);
    expect(() => stripe.webhooks.constructEvent(received[0]!.body, received[0]!.signature, 'whsec_other')).toThrow(/signature/i);
  });

  it('lists events with fresh signatures for tests that deliver them themselves', async () => {
    const pi = await create(4300);
    const res = await fetch(`${fake.url}/_fake/events?object=${pi.id}`, { headers: { Authorization: `Bearer ${SECRET_KEY}` } });
    const { data } = (await res.json()) as { data: { type: string; payload: string; signature: string }[] };
    expect(data.map((d) => d.type)).toEqual(['payment_intent.created']);
    const event = stripe.webhooks.constructEvent(data[0]!.payload, data[0]!.signature, WEBHOOK_SECRET);
    expect((event.data.object as { id: string }).id).toBe(pi.id);
  });
});

describe('Stripe fake: an endpoint subscribed to some events (enabled_events)', () => {
  it('POSTs only the enabled types, and still creates and lists every event', async () => {
    const bodies: string[] = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const subscribed = await startStripeFake({ secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET, webhookUrl: url, webhookEvents: ['payment_intent.succeeded', 'payment_intent.payment_failed'] });
    try {
      const client = clientFor(SECRET_KEY, subscribed.url);
      const paid = await client.paymentIntents.create({ amount: 2500, currency: 'eur', metadata: { order_id: 'ord_enabled' } });
      await client.paymentIntents.confirm(paid.id, { payment_method: 'pm_card_visa' });
      const declined = await client.paymentIntents.create({ amount: 2600, currency: 'eur', metadata: { order_id: 'ord_enabled_2' } });
      await client.paymentIntents.confirm(declined.id, { payment_method: 'pm_card_chargeDeclined' }).catch(() => undefined);
      await expect.poll(() => bodies.length, { timeout: 5_000 }).toBe(2);
      // Nothing else trails in.
      await new Promise((r) => setTimeout(r, 200));
      const types = bodies.map((b) => (JSON.parse(b) as { type: string }).type);
      expect(types.sort()).toEqual(['payment_intent.payment_failed', 'payment_intent.succeeded']);
      // The events the endpoint is not subscribed to exist all the same (the events API lists them).
      expect(subscribed.ledger.events.map((e) => e.type)).toEqual(expect.arrayContaining(['payment_intent.created', 'charge.succeeded', 'charge.failed']));
    } finally {
      await subscribed.stop();
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });
});

describe('Stripe fake: webhook senders', () => {
  /** A receiver that holds every request until told, and counts how many it holds at once. */
  async function holdingReceiver() {
    const held: (() => void)[] = [];
    const bodies: string[] = [];
    let most = 0;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        held.push(() => res.writeHead(200).end('{}'));
        most = Math.max(most, held.length);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
      held,
      bodies,
      most: () => most,
      release: () => held.splice(0).forEach((answer) => answer()),
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  }
  const events = (n: number) => Array.from({ length: n }, (_, i) => newEvent('payment_intent.created', { id: `pi_${i}`, object: 'payment_intent' }, { id: null, idempotency_key: null }));

  it('sends one at a time, in order, by default', async () => {
    const receiver = await holdingReceiver();
    const sender = new WebhookSender(receiver.url, WEBHOOK_SECRET);
    for (const e of events(3)) sender.enqueue(e);
    for (let k = 0; k < 3; k++) {
      await expect.poll(() => receiver.held.length).toBe(1);
      receiver.release();
    }
    await expect.poll(() => receiver.bodies.length).toBe(3);
    expect(receiver.most()).toBe(1);
    expect(receiver.bodies.map((b) => (JSON.parse(b) as { data: { object: { id: string } } }).data.object.id)).toEqual(['pi_0', 'pi_1', 'pi_2']);
    await expect.poll(() => sender.pending()).toEqual([]);
    await receiver.close();
  });

  it('with a concurrency, keeps that many deliveries in flight (as Stripe, which promises no order) and still sends every event once', async () => {
    const receiver = await holdingReceiver();
    const sender = new WebhookSender(receiver.url, WEBHOOK_SECRET, { concurrency: 4 });
    for (const e of events(10)) sender.enqueue(e);
    await expect.poll(() => receiver.held.length).toBe(4);
    expect(sender.pending()).toHaveLength(10);
    while (receiver.bodies.length < 10 || receiver.held.length > 0) {
      receiver.release();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(receiver.most()).toBe(4);
    expect(new Set(receiver.bodies.map((b) => (JSON.parse(b) as { id: string }).id)).size).toBe(10);
    await expect.poll(() => sender.pending()).toEqual([]);
    await receiver.close();
  });
});
