/**
 * The order lifecycle through the API: paying with the test card places the
 * order, the merchant accepts and marks it ready, the assigned driver picks
 * it up and delivers it with the customer's PIN; who may take which step;
 * illegal steps; two concurrent steps; cancellation with refund; reading.
 */
import { env } from 'cloudflare:workers';
import { and, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { deliveryProofs, orders, orderStatusEvents, outbox, refunds } from '../../db/schema/index';
import { retryPendingRefundsNow } from '../../workers/services/payments/sweeps';
import {
  api,
  assignDriver,
  createCity,
  createCustomer,
  createDriver,
  createMerchant,
  createProduct,
  db,
  injectStripeFault,
  intentIdOf,
  json,
  orderBody,
  payOrder,
  paymentRow,
  placeOrder,
  stripeGet,
  type Customer,
  type TestMerchant,
} from './helpers/commerce';

type Order = { id: string; status: string; dispatch: string; deliveryPin?: string; [k: string]: unknown };

let cityId: string;
let merchant: TestMerchant;
let customer: Customer;
let dish: string;

beforeAll(async () => {
  cityId = await createCity();
  merchant = await createMerchant(cityId);
  customer = await createCustomer();
  dish = await createProduct(merchant.merchantId, 1500, { name: 'Dish' });
});

const step = (orderId: string, name: string, token: string | undefined, body?: unknown) => api(`/v1/orders/${orderId}/${name}`, { method: 'POST', token, ...(body !== undefined ? { body } : {}) });

async function paidOrder(by = customer, productId = dish, m = merchant) {
  const created = await placeOrder(by.token, orderBody(m.merchantId, [{ productId, quantity: 1 }]));
  await payOrder(created);
  return created;
}

async function statusOf(orderId: string): Promise<string> {
  const [row] = await db().select({ status: orders.status }).from(orders).where(eq(orders.id, orderId));
  return row!.status;
}

describe('the happy path', () => {
  it('pay → placed (PIN for the customer only) → preparing → ready → in_delivery → delivered', async () => {
    const created = await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: dish, quantity: 2 }]));
    await payOrder(created);
    const asCustomer = await json<Order>(await api(`/v1/orders/${created.order.id}`, { token: customer.token }));
    expect(asCustomer.status).toBe('placed');
    expect(asCustomer.deliveryPin).toMatch(/^\d{4}$/);
    const asMerchant = await json<Order>(await api(`/v1/orders/${created.order.id}`, { token: merchant.ownerToken }));
    expect(asMerchant.status).toBe('placed');
    expect(asMerchant.deliveryPin).toBeUndefined();
    expect(await paymentRow(created.order.id)).toMatchObject({ status: 'succeeded' });

    expect(await json<Order>(await step(created.order.id, 'accept', merchant.ownerToken))).toMatchObject({ status: 'preparing', dispatch: 'unassigned' });
    expect(await json<Order>(await step(created.order.id, 'ready', await merchant.memberToken('staff')))).toMatchObject({ status: 'ready' });

    const driver = await createDriver(cityId);
    expect((await api(`/v1/orders/${created.order.id}`, { token: driver.token })).status).toBe(404); // not assigned yet
    await assignDriver(created.order.id, driver.driverId);
    const asDriver = await json<Order>(await api(`/v1/orders/${created.order.id}`, { token: driver.token }));
    expect(asDriver.deliveryPin).toBeUndefined();
    expect((await step(created.order.id, 'arrived', driver.token)).status).toBe(200);
    expect(await json<Order>(await step(created.order.id, 'pickup', driver.token))).toMatchObject({ status: 'in_delivery', dispatch: 'picked_up' });

    const wrongPin = asCustomer.deliveryPin === '0000' ? '1111' : '0000';
    const refused = await step(created.order.id, 'deliver', driver.token, { pin: wrongPin });
    expect(refused.status).toBe(422);
    expect(await statusOf(created.order.id)).toBe('in_delivery');
    expect(await json<Order>(await step(created.order.id, 'deliver', driver.token, { pin: asCustomer.deliveryPin }))).toMatchObject({ status: 'delivered', dispatch: 'dropped_off' });
    expect(await db().select({ method: deliveryProofs.method }).from(deliveryProofs).where(eq(deliveryProofs.orderId, created.order.id))).toEqual([{ method: 'pin' }]);

    const history = await json<{ items: { status: string; actor: string }[] }>(await api(`/v1/orders/${created.order.id}/events`, { token: customer.token }));
    expect(history.items.map((e) => `${e.status}:${e.actor}`)).toEqual([
      'pending_payment:customer',
      'placed:stripe',
      'preparing:merchant',
      'ready:merchant',
      'ready:driver',
      'in_delivery:driver',
      'delivered:driver',
    ]);
    const topics = (await db().select({ topic: outbox.topic }).from(outbox).where(eq(outbox.aggregateId, created.order.id)).orderBy(outbox.createdAt)).map((r) => r.topic);
    expect(topics).toEqual(['order.created', 'order.placed', 'order.preparing', 'order.ready', 'order.driver_arrived', 'order.in_delivery', 'order.delivered']);
  });

  it('a prescription order is only delivered with an ID check', async () => {
    const pharmacy = await createMerchant(cityId, { kind: 'pharmacy' });
    const drug = await createProduct(pharmacy.merchantId, 520, { requiresPrescription: true });
    const created = await paidOrder(customer, drug, pharmacy);
    const pin = (await json<Order>(await api(`/v1/orders/${created.order.id}`, { token: customer.token }))).deliveryPin;
    await step(created.order.id, 'accept', pharmacy.ownerToken);
    await step(created.order.id, 'ready', pharmacy.ownerToken);
    const driver = await createDriver(cityId);
    await assignDriver(created.order.id, driver.driverId);
    await step(created.order.id, 'pickup', driver.token);
    const without = await step(created.order.id, 'deliver', driver.token, { pin });
    expect(without.status).toBe(422);
    expect((await json<{ errors: { path: string }[] }>(without)).errors[0]!.path).toBe('json.idCheck');
    const ok = await step(created.order.id, 'deliver', driver.token, { pin, idCheck: { documentType: 'id_card', birthYear: 1990 } });
    expect(ok.status).toBe(200);
    expect(await db().select({ doc: deliveryProofs.idDocumentType, year: deliveryProofs.idBirthYear }).from(deliveryProofs).where(eq(deliveryProofs.orderId, created.order.id))).toEqual([{ doc: 'id_card', year: 1990 }]);
  });
});

describe('who may take which step', () => {
  it('a party without the right: 403; a stranger: 404; the wrong status: 409 with currentStatus', async () => {
    const created = await paidOrder();
    const id = created.order.id;
    expect((await step(id, 'accept', customer.token)).status).toBe(403);
    const driver = await createDriver(cityId);
    expect((await step(id, 'accept', driver.token)).status).toBe(404);
    const otherMerchant = await createMerchant(cityId);
    expect((await step(id, 'accept', otherMerchant.ownerToken)).status).toBe(404);
    expect((await step(id, 'accept', (await createCustomer()).token)).status).toBe(404);
    expect((await step(id, 'accept', undefined)).status).toBe(401);

    const early = await step(id, 'ready', merchant.ownerToken);
    expect(early.status).toBe(409);
    expect(await json(early)).toMatchObject({ status: 409, currentStatus: 'placed' });
    expect(await statusOf(id)).toBe('placed');

    await step(id, 'accept', merchant.ownerToken);
    const late = await step(id, 'cancel', customer.token);
    expect(late.status).toBe(409);
    expect(await json(late)).toMatchObject({ currentStatus: 'preparing' });
  });

  it('an API key takes merchant steps; an unpaid order cannot be accepted', async () => {
    const { key } = await merchant.apiKey();
    const unpaid = await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: dish, quantity: 1 }]));
    expect(await json(await step(unpaid.order.id, 'accept', key))).toMatchObject({ currentStatus: 'pending_payment' });
    const paid = await paidOrder();
    expect(await json<Order>(await step(paid.order.id, 'accept', key))).toMatchObject({ status: 'preparing' });
  });
});

describe('concurrency', () => {
  it('two concurrent steps on one order: exactly one wins', async () => {
    for (let round = 0; round < 3; round++) {
      const created = await paidOrder();
      const id = created.order.id;
      // The merchant accepts while the customer cancels: both are legal from `placed`.
      const [accept, cancel] = await Promise.all([step(id, 'accept', merchant.ownerToken), step(id, 'cancel', customer.token)]);
      const statuses = [accept.status, cancel.status].sort();
      expect(statuses).toEqual([200, 409]);
      const final = await statusOf(id);
      expect(final).toBe(accept.status === 200 ? 'preparing' : 'cancelled');
      const events = await db().select({ status: orderStatusEvents.status }).from(orderStatusEvents).where(eq(orderStatusEvents.orderId, id));
      expect(events.map((e) => e.status).sort()).toEqual(['pending_payment', 'placed', final].sort());
    }
  });

  it('the same step twice at once: one 200, one 409', async () => {
    const created = await paidOrder();
    const results = await Promise.all([step(created.order.id, 'accept', merchant.ownerToken), step(created.order.id, 'accept', merchant.ownerToken)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const [{ n }] = (await db().select({ n: sql<number>`count(*)::int` }).from(orderStatusEvents).where(and(eq(orderStatusEvents.orderId, created.order.id), eq(orderStatusEvents.status, 'preparing')))) as [{ n: number }];
    expect(n).toBe(1);
  });
});

describe('cancellation and money', () => {
  it('a cancelled paid order is refunded in full', async () => {
    const created = await paidOrder();
    const res = await step(created.order.id, 'cancel', customer.token, { reason: 'changed my mind' });
    expect(res.status).toBe(200);
    expect(await json<Order>(res)).toMatchObject({ status: 'cancelled', cancelReason: 'changed my mind' });
    const payment = await paymentRow(created.order.id);
    expect(payment).toMatchObject({ status: 'refunded', refundedCents: payment!.amountCents });
    const [refund] = await db().select().from(refunds).where(eq(refunds.paymentId, payment!.id));
    expect(refund).toMatchObject({ status: 'succeeded', amountCents: payment!.amountCents });
    const atStripe = await stripeGet<{ amount: number; payment_intent: string; status: string }>(`/v1/refunds/${refund!.providerRefundId}`);
    expect(atStripe).toMatchObject({ amount: payment!.amountCents, payment_intent: payment!.providerPaymentId, status: 'succeeded' });
    const apiView = await json(await api(`/v1/orders/${created.order.id}/payment`, { token: customer.token }));
    expect(apiView).toMatchObject({ status: 'refunded', refundedCents: payment!.amountCents, amountCents: payment!.amountCents, currency: 'EUR' });

    // Stripe's own charge.refunded webhook afterwards changes nothing more.
    const { deliverAll } = await import('./helpers/commerce');
    await deliverAll(payment!.providerPaymentId!, 'charge.refunded');
    expect(await paymentRow(created.order.id)).toMatchObject({ status: 'refunded', refundedCents: payment!.amountCents });
  });

  it('a merchant rejecting a paid order refunds it; cancelling an unpaid one cancels the PaymentIntent', async () => {
    const paid = await paidOrder();
    expect(await json<Order>(await step(paid.order.id, 'reject', merchant.ownerToken, { reason: 'out of stock' }))).toMatchObject({ status: 'rejected' });
    expect(await paymentRow(paid.order.id)).toMatchObject({ status: 'refunded' });

    const unpaid = await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: dish, quantity: 1 }]));
    expect(await json<Order>(await step(unpaid.order.id, 'cancel', customer.token))).toMatchObject({ status: 'cancelled' });
    expect(await stripeGet(`/v1/payment_intents/${intentIdOf(unpaid.payment!.clientSecret)}`)).toMatchObject({ status: 'canceled' });
    expect(await paymentRow(unpaid.order.id)).toMatchObject({ status: 'canceled', refundedCents: 0 });
  });
});

describe('refunds the provider could not take at once', () => {
  it('stay pending, and the cron sweep refunds them exactly once', async () => {
    const created = await paidOrder();
    const intent = intentIdOf(created.payment!.clientSecret);
    await injectStripeFault({ count: 2, status: 503, path: '/v1/refunds', bodyIncludes: `payment_intent=${intent}` });
    expect(await json<Order>(await step(created.order.id, 'cancel', customer.token))).toMatchObject({ status: 'cancelled' });
    const before = await paymentRow(created.order.id);
    expect(before).toMatchObject({ status: 'succeeded', refundedCents: 0 });
    const [pending] = await db().select().from(refunds).where(eq(refunds.paymentId, before!.id));
    expect(pending).toMatchObject({ status: 'pending', providerRefundId: null });

    expect(await retryPendingRefundsNow(env, 0)).toBeGreaterThanOrEqual(1);
    expect(await paymentRow(created.order.id)).toMatchObject({ status: 'refunded', refundedCents: before!.amountCents });
    await retryPendingRefundsNow(env, 0);
    const rows = await db().select().from(refunds).where(eq(refunds.paymentId, before!.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'succeeded' });
    const atStripe = await stripeGet<{ amount_refunded: number }>(`/v1/charges/${(await stripeGet<{ latest_charge: string }>(`/v1/payment_intents/${intent}`)).latest_charge}`);
    expect(atStripe.amount_refunded).toBe(before!.amountCents);
  });
});

describe('reading orders', () => {
  it('lists the caller’s orders newest first with a cursor and a status filter', async () => {
    const buyer = await createCustomer();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await placeOrder(buyer.token, orderBody(merchant.merchantId, [{ productId: dish, quantity: 1 }]))).order.id);
    const first = await json<{ items: Order[]; nextCursor: string | null }>(await api('/v1/orders?limit=2', { token: buyer.token }));
    expect(first.items.map((o) => o.id)).toEqual([ids[2], ids[1]]);
    expect(first.nextCursor).toBeTruthy();
    const second = await json<{ items: Order[]; nextCursor: string | null }>(await api(`/v1/orders?limit=2&cursor=${first.nextCursor}`, { token: buyer.token }));
    expect(second.items.map((o) => o.id)).toEqual([ids[0]]);
    expect(second.nextCursor).toBeNull();

    await step(ids[1]!, 'cancel', buyer.token);
    const cancelled = await json<{ items: Order[] }>(await api('/v1/orders?status=cancelled', { token: buyer.token }));
    expect(cancelled.items.map((o) => o.id)).toEqual([ids[1]]);

    const merchantView = await json<{ items: Order[] }>(await api('/v1/orders?limit=100', { token: merchant.ownerToken }));
    expect(merchantView.items.map((o) => o.id)).toEqual(expect.arrayContaining(ids));
    const stranger = await createCustomer();
    expect(await json(await api('/v1/orders', { token: stranger.token }))).toEqual({ items: [], nextCursor: null });
    expect((await api('/v1/orders?cursor=not-a-cursor', { token: buyer.token })).status).toBe(422);
    expect((await api('/v1/orders?status=lost', { token: buyer.token })).status).toBe(422);
    expect((await api('/v1/orders')).status).toBe(401);
  });

  it('GET one, /events and /payment answer 404 to anyone not party to the order', async () => {
    const created = await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: dish, quantity: 1 }]));
    const stranger = await createCustomer();
    for (const path of ['', '/events', '/payment']) {
      expect((await api(`/v1/orders/${created.order.id}${path}`, { token: stranger.token })).status).toBe(404);
      expect((await api(`/v1/orders/${created.order.id}${path}`, { token: (await createMerchant(cityId)).ownerToken })).status).toBe(404);
    }
    expect((await api('/v1/orders/ord_00000000000000000000', { token: customer.token })).status).toBe(404);
    expect(await json(await api(`/v1/orders/${created.order.id}/payment`, { token: merchant.ownerToken }))).toMatchObject({ status: 'requires_payment', refundedCents: 0 });
  });
});

describe('the delivery PIN cannot be guessed', () => {
  it('refuses the PIN with 429 after 5 wrong codes for an order (even the right one); other refusals do not count; other orders are not affected', async () => {
    const drug = await createProduct(merchant.merchantId, 700, { requiresPrescription: true });
    const created = await paidOrder(customer, drug);
    const id = created.order.id;
    const pin = (await json<Order>(await api(`/v1/orders/${id}`, { token: customer.token }))).deliveryPin!;
    const wrong = ['0000', '1111', '2222', '3333', '4444', '5555'].filter((p) => p !== pin).slice(0, 5);
    await step(id, 'accept', merchant.ownerToken);
    await step(id, 'ready', merchant.ownerToken);
    const driver = await createDriver(cityId);
    await assignDriver(id, driver.driverId);
    expect((await step(id, 'pickup', driver.token)).status).toBe(200);

    // The right code without the ID check a prescription needs: refused, and the try is given back (twice, to be sure).
    for (let i = 0; i < 2; i++) expect((await step(id, 'deliver', driver.token, { pin })).status).toBe(422);
    for (const p of wrong.slice(0, 4)) expect((await step(id, 'deliver', driver.token, { pin: p })).status).toBe(422);
    // Four wrong codes counted (the two refusals above gave theirs back): the fifth wrong one still gets its 422, then the PIN is locked.
    expect((await step(id, 'deliver', driver.token, { pin: wrong[4]! })).status).toBe(422);
    const locked = await step(id, 'deliver', driver.token, { pin, idCheck: { documentType: 'id_card', birthYear: 1990 } });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await json<{ detail: string }>(locked)).toMatchObject({ detail: expect.stringContaining('photo') });
    expect(await statusOf(id)).toBe('in_delivery');

    // Another order is not affected.
    const other = await paidOrder();
    const otherPin = (await json<Order>(await api(`/v1/orders/${other.order.id}`, { token: customer.token }))).deliveryPin!;
    await step(other.order.id, 'accept', merchant.ownerToken);
    await step(other.order.id, 'ready', merchant.ownerToken);
    await assignDriver(other.order.id, driver.driverId);
    expect((await step(other.order.id, 'pickup', driver.token)).status).toBe(200);
    expect(await json<Order>(await step(other.order.id, 'deliver', driver.token, { pin: otherPin }))).toMatchObject({ status: 'delivered' });
  });
});
