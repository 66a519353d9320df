/**
 * Journeys new users found broken (issue 15), through the API as the apps use
 * it: a driver is credited exactly what its offer showed, and the offer names
 * the shop; a customer sees the refund of a cancelled order; the Stripe fake
 * refuses an expired card as Stripe does.
 */
import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchants, orders } from '../../db/schema/index';
import type { Client } from './city-shard-helpers';
import { liveDriver as connectLiveDriver } from './helpers/live-driver';
import {
  api, createCity, createCustomer, createMerchant, createProduct, db, deliverAll, injectStripeFault, intentIdOf, json, orderBody, payOrder, paymentRow, placeOrder,
  type Customer, type TestMerchant,
} from './helpers/commerce';

let cityId: string;
let merchant: TestMerchant;
let customer: Customer;
let dish: string;
const sockets: Client[] = [];

beforeAll(async () => {
  cityId = await createCity();
  merchant = await createMerchant(cityId);
  customer = await createCustomer();
  dish = await createProduct(merchant.merchantId, 1200);
});

afterAll(() => {
  for (const s of sockets) s.close();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function paidOrder() {
  const created = await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: dish, quantity: 2 }]));
  await payOrder(created);
  return created;
}

const step = (id: string, name: string, token: string, body?: unknown) => api(`/v1/orders/${id}/${name}`, { method: 'POST', token, ...(body !== undefined ? { body } : {}) });

interface DriverOrder {
  id: string;
  status: string;
  payoutCents?: number;
  totals: { deliveryFeeCents: number };
}

describe('driver pay: one source of truth', () => {
  it('credits the driver the offer’s amount (not the customer’s delivery fee), and the offer names the shop and its address', async () => {
    const [shop] = await db().select().from(merchants).where(eq(merchants.id, merchant.merchantId));
    const driver = await connectLiveDriver(cityId, { lat: merchant.location.lat + 0.001, lng: merchant.location.lng });
    sockets.push(driver.socket);
    const created = await paidOrder();
    const orderId = created.order.id;

    expect((await step(orderId, 'accept', merchant.ownerToken)).status).toBe(200);
    const offer = await driver.socket.next('offer', 5_000);
    expect(offer).toMatchObject({ orderId, shop: { name: shop!.name, address: shop!.address } });
    const offered = offer.payoutCents as number;
    expect(offered).toBeGreaterThan(0);
    // The bug: the app credited the customer's delivery fee. They differ here, so the check can fail.
    expect(offered).not.toBe(created.order.totals.deliveryFeeCents);

    driver.socket.send({ type: 'offer.accept', offerId: offer.offerId });
    await driver.socket.next('assignment', 5_000);
    await until('the assignment in Postgres', async () => {
      const [row] = await db().select().from(orders).where(eq(orders.id, orderId));
      return row?.driverId ? row : undefined;
    });
    const pin = (await json<{ deliveryPin: string }>(await api(`/v1/orders/${orderId}`, { token: customer.token }))).deliveryPin;
    expect((await step(orderId, 'ready', merchant.ownerToken)).status).toBe(200);
    expect((await step(orderId, 'pickup', driver.token)).status).toBe(200);
    expect((await step(orderId, 'deliver', driver.token, { pin })).status).toBe(200);

    // What the driver app sums as "Earned today", and the order as the driver reads it.
    const mine = await json<{ items: DriverOrder[] }>(await api('/v1/drivers/me/assignments?limit=10', { token: driver.token }));
    const credited = mine.items.find((o) => o.id === orderId);
    expect(credited).toMatchObject({ status: 'delivered', payoutCents: offered });
    expect(await json<DriverOrder>(await api(`/v1/orders/${orderId}`, { token: driver.token }))).toMatchObject({ payoutCents: offered });
    const [row] = await db().select().from(orders).where(eq(orders.id, orderId));
    expect(row!.driverPayoutCents).toBe(offered);
    // The customer's and the merchant's views carry no driver pay.
    expect(await json(await api(`/v1/orders/${orderId}`, { token: customer.token }))).not.toHaveProperty('payoutCents');
    expect(await json(await api(`/v1/orders/${orderId}`, { token: merchant.ownerToken }))).not.toHaveProperty('payoutCents');
  });
});

describe('refund on the customer’s order', () => {
  it('shows the refund’s status and amount on the cancelled order, in the order and in the history', async () => {
    const created = await paidOrder();
    const orderId = created.order.id;
    const live = await json(await api(`/v1/orders/${orderId}`, { token: customer.token }));
    expect(live).not.toHaveProperty('refund');

    expect((await step(orderId, 'cancel', customer.token, { reason: 'changed my mind' })).status).toBe(200);
    const paid = await paymentRow(orderId);
    // Stripe's refund webhook may come later than the answer of the refund call: either way the amount is the whole payment.
    const seen = await until('the refund succeeded', async () => {
      const o = await json<{ status: string; refund?: { status: string; amountCents: number; currency: string; updatedAt: string } }>(await api(`/v1/orders/${orderId}`, { token: customer.token }));
      return o.refund?.status === 'succeeded' ? o : undefined;
    });
    expect(seen).toMatchObject({ status: 'cancelled', refund: { status: 'succeeded', amountCents: paid!.amountCents, currency: 'EUR' } });
    expect(paid!.amountCents).toBe(created.order.totals.totalCents);
    expect(Date.parse(seen.refund!.updatedAt)).not.toBeNaN();

    const history = await json<{ items: { id: string; refund?: unknown }[] }>(await api('/v1/orders?limit=50', { token: customer.token }));
    expect(history.items.find((o) => o.id === orderId)).toMatchObject({ refund: { status: 'succeeded', amountCents: paid!.amountCents } });
    // Its merchant sees it too (money of the order's parties).
    expect(await json(await api(`/v1/orders/${orderId}`, { token: merchant.ownerToken }))).toMatchObject({ refund: { amountCents: paid!.amountCents } });
  });

  it('shows a pending refund while the provider has not confirmed it', async () => {
    const created = await paidOrder();
    const orderId = created.order.id;
    // Stripe refuses the refund call twice: our refund row stays pending for the cron.
    const intentId = intentIdOf(created.payment!.clientSecret);
    await injectStripeFault({ count: 2, status: 503, path: '/v1/refunds', bodyIncludes: `payment_intent=${intentId}` });
    expect((await step(orderId, 'cancel', customer.token, {})).status).toBe(200);
    const o = await json<{ refund?: { status: string; amountCents: number } }>(await api(`/v1/orders/${orderId}`, { token: customer.token }));
    expect(o.refund).toMatchObject({ status: 'pending', amountCents: created.order.totals.totalCents });
  });
});

describe('Stripe fake: expired cards', () => {
  const confirm = (clientSecret: string, exp: { month: string; year: string }) =>
    fetch(`${env.STRIPE_API_BASE}/v1/payment_intents/${intentIdOf(clientSecret)}/confirm`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        key: 'pk_test_local',
        client_secret: clientSecret,
        'payment_method_data[type]': 'card',
        'payment_method_data[card][number]': '4242424242424242',
        'payment_method_data[card][exp_month]': exp.month,
        'payment_method_data[card][exp_year]': exp.year,
        'payment_method_data[card][cvc]': '123',
      }),
    });

  it('refuses 01/20 with Stripe’s 402 card_error expired_card, the order stays unpaid, and a valid card then pays it', async () => {
    const created = await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: dish, quantity: 1 }]));
    const refused = await confirm(created.payment!.clientSecret, { month: '01', year: '2020' });
    expect(refused.status).toBe(402);
    const body = (await refused.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({
      type: 'card_error',
      code: 'expired_card',
      decline_code: 'expired_card',
      param: 'exp_month',
      message: 'Your card has expired.',
      doc_url: 'https://stripe.com/docs/error-codes/expired-card',
      payment_intent: { id: intentIdOf(created.payment!.clientSecret), status: 'requires_payment_method', last_payment_error: { code: 'expired_card' } },
    });
    await deliverAll(intentIdOf(created.payment!.clientSecret));
    expect((await json<{ status: string }>(await api(`/v1/orders/${created.order.id}`, { token: customer.token }))).status).toBe('pending_payment');

    // A two-digit year is read as 20YY, and this month still counts as valid.
    const now = new Date();
    const thisMonth = { month: String(now.getUTCMonth() + 1).padStart(2, '0'), year: String(now.getUTCFullYear() % 100) };
    const paid = await confirm(created.payment!.clientSecret, thisMonth);
    expect(paid.status).toBe(200);
    expect(((await paid.json()) as { status: string }).status).toBe('succeeded');
  });
});
