/**
 * Delivery proof photos (docs/decisions/0070): the assigned driver uploads
 * the photo while the order is in delivery, the type is told by the bytes,
 * the size is capped at 5 MiB (past the API's 64 KiB body limit, on this
 * route only); /deliver takes only a URL issued for that order; the photo is
 * served to the order's parties and operators; the retention sweep and the
 * customer's erasure delete the object and its row.
 */
import { env } from 'cloudflare:workers';
import { checkedFetch } from '../support/openapi-contract';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { deliveryProofs, orders, proofPhotos } from '../../db/schema/index';
import { newId } from '../../db/ids';
import { MAX_PROOF_PHOTO_BYTES } from '../../workers/services/proof-photos/image';
import { sweepExpiredProofPhotos } from '../../workers/services/proof-photos/store';
import { createCity, createCustomer, createDriver, createMerchant, createOps, db, type Customer, type TestMerchant } from './helpers/commerce';
import { orderRow } from './helpers/order-row';

const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xd9]);
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01]);
const WEBP = Uint8Array.from([0x52, 0x49, 0x46, 0x46, 0x1a, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x4c, 0x0d, 0x00, 0x00, 0x00]);
const GIF = new TextEncoder().encode('GIF89a\x01\x00\x01\x00\x00\x00\x00;');

interface World {
  cityId: string;
  merchant: TestMerchant;
  otherMerchant: TestMerchant;
  customer: Customer;
  otherCustomer: Customer;
  driver: { driverId: string; token: string };
  otherDriver: { driverId: string; token: string };
  opsToken: string;
}
let w: World;

beforeAll(async () => {
  const cityId = await createCity();
  const [merchant, otherMerchant, customer, otherCustomer, driver, otherDriver, opsToken] = await Promise.all([
    createMerchant(cityId),
    createMerchant(cityId),
    createCustomer(),
    createCustomer(),
    createDriver(cityId),
    createDriver(cityId),
    createOps(),
  ]);
  w = { cityId, merchant, otherMerchant, customer, otherCustomer, driver, otherDriver, opsToken };
});

/** An order of the world's merchant, customer and driver, written straight into Postgres in `status`. */
async function orderIn(status: 'ready' | 'in_delivery' | 'delivered' = 'in_delivery', customer: Customer = w.customer): Promise<string> {
  const row = orderRow({
    cityId: w.cityId,
    merchantId: w.merchant.merchantId,
    customerId: customer.userId,
    driverId: w.driver.driverId,
    status,
    dispatchState: status === 'ready' ? 'assigned' : 'picked_up',
    deliveryPin: '4321',
  });
  await db().insert(orders).values(row);
  return row.id;
}

function upload(orderId: string, body: BodyInit, options: { token?: string; contentType?: string | null; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  if (options.token !== undefined) headers.set('Authorization', `Bearer ${options.token}`);
  if (options.contentType !== null) headers.set('Content-Type', options.contentType ?? 'image/jpeg');
  return checkedFetch(new Request(`http://platform.test/v1/orders/${orderId}/proof-photos`, { method: 'POST', headers, body, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit));
}

const get = (path: string, token?: string) =>
  checkedFetch(new Request(`http://platform.test${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} }));

const deliver = (orderId: string, body: unknown, token = w.driver.token) =>
  checkedFetch(
    new Request(`http://platform.test/v1/orders/${orderId}/deliver`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
  );

interface Photo {
  id: string;
  orderId: string;
  url: string;
  contentType: string;
  bytes: number;
}

async function uploaded(orderId: string, bytes: Uint8Array = JPEG, contentType = 'image/jpeg'): Promise<Photo> {
  const res = await upload(orderId, bytes, { token: w.driver.token, contentType });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Photo;
}

const pathOf = (url: string) => new URL(url).pathname;
const rowsOf = (orderId: string) => db().select().from(proofPhotos).where(eq(proofPhotos.orderId, orderId));

describe('POST /v1/orders/{id}/proof-photos', () => {
  it('stores the driver’s photo in R2 and answers a URL on our own origin', async () => {
    const orderId = await orderIn();
    const res = await upload(orderId, JPEG, { token: w.driver.token });
    expect(res.status).toBe(201);
    const photo = (await res.json()) as Photo;
    expect(photo).toMatchObject({ orderId, contentType: 'image/jpeg', bytes: JPEG.byteLength });
    expect(photo.id).toMatch(/^pph_[0-9a-z]{20}$/);
    expect(photo.url).toBe(`${env.PUBLIC_BASE_URL}/v1/orders/${orderId}/proof-photos/${photo.id}`);
    expect(res.headers.get('Location')).toBe(`/v1/orders/${orderId}/proof-photos/${photo.id}`);

    const [row] = await rowsOf(orderId);
    expect(row).toMatchObject({ id: photo.id, driverId: w.driver.driverId, contentType: 'image/jpeg', bytes: JPEG.byteLength });
    const object = await env.PROOF_PHOTOS.get(row!.objectKey);
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(JPEG);
    expect(object!.httpMetadata?.contentType).toBe('image/jpeg');
  });

  it('tells PNG and WebP by their bytes, also when sent as application/octet-stream', async () => {
    const orderId = await orderIn();
    expect((await uploaded(orderId, PNG, 'image/png')).contentType).toBe('image/png');
    expect((await uploaded(orderId, WEBP, 'image/webp')).contentType).toBe('image/webp');
    expect((await uploaded(orderId, PNG, 'application/octet-stream')).contentType).toBe('image/png');
  });

  it('refuses what is not a JPEG, PNG or WebP with 415, whatever the Content-Type claims, and stores nothing', async () => {
    const orderId = await orderIn();
    const cases: [Uint8Array, string | null][] = [
      [GIF, 'image/gif'],
      [GIF, 'image/jpeg'],
      [new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/png'],
      [PNG, 'image/jpeg'],
      [JPEG, 'text/plain'],
      [JPEG, null],
      [new Uint8Array(0), 'image/jpeg'],
    ];
    for (const [bytes, contentType] of cases) {
      const res = await upload(orderId, bytes, { token: w.driver.token, contentType });
      expect(res.status, `${contentType}: ${await res.clone().text()}`).toBe(415);
      expect(res.headers.get('Content-Type')).toBe('application/problem+json');
      expect(await res.json()).toMatchObject({ status: 415, type: expect.stringMatching(/unsupported-image$/) });
    }
    expect(await rowsOf(orderId)).toEqual([]);
    expect((await env.PROOF_PHOTOS.list({ prefix: `orders/${orderId}/` })).objects).toEqual([]);
  });

  it('takes up to 5 MiB on this route (past the 64 KiB limit of every other one) and refuses more with 413', async () => {
    const orderId = await orderIn();
    const exactly = new Uint8Array(MAX_PROOF_PHOTO_BYTES);
    exactly.set(JPEG);
    expect((await uploaded(orderId, exactly)).bytes).toBe(MAX_PROOF_PHOTO_BYTES);

    const tooBig = new Uint8Array(MAX_PROOF_PHOTO_BYTES + 1);
    tooBig.set(JPEG);
    const res = await upload(orderId, tooBig, { token: w.driver.token });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ status: 413, type: expect.stringMatching(/body-too-large$/) });

    // Without a Content-Length (streamed), the bytes are counted as they come.
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 6; i++) controller.enqueue(i === 0 ? tooBig.subarray(0, 1024 * 1024) : new Uint8Array(1024 * 1024));
        controller.close();
      },
    });
    expect((await upload(orderId, streamed, { token: w.driver.token })).status).toBe(413);
    expect(await rowsOf(orderId)).toHaveLength(1);

    // The exemption is this route's alone: a 100 KiB body elsewhere is still 413.
    const big = await deliver(orderId, { pin: '4321', note: 'x'.repeat(100 * 1024) });
    expect(big.status).toBe(413);
  });

  it('is the assigned driver’s alone: the other parties 403, strangers 404, nobody signed in 401', async () => {
    const orderId = await orderIn();
    const staff = await w.merchant.memberToken('staff');
    const apiKey = (await w.merchant.apiKey()).key;
    const expected: [string, string | undefined, number][] = [
      ['anonymous', undefined, 401],
      ['customer', w.customer.token, 403],
      ['merchant owner', w.merchant.ownerToken, 403],
      ['merchant staff', staff, 403],
      ['merchant API key', apiKey, 403],
      ['another customer', w.otherCustomer.token, 404],
      ['another merchant', w.otherMerchant.ownerToken, 404],
      ['another driver', w.otherDriver.token, 404],
      ['operator', w.opsToken, 403],
    ];
    const actual = await Promise.all(expected.map(async ([who, token]) => [who, (await upload(orderId, JPEG, token ? { token } : {})).status] as const));
    expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected.map(([who, , status]) => [who, status])));
    expect(await rowsOf(orderId)).toEqual([]);
  });

  it('is refused with 409 unless the order is in delivery', async () => {
    for (const status of ['ready', 'delivered'] as const) {
      const orderId = await orderIn(status);
      const res = await upload(orderId, JPEG, { token: w.driver.token });
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({ currentStatus: status, type: expect.stringMatching(/order-not-in-delivery$/) });
    }
  });

  it('an Idempotency-Key retry answers the photo first stored, byte for byte, and stores no other; another image with the key is a 409', async () => {
    const orderId = await orderIn();
    const key = `photo-${crypto.randomUUID()}`;
    const first = await upload(orderId, JPEG, { token: w.driver.token, headers: { 'Idempotency-Key': key } });
    expect(first.status).toBe(201);
    const firstText = await first.text();
    const again = await upload(orderId, JPEG, { token: w.driver.token, headers: { 'Idempotency-Key': key } });
    expect(again.status).toBe(201);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(again.headers.get('Location')).toBe(first.headers.get('Location'));
    expect(await again.text()).toBe(firstText);
    const other = await upload(orderId, PNG, { token: w.driver.token, contentType: 'image/png', headers: { 'Idempotency-Key': key } });
    expect(other.status).toBe(409);
    const rows = await rowsOf(orderId);
    expect(rows.map((r) => r.id)).toEqual([(JSON.parse(firstText) as Photo).id]);
    // Only the one object is in R2 for the order.
    const listed = await env.PROOF_PHOTOS.list({ prefix: rows[0]!.objectKey.slice(0, rows[0]!.objectKey.lastIndexOf('/') + 1) });
    expect(listed.objects.map((o) => o.key)).toEqual([rows[0]!.objectKey]);
  });

  it('holds at most 10 photos per order', async () => {
    const orderId = await orderIn();
    for (let i = 0; i < 10; i++) await uploaded(orderId);
    const res = await upload(orderId, JPEG, { token: w.driver.token });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ type: expect.stringMatching(/too-many-photos$/) });
  });
});

describe('POST /v1/orders/{id}/deliver with a photo', () => {
  it('delivers with a URL issued for the order and records it as the proof', async () => {
    const orderId = await orderIn();
    const photo = await uploaded(orderId);
    const res = await deliver(orderId, { photoUrl: photo.url });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'delivered' });
    const [proof] = await db().select().from(deliveryProofs).where(eq(deliveryProofs.orderId, orderId));
    expect(proof).toMatchObject({ method: 'photo', photoUrl: photo.url, driverId: w.driver.driverId });
    // The merchant's order details show it, and the photo opens with the merchant's credentials.
    const seen = (await (await get(`/v1/orders/${orderId}`, w.merchant.ownerToken)).json()) as { deliveryProof?: { method: string; photoUrl: string | null } };
    expect(seen.deliveryProof).toMatchObject({ method: 'photo', photoUrl: photo.url });
    expect((await get(new URL(photo.url).pathname, w.merchant.ownerToken)).status).toBe(200);
  });

  it('is in the customer’s data export (GDPR Art. 15/20) with how the handover was proven; another customer’s export has none of it', async () => {
    const customer = await createCustomer();
    const orderId = await orderIn('in_delivery', customer);
    const photo = await uploaded(orderId);
    expect((await deliver(orderId, { photoUrl: photo.url })).status).toBe(200);
    const res = await get('/v1/me/export', customer.token);
    expect(res.status).toBe(200);
    const data = (await res.json()) as { orders: { id: string; deliveryProof: unknown; proofPhotos: { url: string; contentType: string; bytes: number }[] }[] };
    const order = data.orders.find((o) => o.id === orderId)!;
    expect(order.deliveryProof).toMatchObject({ method: 'photo', idCheck: null });
    expect(order.proofPhotos).toEqual([expect.objectContaining({ url: photo.url, contentType: 'image/jpeg', bytes: JPEG.byteLength })]);
    const other = (await (await get('/v1/me/export', w.otherCustomer.token)).json()) as { orders: { id: string }[] };
    expect(other.orders.map((o) => o.id)).not.toContain(orderId);
  });

  it('refuses with 422 any URL that is not a photo issued for this order, and the order stays in delivery', async () => {
    const orderId = await orderIn();
    const other = await orderIn();
    const ours = await uploaded(orderId);
    const anotherOrders = await uploaded(other);
    const base = env.PUBLIC_BASE_URL;
    const foreign = [
      'https://photos.example.com/door.jpg',
      anotherOrders.url,
      anotherOrders.url.replace(`/orders/${other}/`, `/orders/${orderId}/`),
      `${base}/v1/orders/${orderId}/proof-photos/${newId('pph')}`,
      `${ours.url}?v=2`,
      ours.url.replace(new URL(base).host, 'evil.example'),
      `${base}/v1/orders/${orderId}/proof-photos/${ours.id}/../${ours.id}x`,
    ];
    for (const photoUrl of foreign) {
      const res = await deliver(orderId, { photoUrl });
      expect(res.status, photoUrl).toBe(422);
      expect(((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(['json.photoUrl']);
    }
    const [row] = await db().select({ status: orders.status }).from(orders).where(eq(orders.id, orderId));
    expect(row!.status).toBe('in_delivery');
    expect(await db().select().from(deliveryProofs).where(eq(deliveryProofs.orderId, orderId))).toEqual([]);
  });
});

describe('GET /v1/orders/{id}/proof-photos/{photoId}', () => {
  it('serves the image to the order’s customer, merchant, driver and operators, and 404 to anyone else', async () => {
    const orderId = await orderIn();
    const photo = await uploaded(orderId, PNG, 'image/png');
    const path = pathOf(photo.url);
    const staff = await w.merchant.memberToken('staff');
    const apiKey = (await w.merchant.apiKey()).key;
    const expected: [string, string | undefined, number][] = [
      ['customer', w.customer.token, 200],
      ['merchant owner', w.merchant.ownerToken, 200],
      ['merchant staff', staff, 200],
      ['merchant API key', apiKey, 200],
      ['driver', w.driver.token, 200],
      ['operator', w.opsToken, 200],
      ['anonymous', undefined, 401],
      ['another customer', w.otherCustomer.token, 404],
      ['another merchant', w.otherMerchant.ownerToken, 404],
      ['another driver', w.otherDriver.token, 404],
    ];
    const actual: [string, number][] = [];
    for (const [who, token, status] of expected) {
      const res = await get(path, token);
      actual.push([who, res.status]);
      if (status !== 200) {
        await res.arrayBuffer();
        continue;
      }
      expect(new Uint8Array(await res.arrayBuffer()), who).toEqual(PNG);
      expect(res.headers.get('Content-Type')).toBe('image/png');
      expect(res.headers.get('Cache-Control')).toBe('private, no-store');
      expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    }
    expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected.map(([who, , status]) => [who, status])));
  });

  it('answers 404 for an unknown photo, and for a photo asked for under another order', async () => {
    const orderId = await orderIn();
    const other = await orderIn();
    const photo = await uploaded(other);
    expect((await get(`/v1/orders/${orderId}/proof-photos/${newId('pph')}`, w.customer.token)).status).toBe(404);
    expect((await get(`/v1/orders/${orderId}/proof-photos/${photo.id}`, w.customer.token)).status).toBe(404);
    expect((await get(`/v1/orders/${orderId}/proof-photos/${photo.id}`, w.opsToken)).status).toBe(404);
  });
});

describe('deletion of proof photos', () => {
  it('the retention sweep deletes photos uploaded more than 30 days ago, object and row, and keeps newer ones', async () => {
    const orderId = await orderIn();
    const old = await uploaded(orderId);
    const recent = await uploaded(orderId);
    const now = new Date();
    await db().update(proofPhotos).set({ createdAt: new Date(now.getTime() - 31 * 86_400_000) }).where(eq(proofPhotos.id, old.id));
    const [oldRow] = await db().select().from(proofPhotos).where(eq(proofPhotos.id, old.id));

    expect(await sweepExpiredProofPhotos(db(), env.PROOF_PHOTOS, now)).toBeGreaterThanOrEqual(1);

    expect(await env.PROOF_PHOTOS.head(oldRow!.objectKey)).toBeNull();
    expect((await rowsOf(orderId)).map((r) => r.id)).toEqual([recent.id]);
    expect((await get(pathOf(old.url), w.customer.token)).status).toBe(404);
    expect((await get(pathOf(recent.url), w.customer.token)).status).toBe(200);
  });

  it('the customer’s erasure deletes the photos of their orders, and nobody else’s', async () => {
    const leaving = await createCustomer('Leaving Customer');
    const mine = await orderIn('in_delivery', leaving);
    const theirs = await orderIn();
    const photo = await uploaded(mine);
    expect((await deliver(mine, { photoUrl: photo.url })).status).toBe(200);
    const kept = await uploaded(theirs);
    const [row] = await rowsOf(mine);

    const erase = await checkedFetch(new Request('http://platform.test/v1/me', { method: 'DELETE', headers: { Authorization: `Bearer ${leaving.token}` } }));
    expect(erase.status).toBe(204);

    expect(await env.PROOF_PHOTOS.head(row!.objectKey)).toBeNull();
    expect(await rowsOf(mine)).toEqual([]);
    expect(await db().select().from(deliveryProofs).where(eq(deliveryProofs.orderId, mine))).toEqual([]);
    expect((await get(pathOf(photo.url), w.opsToken)).status).toBe(404);
    expect((await get(pathOf(kept.url), w.customer.token)).status).toBe(200);
  });
});
