/**
 * POST /v1/webhooks/stripe: signatures verified with the SDK, events
 * deduplicated by id, accepted in any order and twice, and the order and
 * payment moved on succeeded / payment_failed / canceled / charge.refunded.
 */
import { env } from 'cloudflare:workers';
import { and, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { orders, orderStatusEvents, outbox, payments, processedWebhookEvents, refunds } from '../../db/schema/index';
import {
  api, createShop, db, deliverAll, deliverWebhook, injectStripeFault, intentIdOf, json, orderBody, paymentRow, payWithCard, placeOrder, signStripePayload, stripeEvents, type CreatedOrder, type Customer, type TestMerchant,
} from './helpers/commerce';

let merchant: TestMerchant;
let customer: Customer;
let product: string;

beforeAll(async () => {
  ({ merchant, customer, product } = await createShop(2200));
});

const newOrder = () => placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: product, quantity: 1 }]));
const intentOf = (created: CreatedOrder) => intentIdOf(created.payment!.clientSecret);

async function orderStatus(id: string) {
  const [row] = await db().select({ status: orders.status }).from(orders).where(eq(orders.id, id));
  return row!.status;
}

async function processed(eventId: string) {
  return db().select().from(processedWebhookEvents).where(and(eq(processedWebhookEvents.provider, 'stripe'), eq(processedWebhookEvents.eventId, eventId)));
}

describe('signature', () => {
  it('refuses a bad, missing or stale signature and a tampered body with 400, changing nothing', async () => {
    const created = await newOrder();
    await payWithCard(created.payment!.clientSecret);
    const [succeeded] = await stripeEvents(intentOf(created), 'payment_intent.succeeded');
    const attempts: [string, Promise<Response>][] = [
      ['wrong secret', signStripePayload(succeeded!.payload, { secret: 'whsec_someone_else' }).then((signature) => deliverWebhook({ payload: succeeded!.payload, signature }))],
      ['no header', deliverWebhook({ payload: succeeded!.payload, signature: '' })],
      ['tampered body', deliverWebhook({ payload: succeeded!.payload.replace('"amount": ', '"amount": 1'), signature: succeeded!.signature })],
      [
        'stale timestamp',
        signStripePayload(succeeded!.payload, { timestamp: Math.floor(Date.now() / 1000) - 3600 }).then((signature) => deliverWebhook({ payload: succeeded!.payload, signature })),
      ],
    ];
    for (const [name, attempt] of attempts) {
      const res = await attempt;
      expect(res.status, name).toBe(400);
      expect((await json<{ type: string }>(res)).type, name).toMatch(/invalid-signature$/);
    }
    expect(await processed(succeeded!.id)).toEqual([]);
    expect(await orderStatus(created.order.id)).toBe('pending_payment');
    expect(await paymentRow(created.order.id)).toMatchObject({ status: 'requires_payment' });

    const ok = await deliverWebhook(succeeded!);
    expect(ok.status).toBe(200);
    expect(await orderStatus(created.order.id)).toBe('placed');
  });
});

describe('effects', () => {
  it('payment_intent.succeeded places the order and records the payment, once, however often it arrives', async () => {
    const created = await newOrder();
    await payWithCard(created.payment!.clientSecret);
    const [succeeded] = await stripeEvents(intentOf(created), 'payment_intent.succeeded');
    const first = await json<{ duplicate: boolean; effect: string }>(await deliverWebhook(succeeded!));
    expect(first).toMatchObject({ duplicate: false, effect: 'payment succeeded, order placed' });
    const again = await json<{ duplicate: boolean }>(await deliverWebhook(succeeded!));
    expect(again.duplicate).toBe(true);
    expect(await paymentRow(created.order.id)).toMatchObject({ status: 'succeeded' });
    const placedEvents = await db().select().from(orderStatusEvents).where(and(eq(orderStatusEvents.orderId, created.order.id), eq(orderStatusEvents.status, 'placed')));
    expect(placedEvents).toHaveLength(1);
    expect(placedEvents[0]).toMatchObject({ actorType: 'stripe', actorId: succeeded!.id });
    const rows = await db().select({ topic: outbox.topic, payload: outbox.payload }).from(outbox).where(sql`${outbox.aggregateId} in (${created.order.id}, ${(await paymentRow(created.order.id))!.id})`);
    expect(rows.map((r) => r.topic).sort()).toEqual(['order.created', 'order.placed', 'payment.succeeded']);
    // The payment's event names the order's merchant, so its webhook consumer needs no read to find them.
    expect(rows.find((r) => r.topic === 'payment.succeeded')!.payload).toMatchObject({ orderId: created.order.id, merchantId: created.order.merchantId, status: 'succeeded' });
  });

  it('a declined card records the failure and keeps the order pending; another card then places it', async () => {
    const created = await newOrder();
    const declined = await payWithCard(created.payment!.clientSecret, '4000 0000 0000 0002');
    expect(declined.status).toBe(402);
    await deliverAll(intentOf(created));
    expect(await orderStatus(created.order.id)).toBe('pending_payment');
    const failed = await paymentRow(created.order.id);
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed!.failureReason).toContain('generic_decline');
    expect(await json(await api(`/v1/orders/${created.order.id}/payment`, { token: customer.token }))).toMatchObject({ status: 'failed', failureReason: expect.stringContaining('declined') });

    expect((await payWithCard(created.payment!.clientSecret)).status).toBe(200);
    await deliverAll(intentOf(created), 'payment_intent.succeeded');
    expect(await orderStatus(created.order.id)).toBe('placed');
    expect(await paymentRow(created.order.id)).toMatchObject({ status: 'succeeded', failureReason: null });
  });

  it('the payment’s own events reach the queue right after the webhook, with the order’s, not a minute later by the cron', async () => {
    const created = await newOrder();
    const published = async (topic: string, aggregateId: string) =>
      (await db().select({ at: outbox.publishedAt }).from(outbox).where(and(eq(outbox.topic, topic), eq(outbox.aggregateId, aggregateId))))[0]?.at ?? null;
    expect((await payWithCard(created.payment!.clientSecret, '4000 0000 0000 0002')).status).toBe(402);
    await deliverAll(intentOf(created));
    const payment = (await paymentRow(created.order.id))!;
    // A failure moves no order: the payment's event is all the webhook wrote, and its writer publishes it.
    await expect.poll(() => published('payment.failed', payment.id), { timeout: 5_000, interval: 100 }).not.toBeNull();
    expect((await payWithCard(created.payment!.clientSecret)).status).toBe(200);
    await deliverAll(intentOf(created), 'payment_intent.succeeded');
    await expect.poll(() => published('payment.succeeded', payment.id), { timeout: 5_000, interval: 100 }).not.toBeNull();
    await expect.poll(() => published('order.placed', created.order.id), { timeout: 5_000, interval: 100 }).not.toBeNull();
  });

  it('3-D Secure: requires_action changes nothing until the customer authenticates', async () => {
    const created = await newOrder();
    const action = await payWithCard(created.payment!.clientSecret, '4000 0025 0000 3155');
    expect(action.body.status).toBe('requires_action');
    await deliverAll(intentOf(created));
    expect(await orderStatus(created.order.id)).toBe('pending_payment');
    await fetch(`${env.STRIPE_API_BASE}/_fake/payment_intents/${intentOf(created)}/authenticate`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${env.STRIPE_SECRET_KEY}` },
      body: JSON.stringify({ success: true }),
    });
    await deliverAll(intentOf(created), 'payment_intent.succeeded');
    expect(await orderStatus(created.order.id)).toBe('placed');
  });

  it('payment_intent.canceled cancels an unpaid order', async () => {
    const created = await newOrder();
    await fetch(`${env.STRIPE_API_BASE}/v1/payment_intents/${intentOf(created)}/cancel`, { method: 'POST', headers: { Authorization: `Bearer ${env.STRIPE_SECRET_KEY}` } });
    await deliverAll(intentOf(created), 'payment_intent.canceled');
    expect(await orderStatus(created.order.id)).toBe('cancelled');
    expect(await paymentRow(created.order.id)).toMatchObject({ status: 'canceled' });
  });

  it('finds the payment by the order id in metadata when the intent id is not stored yet', async () => {
    const created = await newOrder();
    await db().update(payments).set({ providerPaymentId: null }).where(eq(payments.orderId, created.order.id));
    await payWithCard(created.payment!.clientSecret);
    await deliverAll(intentOf(created), 'payment_intent.succeeded');
    expect(await orderStatus(created.order.id)).toBe('placed');
    expect((await paymentRow(created.order.id))!.providerPaymentId).toBe(intentOf(created));
  });

  it('acknowledges events it does not handle, and events about unknown payments', async () => {
    const foreignId = `evt_${crypto.randomUUID().replace(/-/g, '')}`;
    const foreign = JSON.stringify({ id: foreignId, object: 'event', type: 'customer.created', data: { object: { id: 'cus_1' } } });
    const res = await deliverWebhook({ payload: foreign, signature: await signStripePayload(foreign) });
    expect(await json(res)).toMatchObject({ received: true, duplicate: false, effect: 'ignored' });
    // Nothing to deduplicate: an event without an effect is not written down.
    expect(await processed(foreignId)).toHaveLength(0);
    const stranger = JSON.stringify({ id: `evt_${crypto.randomUUID().replace(/-/g, '')}`, object: 'event', type: 'payment_intent.succeeded', data: { object: { id: 'pi_notours', object: 'payment_intent', metadata: {} } } });
    expect(await json(await deliverWebhook({ payload: stranger, signature: await signStripePayload(stranger) }))).toMatchObject({ effect: 'unknown payment' });
  });
});

describe('any order', () => {
  it('a late payment_failed never undoes a success', async () => {
    const created = await newOrder();
    await payWithCard(created.payment!.clientSecret, '4000 0000 0000 0002');
    await payWithCard(created.payment!.clientSecret);
    const events = await stripeEvents(intentOf(created));
    const failed = events.find((e) => e.type === 'payment_intent.payment_failed')!;
    const succeeded = events.find((e) => e.type === 'payment_intent.succeeded')!;
    await deliverWebhook(succeeded);
    await deliverWebhook(failed);
    expect(await orderStatus(created.order.id)).toBe('placed');
    expect(await paymentRow(created.order.id)).toMatchObject({ status: 'succeeded' });
  });

  it('charge.refunded before payment_intent.succeeded: the payment ends refunded and the order is not placed', async () => {
    const created = await newOrder();
    await payWithCard(created.payment!.clientSecret);
    // A refund made outside the platform (Stripe dashboard), reported before the success.
    await fetch(`${env.STRIPE_API_BASE}/v1/refunds`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${env.STRIPE_SECRET_KEY}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ payment_intent: intentOf(created) }),
    });
    await deliverAll(intentOf(created), 'charge.refunded');
    await deliverAll(intentOf(created), 'payment_intent.succeeded');
    const payment = await paymentRow(created.order.id);
    expect(payment).toMatchObject({ status: 'refunded', refundedCents: payment!.amountCents });
    expect(await orderStatus(created.order.id)).toBe('pending_payment');
  });

  it('a payment that succeeds after the order was cancelled is refunded', async () => {
    const created = await newOrder();
    // Stripe does not answer the cancellation of the intent, so it stays open and the customer still pays.
    await injectStripeFault({ count: 4, status: 503, path: `/v1/payment_intents/${intentOf(created)}/cancel` });
    expect((await api(`/v1/orders/${created.order.id}/cancel`, { method: 'POST', token: customer.token })).status).toBe(200);
    expect(await orderStatus(created.order.id)).toBe('cancelled');
    await payWithCard(created.payment!.clientSecret);
    await deliverAll(intentOf(created), 'payment_intent.succeeded');
    const payment = await paymentRow(created.order.id);
    expect(payment).toMatchObject({ status: 'refunded', refundedCents: payment!.amountCents });
    const rows = await db().select().from(refunds).where(eq(refunds.paymentId, payment!.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe('succeeded');
    expect(await orderStatus(created.order.id)).toBe('cancelled');
  });
});
