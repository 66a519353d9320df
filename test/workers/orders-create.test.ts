/**
 * POST /v1/orders: pricing on the server, the one transaction, Idempotency-Key
 * semantics, every refusal (with no row written), merchant-created orders,
 * Postgres down, and Stripe down with a retry that completes the order.
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { and, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { idempotencyKeys, orderItems, orders, orderStatusEvents, outbox } from '../../db/schema/index';
import worker from '../support/worker-entry';
import {
  api,
  counts,
  createCity,
  createCustomer,
  createDriver,
  createMerchant,
  createProduct,
  db,
  FAR,
  injectStripeFault,
  json,
  newKey,
  orderBody,
  paymentRow,
  placeOrder,
  stripeGet,
  type CreatedOrder,
  type Customer,
  type TestMerchant,
} from './helpers/commerce';

let cityId: string;
let merchant: TestMerchant;
let customer: Customer;
let burger: string;
let fries: string;

beforeAll(async () => {
  cityId = await createCity();
  merchant = await createMerchant(cityId);
  customer = await createCustomer('Zoé Client');
  burger = await createProduct(merchant.merchantId, 1250, { name: 'Burger' });
  fries = await createProduct(merchant.merchantId, 399, { name: 'Fries' });
});

describe('creating an order', () => {
  it('prices on the server and writes order, items, first event, outbox row and payment in one go', async () => {
    const res = await api('/v1/orders', { token: customer.token, idempotencyKey: newKey(), body: orderBody(merchant.merchantId, [{ productId: burger, quantity: 2 }, { productId: fries, quantity: 3 }]) });
    expect(res.status).toBe(201);
    const { order, payment } = await json<CreatedOrder & { order: Record<string, unknown> }>(res);
    expect(res.headers.get('location')).toBe(`/v1/orders/${order.id}`);
    expect(order).toMatchObject({ status: 'pending_payment', dispatch: 'unassigned', merchantId: merchant.merchantId, source: 'customer', customer: { name: 'Zoé Client' } });
    expect(order.deliveryPin).toBeUndefined(); // shown from placement on, not before

    // Totals: integers, and the city's rules (base 199 + 60/km started metre, 10 % tax on items + delivery).
    const distanceM = order.distanceM as number;
    expect(distanceM).toBeGreaterThan(1_500);
    expect(distanceM).toBeLessThan(1_700);
    const subtotal = 2 * 1250 + 3 * 399;
    const fee = 199 + Math.ceil((60 * distanceM) / 1000);
    const tax = Math.floor(((subtotal + fee) * 1000 + 5000) / 10000);
    expect(order.totals).toEqual({ subtotalCents: subtotal, deliveryFeeCents: fee, taxCents: tax, totalCents: subtotal + fee + tax, currency: 'EUR' });
    for (const v of Object.values(order.totals)) if (typeof v === 'number') expect(Number.isInteger(v)).toBe(true);
    expect(order.trackingUrl).toMatch(/^http:\/\/127\.0\.0\.1:8787\/track\/[0-9a-z]{32}$/);

    // The PaymentIntent: created at the fake with the order total and the order id.
    expect(payment?.clientSecret).toMatch(/^pi_\w+_secret_\w+$/);
    const pay = await paymentRow(order.id);
    expect(pay).toMatchObject({ status: 'requires_payment', amountCents: subtotal + fee + tax, currency: 'EUR' });
    const intent = await stripeGet<{ amount: number; currency: string; metadata: Record<string, string> }>(`/v1/payment_intents/${pay!.providerPaymentId}`);
    expect(intent).toMatchObject({ amount: subtotal + fee + tax, currency: 'eur', metadata: { order_id: order.id } });

    const d = db();
    expect(await d.select({ n: sql<number>`count(*)::int` }).from(orderItems).where(eq(orderItems.orderId, order.id))).toEqual([{ n: 2 }]);
    expect(await d.select({ status: orderStatusEvents.status, actor: orderStatusEvents.actorType }).from(orderStatusEvents).where(eq(orderStatusEvents.orderId, order.id))).toEqual([
      { status: 'pending_payment', actor: 'customer' },
    ]);
    const box = await d.select({ topic: outbox.topic, payload: outbox.payload }).from(outbox).where(eq(outbox.aggregateId, order.id));
    expect(box).toHaveLength(1);
    expect(box[0]).toMatchObject({ topic: 'order.created', payload: { orderId: order.id, status: 'pending_payment', merchantId: merchant.merchantId } });
    expect(JSON.stringify(box[0]!.payload)).not.toContain('Zoé'); // ids and states only, no contact data
  });

  it('requires Idempotency-Key', async () => {
    const res = await api('/v1/orders', { token: customer.token, body: orderBody(merchant.merchantId, [{ productId: burger, quantity: 1 }]) });
    expect(res.status).toBe(422);
    const problem = await json<{ errors: { path: string }[] }>(res);
    expect(problem.errors.map((e) => e.path)).toContain('header.idempotency-key');
  });
});

describe('Idempotency-Key', () => {
  it('returns the first answer byte for byte for the same key and body, and creates one order', async () => {
    const key = newKey();
    const body = orderBody(merchant.merchantId, [{ productId: fries, quantity: 1 }]);
    const first = await api('/v1/orders', { token: customer.token, idempotencyKey: key, body });
    const firstText = await first.text();
    expect(first.status).toBe(201);
    // Same body with another key order in the JSON: still the same request.
    const reordered = { dropoff: body.dropoff, items: body.items, merchantId: body.merchantId };
    const second = await api('/v1/orders', { token: customer.token, idempotencyKey: key, body: reordered });
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await second.text()).toBe(firstText);
    const id = (JSON.parse(firstText) as CreatedOrder).order.id;
    const rows = await db().select({ id: orders.id }).from(orders).where(and(eq(orders.customerId, customer.userId), eq(orders.id, id)));
    expect(rows).toHaveLength(1);
  });

  it('answers 409 for the same key with another body, and writes nothing', async () => {
    const key = newKey();
    await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: fries, quantity: 1 }]), key);
    const before = await counts();
    const res = await api('/v1/orders', { token: customer.token, idempotencyKey: key, body: orderBody(merchant.merchantId, [{ productId: fries, quantity: 2 }]) });
    expect(res.status).toBe(409);
    expect((await json<{ type: string }>(res)).type).toMatch(/idempotency-key-reused$/);
    expect(await counts()).toEqual(before);
  });

  // The key is claimed in the same statement as the order's lookup (ADR 0104): what the lookup finds must not
  // decide the answer when the key is not this request's, and a refusal must release only a claim of its own.
  it('a key held by another request in flight: a body naming no merchant is a 409, and the held claim is kept', async () => {
    const key = newKey();
    const scope = `user:${customer.userId}`;
    const now = new Date();
    await db().insert(idempotencyKeys).values({ scope, key, requestHash: 'another request', lockedAt: now, createdAt: now, expiresAt: new Date(now.getTime() + 86_400_000) });
    const res = await api('/v1/orders', { token: customer.token, idempotencyKey: key, body: orderBody('mer_00000000000000000000', [{ productId: burger, quantity: 1 }]) });
    expect(res.status).toBe(409);
    expect((await json<{ type: string }>(res)).type).toMatch(/idempotency-key-reused$/);
    const [held] = await db().select().from(idempotencyKeys).where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
    expect(held?.requestHash).toBe('another request');
    expect(held?.lockedAt?.getTime()).toBe(now.getTime());
  });

  it('a refused body with a new key leaves no claim behind, so the key can be used again once the body is fixed', async () => {
    const key = newKey();
    const refused = await api('/v1/orders', { token: customer.token, idempotencyKey: key, body: orderBody('mer_00000000000000000000', [{ productId: burger, quantity: 1 }]) });
    expect(refused.status).toBe(422);
    expect(await db().select().from(idempotencyKeys).where(and(eq(idempotencyKeys.scope, `user:${customer.userId}`), eq(idempotencyKeys.key, key)))).toHaveLength(0);
    const fixed = await api('/v1/orders', { token: customer.token, idempotencyKey: key, body: orderBody(merchant.merchantId, [{ productId: burger, quantity: 1 }]) });
    expect(fixed.status).toBe(201);
  });

  it('two requests with one key at the same time: one order, the other waits its turn (409 in progress) or gets the replay', async () => {
    const key = newKey();
    const body = orderBody(merchant.merchantId, [{ productId: burger, quantity: 3 }]);
    const before = await counts();
    const results = await Promise.all([1, 2, 3].map(() => api('/v1/orders', { token: customer.token, idempotencyKey: key, body })));
    const statuses = results.map((r) => r.status);
    expect(statuses).toContain(201);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    for (const r of results.filter((x) => x.status === 409)) expect(r.headers.get('retry-after')).toBe('1');
    expect((await counts()).orders).toBe(before.orders + 1);
    const ids = new Set((await Promise.all(results.filter((r) => r.status === 201).map((r) => json<CreatedOrder>(r)))).map((o) => o.order.id));
    expect(ids.size).toBe(1);
  });

  it('keys per caller: two customers may use the same key', async () => {
    const key = newKey();
    const other = await createCustomer();
    const a = await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: fries, quantity: 1 }]), key);
    const b = await placeOrder(other.token, orderBody(merchant.merchantId, [{ productId: fries, quantity: 1 }]), key);
    expect(a.order.id).not.toBe(b.order.id);
  });
});

describe('refusals: a clear problem and no row written', () => {
  const cases: [string, () => Promise<{ body: unknown; status: number; path?: string }>][] = [
    ['unknown merchant', async () => ({ body: orderBody('mer_00000000000000000000', [{ productId: burger, quantity: 1 }]), status: 422, path: 'json.merchantId' })],
    ['closed merchant', async () => {
      const closed = await createMerchant(cityId, { open: false });
      return { body: orderBody(closed.merchantId, [{ productId: await createProduct(closed.merchantId, 500), quantity: 1 }]), status: 422, path: 'json.merchantId' };
    }],
    ['suspended merchant', async () => {
      const suspended = await createMerchant(cityId, { suspended: true });
      return { body: orderBody(suspended.merchantId, [{ productId: await createProduct(suspended.merchantId, 500), quantity: 1 }]), status: 422, path: 'json.merchantId' };
    }],
    ['dropoff outside the service area', async () => ({
      body: { ...orderBody(merchant.merchantId, [{ productId: burger, quantity: 1 }]), dropoff: { address: 'Lyon', location: FAR } },
      status: 422,
      path: 'json.dropoff.location',
    })],
    ['product of another merchant', async () => {
      const other = await createMerchant(cityId);
      return { body: orderBody(merchant.merchantId, [{ productId: await createProduct(other.merchantId, 500), quantity: 1 }]), status: 422, path: 'json.items.0.productId' };
    }],
    ['unavailable product', async () => ({
      body: orderBody(merchant.merchantId, [{ productId: burger, quantity: 1 }, { productId: await createProduct(merchant.merchantId, 100, { available: false }), quantity: 1 }]),
      status: 422,
      path: 'json.items.1.productId',
    })],
    ['quantity 0', async () => ({ body: orderBody(merchant.merchantId, [{ productId: burger, quantity: 0 }]), status: 422, path: 'json.items.0.quantity' })],
    ['quantity 100', async () => ({ body: orderBody(merchant.merchantId, [{ productId: burger, quantity: 100 }]), status: 422, path: 'json.items.0.quantity' })],
    ['fractional quantity', async () => ({ body: orderBody(merchant.merchantId, [{ productId: burger, quantity: 1.5 }]), status: 422, path: 'json.items.0.quantity' })],
    ['51 lines', async () => ({ body: orderBody(merchant.merchantId, Array.from({ length: 51 }, (_, i) => ({ productId: `prd_${String(i).padStart(20, '0')}`, quantity: 1 }))), status: 422, path: 'json.items' })],
    ['no lines', async () => ({ body: orderBody(merchant.merchantId, []), status: 422, path: 'json.items' })],
    ['the same product twice', async () => ({ body: orderBody(merchant.merchantId, [{ productId: burger, quantity: 1 }, { productId: burger, quantity: 2 }]), status: 422, path: 'json.items.1.productId' })],
    ['latitude out of range', async () => ({ body: { ...orderBody(merchant.merchantId, [{ productId: burger, quantity: 1 }]), dropoff: { address: 'x', location: { lat: 91, lng: 2 } } }, status: 422, path: 'json.dropoff.location.lat' })],
    ['empty address', async () => ({ body: { ...orderBody(merchant.merchantId, [{ productId: burger, quantity: 1 }]), dropoff: { address: '  ', location: { lat: 48.86, lng: 2.34 } } }, status: 422, path: 'json.dropoff.address' })],
    ['a customer claiming paid', async () => ({ body: { ...orderBody(merchant.merchantId, [{ productId: burger, quantity: 1 }]), paid: true }, status: 422, path: 'json.paid' })],
    ['an unknown field (a client-side total)', async () => ({ body: { ...orderBody(merchant.merchantId, [{ productId: burger, quantity: 1 }]), totalCents: 1 }, status: 422, path: 'json' })],
    ['malformed JSON', async () => ({ body: '{"merchantId": ', status: 400 })],
  ];

  it.each(cases)('%s', async (_name, make) => {
    const { body, status, path } = await make();
    const before = await counts();
    const res = await api('/v1/orders', { token: customer.token, idempotencyKey: newKey(), body });
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = await json<{ errors?: { path: string; message: string }[]; detail: string }>(res);
    if (path) expect(problem.errors?.map((e) => e.path)).toContain(path);
    expect(await counts()).toEqual(before);
  });

  it('who may create: no token 401, drivers and merchant accounts 403', async () => {
    const body = orderBody(merchant.merchantId, [{ productId: burger, quantity: 1 }]);
    expect((await api('/v1/orders', { idempotencyKey: newKey(), body })).status).toBe(401);
    const driver = await createDriver(cityId);
    expect((await api('/v1/orders', { token: driver.token, idempotencyKey: newKey(), body })).status).toBe(403);
    expect((await api('/v1/orders', { token: merchant.ownerToken, idempotencyKey: newKey(), body })).status).toBe(403);
  });
});

describe('orders created by a merchant with an API key', () => {
  it('creates a placed order for an inline customer paid off-platform, with no payment', async () => {
    const { key } = await merchant.apiKey();
    const body = orderBody(merchant.merchantId, [{ productId: burger, quantity: 1 }], { customer: { name: 'Walk-in Guest', phone: '+33611112222' }, paid: true });
    const created = await placeOrder(key, body);
    expect(created.order).toMatchObject({ status: 'placed', source: 'merchant_api', paidOffPlatform: true, customer: { name: 'Walk-in Guest', phone: '+33611112222' } });
    expect(created.payment).toBeUndefined();
    expect(created.order.deliveryPin).toBeUndefined(); // the merchant is never shown the PIN
    expect(await paymentRow(created.order.id)).toBeUndefined();
    const [row] = await db().select({ pin: orders.deliveryPin, pinHash: orders.deliveryPinHash, placedAt: orders.placedAt }).from(orders).where(eq(orders.id, created.order.id));
    // The PIN exists, stored as a keyed hash (and sealed), never in clear (ADR 0083).
    expect(row!.pin).toBeNull();
    expect(row!.pinHash).toMatch(/^test-1\.[\w-]{43}$/);
    expect(row!.placedAt).not.toBeNull();
  });

  it('opens a payment when not paid, needs the customer, and only for its own merchant', async () => {
    const { key } = await merchant.apiKey();
    const unpaid = await placeOrder(key, orderBody(merchant.merchantId, [{ productId: fries, quantity: 2 }], { customer: { name: 'Phone Order', phone: '+33633334444', email: 'p@example.test' } }));
    expect(unpaid.order.status).toBe('pending_payment');
    expect(unpaid.payment?.clientSecret).toBeTruthy();

    const missing = await api('/v1/orders', { token: key, idempotencyKey: newKey(), body: orderBody(merchant.merchantId, [{ productId: fries, quantity: 1 }]) });
    expect(missing.status).toBe(422);
    expect((await json<{ errors: { path: string }[] }>(missing)).errors[0]!.path).toBe('json.customer');

    const other = await createMerchant(cityId);
    const elsewhere = await api('/v1/orders', {
      token: key,
      idempotencyKey: newKey(),
      body: orderBody(other.merchantId, [{ productId: await createProduct(other.merchantId, 300), quantity: 1 }], { customer: { name: 'X', phone: '+33600000001' } }),
    });
    expect(elsewhere.status).toBe(403);
  });
});

describe('faults', () => {
  it('Postgres unavailable: 503 with Retry-After, and no order', async () => {
    const downEnv = { ...env, HYPERDRIVE: { ...env.HYPERDRIVE, connectionString: 'postgres://postgres:password@127.0.0.1:1/delivery' } } as Env;
    const before = await counts();
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request('http://platform.test/v1/orders', {
        method: 'POST',
        headers: { Authorization: `Bearer ${customer.token}`, 'Content-Type': 'application/json', 'Idempotency-Key': newKey() },
        body: JSON.stringify(orderBody(merchant.merchantId, [{ productId: burger, quantity: 1 }])),
      }),
      downEnv,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await counts()).toEqual(before);
  });

  it('a failure inside the transaction leaves no half-written order', async () => {
    const victim = await createMerchant(cityId);
    const product = await createProduct(victim.merchantId, 700);
    // Make the outbox refuse this merchant's rows only: the order, contact and
    // items inserts of the same transaction succeed first, then the outbox fails.
    const constraint = `test_refuse_${victim.merchantId}`;
    await db().execute(sql.raw(`alter table outbox add constraint "${constraint}" check ((payload->>'merchantId') is distinct from '${victim.merchantId}') not valid`));
    try {
      const before = await counts();
      const res = await api('/v1/orders', { token: customer.token, idempotencyKey: newKey(), body: orderBody(victim.merchantId, [{ productId: product, quantity: 1 }]) });
      expect(res.status).toBe(500);
      expect(await counts()).toEqual(before);
      expect(await db().select().from(orders).where(eq(orders.merchantId, victim.merchantId))).toEqual([]);
    } finally {
      await db().execute(sql.raw(`alter table outbox drop constraint "${constraint}"`));
    }
  });

  it('Stripe down: 503, the order stays pending_payment, and a retry with the same key completes it', async () => {
    const price = 4321; // a total only this test produces, so the injected fault hits nobody else
    const product = await createProduct(merchant.merchantId, price);
    const body = orderBody(merchant.merchantId, [{ productId: product, quantity: 1 }]);
    const key = newKey();
    const before = await counts();
    const probe = await placeOrder(customer.token, body); // to learn the total, then refund nothing: a separate key
    const amount = probe.order.totals.totalCents;
    await injectStripeFault({ count: 2, status: 500, path: '/v1/payment_intents', bodyIncludes: `amount=${amount}&` });

    const failed = await api('/v1/orders', { token: customer.token, idempotencyKey: key, body });
    expect(failed.status).toBe(503);
    expect(Number(failed.headers.get('retry-after'))).toBeGreaterThan(0);
    const pending = await db().select().from(orders).where(and(eq(orders.customerId, customer.userId), eq(orders.totalCents, amount), eq(orders.status, 'pending_payment')));
    expect(pending).toHaveLength(2); // the probe and the one whose payment failed
    const after = await counts();
    expect(after.orders).toBe(before.orders + 2);

    const retried = await api('/v1/orders', { token: customer.token, idempotencyKey: key, body });
    expect(retried.status).toBe(201);
    const completed = await json<CreatedOrder>(retried);
    expect(completed.payment?.clientSecret).toMatch(/^pi_/);
    expect(pending.map((o) => o.id)).toContain(completed.order.id);
    expect((await counts()).orders).toBe(after.orders); // resumed, not created again
    expect((await paymentRow(completed.order.id))!.providerPaymentId).toBe(completed.payment!.clientSecret.split('_secret_')[0]);

    const replay = await api('/v1/orders', { token: customer.token, idempotencyKey: key, body });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await json<CreatedOrder>(replay)).toEqual(completed);
  });
});
