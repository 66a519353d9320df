/**
 * Secrets at rest (ADR 0083). Before: webhook signing secrets were stored in
 * clear and again in `idempotency_keys.response_body` (a replay of the
 * registration showed the secret again); delivery PINs and tracking tokens
 * were plain columns. Each test reads what Postgres holds after a real API
 * call and checks the platform still works from it: a webhook is signed
 * with the secret, the customer reads their PIN, the driver's code is
 * checked, the tracking link answers; and the seal sweep converts rows
 * written in clear, and re-seals rows under an old key during a rotation.
 */
import { env } from 'cloudflare:workers';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { idempotencyKeys, orders, webhookEndpoints } from '../../db/schema/index';
import { hashTrackingToken, sealDeliveryPin, sealTrackingToken } from '../../workers/services/orders/codes';
import { dataKeys, keyedHash, newDataKeyEntry, open, seal, SealedValueError, verifyKeyedHash } from '../../workers/services/secrets/data-keys';
import { runSealSweep } from '../../workers/services/secrets/seal-sweep';
import { attemptDelivery } from '../../workers/services/webhooks/deliveries';
import { sealWebhookSecret, webhookSecretOf } from '../../workers/services/webhooks/endpoints';
import { generateWebhookSecret, signWebhook } from '../../workers/services/webhooks/signature';
import { api, assignDriver, createCity, createCustomer, createDriver, createMerchant, createProduct, db, json, newKey, orderBody, payOrder, placeOrder } from '../workers/helpers/commerce';
import { orderRow } from '../workers/helpers/order-row';

const ring = () => dataKeys(env.DATA_ENCRYPTION_KEYS);
/** Everything Postgres holds of a row, as text: where a secret in clear would show. */
const rowText = async (table: 'orders' | 'webhook_endpoints' | 'idempotency_keys', where: string) =>
  JSON.stringify(await db().execute(sql.raw(`select * from ${table} where ${where}`)));

describe('V6.1.1 V6.4.1 API3:2023 webhook signing secrets: sealed at rest, shown once, never in a replay', () => {
  it('the registration answers the secret once; Postgres holds it sealed only, and an Idempotency-Key replay answers without it', async () => {
    const cityId = await createCity();
    const m = await createMerchant(cityId);
    const key = newKey();
    const body = { url: 'http://127.0.0.1:9/hooks/secret-test', events: ['order.placed'] };
    const first = await api(`/v1/merchants/${m.merchantId}/webhooks`, { token: m.ownerToken, body, idempotencyKey: key });
    expect(first.status).toBe(201);
    expect(first.headers.get('Cache-Control')).toBe('no-store');
    const created = await json<{ id: string; secret: string }>(first);
    expect(created.secret).toMatch(/^whsec_/);

    const stored = await rowText('webhook_endpoints', `id = '${created.id}'`);
    expect(stored).not.toContain(created.secret.slice('whsec_'.length));
    const [row] = await db().select().from(webhookEndpoints).where(eq(webhookEndpoints.id, created.id));
    expect(row!.secret).toBeNull();
    expect(row!.secretSealed).toMatch(/^v1\.test-1\.[\w-]{16}\.[\w-]+$/);
    // The key opens it, for this row only.
    expect(await webhookSecretOf(await ring(), row!)).toBe(created.secret);

    const [record] = await db().select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key));
    expect(record!.responseBody).not.toContain(created.secret);
    expect(JSON.stringify(record)).not.toContain(created.secret.slice('whsec_'.length));

    const again = await api(`/v1/merchants/${m.merchantId}/webhooks`, { token: m.ownerToken, body, idempotencyKey: key });
    expect(again.status).toBe(201);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    const replayed = await json<Record<string, unknown>>(again);
    expect(replayed).not.toHaveProperty('secret');
    const { secret: _shownOnce, ...endpoint } = created;
    expect(replayed).toEqual(endpoint);
  });

  it('deliveries are signed with the secret opened from its seal', async () => {
    const cityId = await createCity();
    const m = await createMerchant(cityId);
    const res = await api(`/v1/merchants/${m.merchantId}/webhooks`, { token: m.ownerToken, body: { url: 'http://127.0.0.1:9/hooks/sign', events: ['*'] } });
    const created = await json<{ id: string; secret: string }>(res);
    const [endpoint] = await db().select().from(webhookEndpoints).where(eq(webhookEndpoints.id, created.id));
    const sent: Request[] = [];
    const fetcher = async (input: RequestInfo | URL, init?: RequestInit) => {
      sent.push(new Request(input, init));
      return new Response('ok');
    };
    const payload = { id: `evt_${crypto.randomUUID()}`, type: 'order.placed', createdAt: new Date().toISOString(), data: { order: { id: 'ord_x' } } };
    const made = await attemptDelivery(
      { db: db(), localMode: true, resolve: null, encryptionKeys: env.DATA_ENCRYPTION_KEYS, fetch: fetcher as typeof fetch, scheduleRetry: async () => undefined },
      endpoint!,
      payload,
      1,
      'event',
    );
    expect(made?.status).toBe('succeeded');
    const request = sent[0]!;
    const timestamp = Number(request.headers.get('Webhook-Timestamp'));
    expect(request.headers.get('Webhook-Signature')).toBe(signWebhook(created.secret, payload.id, timestamp, await request.text()));
  });
});

describe('V6.1.1 V6.2.2 V6.4.1 the data key: AES-256-GCM bound to its row, keys rotate', () => {
  it('a sealed value opens for its own purpose only, and not once altered or under a removed key', async () => {
    const keys = await ring();
    const sealed = await seal(keys, 'webhook_endpoints.secret:whk_a', 'whsec_abc');
    expect(await open(keys, 'webhook_endpoints.secret:whk_a', sealed)).toBe('whsec_abc');
    // Pasted into another row, or altered by one character: refused.
    await expect(open(keys, 'webhook_endpoints.secret:whk_b', sealed)).rejects.toBeInstanceOf(SealedValueError);
    const parts = sealed.split('.');
    const flipped = `${parts.slice(0, 3).join('.')}.${parts[3]!.startsWith('A') ? 'B' : 'A'}${parts[3]!.slice(1)}`;
    await expect(open(keys, 'webhook_endpoints.secret:whk_a', flipped)).rejects.toMatchObject({ reason: 'tampered' });
    // A keyring without the key that sealed it.
    const other = await dataKeys(JSON.stringify([newDataKeyEntry('other')]));
    await expect(open(other, 'webhook_endpoints.secret:whk_a', sealed)).rejects.toMatchObject({ reason: 'unknown_key' });
    // Two seals of one value differ (random IV).
    expect(await seal(keys, 'p', 'x')).not.toBe(await seal(keys, 'p', 'x'));
  });

  it('refuses a key list that is not JSON, empty, has a short secret or a duplicate id', async () => {
    for (const raw of ['nope', '[]', JSON.stringify([{ kid: 'a', secret: 'c2hvcnQ' }]), JSON.stringify([newDataKeyEntry('a'), newDataKeyEntry('a')]), JSON.stringify([{ kid: 'bad kid', secret: newDataKeyEntry('x').secret }])]) {
      await expect(dataKeys(raw), raw).rejects.toThrow(/DATA_ENCRYPTION_KEYS|data key/);
    }
  });

  it('after a rotation the new key seals, the old one still opens and verifies, and the sweep moves every row to the new key', async () => {
    const old = JSON.parse(env.DATA_ENCRYPTION_KEYS) as { kid: string; secret: string }[];
    const next = newDataKeyEntry(`rot-${crypto.randomUUID().slice(0, 8)}`);
    const rotated = await dataKeys(JSON.stringify([next, ...old]));
    const before = await ring();
    const cityId = await createCity();
    const m = await createMerchant(cityId);
    const customer = await createCustomer();
    // A row sealed under the old key, as the Worker wrote it before the rotation.
    const row = orderRow({ cityId, merchantId: m.merchantId, customerId: customer.userId, driverId: null, status: 'placed', dispatchState: 'unassigned', deliveryPin: '0000' });
    const token = 'r'.repeat(32);
    await db().insert(orders).values({ ...row, deliveryPin: null, trackingToken: null, ...(await sealDeliveryPin(before, row.id, '7315')), ...(await sealTrackingToken(before, row.id, token)) });
    const endpointId = `whk_${crypto.randomUUID().replace(/-/g, '').slice(0, 20)}`;
    const secret = generateWebhookSecret();
    await db().insert(webhookEndpoints).values({ id: endpointId, merchantId: m.merchantId, url: 'https://example.com/h', secretSealed: await sealWebhookSecret(before, endpointId, secret) });

    // The new keyring opens and verifies what the old key made.
    const [stored] = await db().select().from(orders).where(eq(orders.id, row.id));
    expect(await verifyKeyedHash(rotated, `orders.delivery_pin:${row.id}`, '7315', stored!.deliveryPinHash!)).toBe(true);
    expect(await open(rotated, `orders.tracking_token:${row.id}`, stored!.trackingTokenSealed!)).toBe(token);
    expect((await keyedHash(rotated, 'p', 'v')).startsWith(`${next.kid}.`)).toBe(true);

    // The sweep re-seals under the new key until nothing is left under the old one.
    for (let i = 0; i < 200; i++) if (Object.values(await runSealSweep(db(), rotated, 500)).every((n) => n === 0)) break;
    const [after] = await db().select().from(orders).where(eq(orders.id, row.id));
    for (const v of [after!.deliveryPinHash!, after!.deliveryPinSealed!, after!.trackingTokenSealed!]) expect(v).toContain(next.kid);
    expect(after!.trackingTokenHash).toBe(await hashTrackingToken(token));
    const onlyNew = await dataKeys(JSON.stringify([next]));
    expect(await verifyKeyedHash(onlyNew, `orders.delivery_pin:${row.id}`, '7315', after!.deliveryPinHash!)).toBe(true);
    expect(await open(onlyNew, `orders.delivery_pin:${row.id}`, after!.deliveryPinSealed!)).toBe('7315');
    const [endpoint] = await db().select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId));
    expect(await webhookSecretOf(onlyNew, endpoint!)).toBe(secret);
  }, 60_000);
});

describe('V2.4.5 V6.1.1 API2:2023 delivery PINs: a keyed hash compared in constant time, and sealed for the customer', () => {
  it('Postgres holds no PIN in clear; the customer still reads it; the driver’s right code delivers, a wrong one is refused', async () => {
    const cityId = await createCity();
    const m = await createMerchant(cityId);
    const productId = await createProduct(m.merchantId, 1200);
    const customer = await createCustomer();
    const created = await placeOrder(customer.token, orderBody(m.merchantId, [{ productId, quantity: 1 }]));
    await payOrder(created);
    const orderId = created.order.id;
    const view = await json<{ status: string; deliveryPin?: string }>(await api(`/v1/orders/${orderId}`, { token: customer.token }));
    expect(view.status).toBe('placed');
    expect(view.deliveryPin).toMatch(/^\d{4}$/);
    const pin = view.deliveryPin!;

    const [row] = await db().select().from(orders).where(eq(orders.id, orderId));
    expect(row!.deliveryPin).toBeNull();
    expect(row!.deliveryPinHash).toMatch(/^test-1\.[\w-]{43}$/);
    // Not a plain hash of 10,000 values: without the key no PIN hashes to it.
    const digits = Array.from({ length: 10_000 }, (_, i) => String(i).padStart(4, '0'));
    const plain = await Promise.all(digits.map(async (d) => btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(d)))))));
    expect(plain.some((h) => row!.deliveryPinHash!.includes(h.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')))).toBe(false);
    expect(await rowText('orders', `id = '${orderId}'`)).not.toMatch(new RegExp(`"${pin}"`));

    // To the door: the driver's wrong code is refused, the right one compared with the hash delivers.
    const driver = await createDriver(cityId);
    await assignDriver(orderId, driver.driverId);
    await db().update(orders).set({ status: 'in_delivery', dispatchState: 'picked_up' }).where(eq(orders.id, orderId));
    const wrong = pin === '0000' ? '1111' : '0000';
    const refused = await api(`/v1/orders/${orderId}/deliver`, { token: driver.token, body: { pin: wrong } });
    expect(refused.status).toBe(422);
    const delivered = await api(`/v1/orders/${orderId}/deliver`, { token: driver.token, body: { pin } });
    expect(delivered.status).toBe(200);
  });
});

describe('V6.1.1 V8.3.4 API2:2023 tracking tokens: looked up by SHA-256, never stored in clear, nor in a stored replay', () => {
  it('the row and the Idempotency-Key record hold no token; the link answers; a replay gives the same link back', async () => {
    const cityId = await createCity();
    const m = await createMerchant(cityId);
    const productId = await createProduct(m.merchantId, 900);
    const { key: apiKey } = await m.apiKey();
    const idem = newKey();
    const body = orderBody(m.merchantId, [{ productId, quantity: 1 }], { customer: { name: 'Walk-in', phone: '+33612345678' }, paid: true });
    const first = await api('/v1/orders', { token: apiKey, body, idempotencyKey: idem });
    expect(first.status).toBe(201);
    const text = await first.text();
    const { order } = JSON.parse(text) as { order: { id: string; trackingUrl: string } };
    const token = order.trackingUrl.split('/track/')[1]!;
    expect(token).toMatch(/^[0-9a-z]{32}$/);

    expect(await rowText('orders', `id = '${order.id}'`)).not.toContain(token);
    const [row] = await db().select().from(orders).where(eq(orders.id, order.id));
    expect(row!.trackingToken).toBeNull();
    expect(row!.trackingTokenHash).toBe(await hashTrackingToken(token));
    const [record] = await db().select().from(idempotencyKeys).where(eq(idempotencyKeys.key, idem));
    expect(record!.responseBody).not.toContain(token);

    expect((await api(`/v1/track/${token}`)).status).toBe(200);
    expect((await api(`/v1/track/${'0'.repeat(32)}`)).status).toBe(404);
    const again = await api('/v1/orders', { token: apiKey, body, idempotencyKey: idem });
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await again.text()).toBe(text);
  });
});

describe('V6.1.1 migration: rows written in clear are sealed by the sweep and keep working meanwhile', () => {
  it('a plaintext order and endpoint work before the sweep (lazy read) and after it (sealed, plaintext emptied)', async () => {
    const cityId = await createCity();
    const m = await createMerchant(cityId);
    const customer = await createCustomer();
    const driver = await createDriver(cityId);
    const row = orderRow({ cityId, merchantId: m.merchantId, customerId: customer.userId, driverId: driver.driverId, status: 'in_delivery', dispatchState: 'picked_up', deliveryPin: '5093' });
    // As an old Worker wrote it during a deploy: no hash at all.
    await db().insert(orders).values(row);
    const endpointId = `whk_${crypto.randomUUID().replace(/-/g, '').slice(0, 20)}`;
    const secret = generateWebhookSecret();
    await db().insert(webhookEndpoints).values({ id: endpointId, merchantId: m.merchantId, url: 'https://example.com/h', secret });

    const viewBefore = await json<{ deliveryPin?: string; trackingUrl: string }>(await api(`/v1/orders/${row.id}`, { token: customer.token }));
    expect(viewBefore.deliveryPin).toBe('5093');
    expect(viewBefore.trackingUrl).toContain(row.trackingToken!);
    expect((await api(`/v1/track/${row.trackingToken}`)).status).toBe(200);

    for (let i = 0; i < 200; i++) if ((await runSealSweep(db(), await ring(), 500)).sealedOrders === 0) break;
    const [sealed] = await db().select().from(orders).where(eq(orders.id, row.id));
    expect(sealed).toMatchObject({ deliveryPin: null, trackingToken: null, trackingTokenHash: await hashTrackingToken(row.trackingToken!) });
    expect(await rowText('orders', `id = '${row.id}'`)).not.toContain(row.trackingToken!);
    const [endpoint] = await db().select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId));
    expect(endpoint!.secret).toBeNull();
    expect(await webhookSecretOf(await ring(), endpoint!)).toBe(secret);

    const viewAfter = await json<{ deliveryPin?: string; trackingUrl: string }>(await api(`/v1/orders/${row.id}`, { token: customer.token }));
    expect(viewAfter).toMatchObject({ deliveryPin: '5093', trackingUrl: viewBefore.trackingUrl });
    expect((await api(`/v1/track/${row.trackingToken}`)).status).toBe(200);
    expect((await api(`/v1/orders/${row.id}/deliver`, { token: driver.token, body: { pin: '5093' } })).status).toBe(200);
    // Nothing left in clear: a second run has nothing to do for these rows.
    const [{ n } = { n: -1 }] = (await db().execute(sql`select count(*)::int as n from orders where id = ${row.id} and (delivery_pin is not null or tracking_token is not null)`)) as unknown as { n: number }[];
    expect(n).toBe(0);
  }, 60_000);
});
