/**
 * Merchants and catalogs: the public directory by city and kind, a merchant's
 * profile and who may change it (owner; operators suspend), products with
 * integer prices, and who may manage them.
 */
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditLog, merchants, products } from '../../db/schema/index';
import { api, createCity, createCustomer, createDriver, createMerchant, createOps, createProduct, db, FAR, json, newKey, orderBody, type TestMerchant } from './helpers/commerce';

type Merchant = { id: string; name: string; kind: string; open: boolean; suspended: boolean; acceptingOrders: boolean };
type Product = { id: string; name: string; priceCents: number; currency: string; available: boolean; requiresPrescription: boolean };
type Page<T> = { items: T[]; nextCursor: string | null };

let cityId: string;
let restaurant: TestMerchant;

beforeAll(async () => {
  cityId = await createCity();
  restaurant = await createMerchant(cityId, { kind: 'restaurant' });
});

describe('the merchant directory', () => {
  it('lists open, unsuspended merchants of a city by kind, alphabetically with a cursor', async () => {
    const city = await createCity();
    const shops = [await createMerchant(city, { kind: 'store' }), await createMerchant(city, { kind: 'store' }), await createMerchant(city, { kind: 'store' })];
    const pharmacy = await createMerchant(city, { kind: 'pharmacy' });
    await createMerchant(city, { kind: 'store', open: false });
    await createMerchant(city, { kind: 'store', suspended: true });

    const stores = await json<Page<Merchant>>(await api(`/v1/merchants?cityId=${city}&kind=store`));
    expect(stores.items.map((m) => m.id).sort()).toEqual(shops.map((s) => s.merchantId).sort());
    expect(stores.items.every((m) => m.acceptingOrders && m.kind === 'store')).toBe(true);
    const names = stores.items.map((m) => m.name);
    expect(names).toEqual([...names].sort());

    const first = await json<Page<Merchant>>(await api(`/v1/merchants?cityId=${city}&kind=store&limit=2`));
    expect(first.items).toHaveLength(2);
    const rest = await json<Page<Merchant>>(await api(`/v1/merchants?cityId=${city}&kind=store&limit=2&cursor=${first.nextCursor}`));
    expect([...first.items, ...rest.items].map((m) => m.id)).toEqual(stores.items.map((m) => m.id));
    expect(rest.nextCursor).toBeNull();

    const all = await json<Page<Merchant>>(await api(`/v1/merchants?cityId=${city}`));
    expect(all.items.map((m) => m.id)).toContain(pharmacy.merchantId);
    expect((await api('/v1/merchants?kind=spaceship')).status).toBe(422);
    expect((await api('/v1/merchants?cursor=zzz')).status).toBe(422);
  });

  it('shows a public profile to anyone, 404 for an unknown id', async () => {
    const res = await api(`/v1/merchants/${restaurant.merchantId}`);
    expect(await json(res)).toMatchObject({ id: restaurant.merchantId, kind: 'restaurant', cityId, location: restaurant.location, acceptingOrders: true });
    expect((await api('/v1/merchants/mer_00000000000000000000')).status).toBe(404);
  });
});

describe('changing a merchant', () => {
  it('the owner changes name, open, address and location', async () => {
    const m = await createMerchant(cityId);
    const res = await api(`/v1/merchants/${m.merchantId}`, { method: 'PATCH', token: m.ownerToken, body: { name: 'Chez Nous', open: false, address: '2 Rue Neuve', location: { lat: 48.857, lng: 2.352 } } });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ name: 'Chez Nous', open: false, acceptingOrders: false, address: '2 Rue Neuve', location: { lat: 48.857, lng: 2.352 } });
    expect((await api(`/v1/merchants/${m.merchantId}`, { method: 'PATCH', token: m.ownerToken, body: { location: FAR } })).status).toBe(422);
    expect((await api(`/v1/merchants/${m.merchantId}`, { method: 'PATCH', token: m.ownerToken, body: {} })).status).toBe(422);
    expect((await api(`/v1/merchants/${m.merchantId}`, { method: 'PATCH', token: m.ownerToken, body: { open: 'yes' } })).status).toBe(422);
  });

  it('staff, API keys and customers: 403; another merchant: 404; the owner cannot suspend', async () => {
    const m = await createMerchant(cityId);
    const patch = (token: string, body: unknown = { name: 'X' }) => api(`/v1/merchants/${m.merchantId}`, { method: 'PATCH', token, body });
    expect((await patch(await m.memberToken('staff'))).status).toBe(403);
    expect((await patch(await m.memberToken('manager'))).status).toBe(403);
    expect((await patch((await m.apiKey()).key)).status).toBe(403);
    expect((await patch((await createCustomer()).token)).status).toBe(403);
    expect((await patch((await createDriver(cityId)).token)).status).toBe(403);
    expect((await patch((await createMerchant(cityId)).ownerToken)).status).toBe(404);
    expect((await patch(m.ownerToken, { suspended: true })).status).toBe(403);
    const [row] = await db().select().from(merchants).where(eq(merchants.id, m.merchantId));
    expect(row!.name).not.toBe('X');
    expect(row!.suspended).toBe(false);
  });

  it('operators suspend (audited): the merchant leaves the directory and refuses orders; they change nothing else', async () => {
    const m = await createMerchant(cityId);
    const dish = await createProduct(m.merchantId, 800);
    const ops = await createOps();
    expect((await api(`/v1/merchants/${m.merchantId}`, { method: 'PATCH', token: ops, body: { name: 'Ops was here' } })).status).toBe(403);
    const res = await api(`/v1/merchants/${m.merchantId}`, { method: 'PATCH', token: ops, body: { suspended: true } });
    expect(await json(res)).toMatchObject({ suspended: true, open: true, acceptingOrders: false });
    const listed = await json<Page<Merchant>>(await api(`/v1/merchants?cityId=${cityId}&limit=100`));
    expect(listed.items.map((x) => x.id)).not.toContain(m.merchantId);
    const customer = await createCustomer();
    const order = await api('/v1/orders', { token: customer.token, idempotencyKey: newKey(), body: orderBody(m.merchantId, [{ productId: dish, quantity: 1 }]) });
    expect(order.status).toBe(422);
    const audit = await db().select().from(auditLog).where(eq(auditLog.targetId, m.merchantId));
    expect(audit.map((a) => a.action)).toEqual(['merchant.suspend']);
    expect((await api(`/v1/merchants/${m.merchantId}`, { method: 'PATCH', token: ops, body: { suspended: false } })).status).toBe(200);
    expect((await api('/v1/merchants/mer_00000000000000000000', { method: 'PATCH', token: ops, body: { suspended: true } })).status).toBe(404);
  });
});

describe('products', () => {
  it('anyone lists a catalog, alphabetically, optionally only what is available', async () => {
    const m = await createMerchant(cityId);
    await createProduct(m.merchantId, 300, { name: 'Beta' });
    await createProduct(m.merchantId, 200, { name: 'Alpha' });
    await createProduct(m.merchantId, 100, { name: 'Gamma', available: false });
    const all = await json<Page<Product>>(await api(`/v1/merchants/${m.merchantId}/products`));
    expect(all.items.map((p) => p.name)).toEqual(['Alpha', 'Beta', 'Gamma']);
    const available = await json<Page<Product>>(await api(`/v1/merchants/${m.merchantId}/products?available=true`));
    expect(available.items.map((p) => p.name)).toEqual(['Alpha', 'Beta']);
    const paged = await json<Page<Product>>(await api(`/v1/merchants/${m.merchantId}/products?limit=2`));
    const next = await json<Page<Product>>(await api(`/v1/merchants/${m.merchantId}/products?limit=2&cursor=${paged.nextCursor}`));
    expect(next.items.map((p) => p.name)).toEqual(['Gamma']);
    expect((await api('/v1/merchants/mer_00000000000000000000/products')).status).toBe(404);
  });

  it('the owner, a manager and the API key add products in the city currency; integer prices only', async () => {
    const created = await api(`/v1/merchants/${restaurant.merchantId}/products`, { token: restaurant.ownerToken, body: { name: 'Soupe', priceCents: 850 } });
    expect(created.status).toBe(201);
    const product = await json<Product>(created);
    expect(product).toMatchObject({ name: 'Soupe', priceCents: 850, currency: 'EUR', available: true, requiresPrescription: false });
    expect(created.headers.get('location')).toBe(`/v1/merchants/${restaurant.merchantId}/products/${product.id}`);
    expect((await api(`/v1/merchants/${restaurant.merchantId}/products`, { token: await restaurant.memberToken('manager'), body: { name: 'Salade', priceCents: 990 } })).status).toBe(201);
    expect((await api(`/v1/merchants/${restaurant.merchantId}/products`, { token: (await restaurant.apiKey()).key, body: { name: 'Tarte', priceCents: 450 } })).status).toBe(201);

    const before = (await db().select().from(products).where(eq(products.merchantId, restaurant.merchantId))).length;
    for (const body of [{ name: 'Float', priceCents: 9.5 }, { name: 'Negative', priceCents: -1 }, { name: 'Huge', priceCents: 10_000_000 }, { name: '', priceCents: 100 }, { priceCents: 100 }, { name: 'Rx', priceCents: 100, requiresPrescription: true }]) {
      const res = await api(`/v1/merchants/${restaurant.merchantId}/products`, { token: restaurant.ownerToken, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
    expect((await db().select().from(products).where(eq(products.merchantId, restaurant.merchantId))).length).toBe(before);
  });

  it('only pharmacies sell prescription products', async () => {
    const pharmacy = await createMerchant(cityId, { kind: 'pharmacy' });
    const res = await api(`/v1/merchants/${pharmacy.merchantId}/products`, { token: pharmacy.ownerToken, body: { name: 'Amoxicilline', priceCents: 520, requiresPrescription: true } });
    expect(await json(res)).toMatchObject({ requiresPrescription: true });
  });

  it('staff, other merchants and other roles may not manage the catalog', async () => {
    const body = { name: 'Nope', priceCents: 100 };
    const path = `/v1/merchants/${restaurant.merchantId}/products`;
    expect((await api(path, { token: await restaurant.memberToken('staff'), body })).status).toBe(403);
    expect((await api(path, { token: (await createMerchant(cityId)).ownerToken, body })).status).toBe(404);
    expect((await api(path, { token: (await createCustomer()).token, body })).status).toBe(403);
    expect((await api(path, { token: await createOps(), body })).status).toBe(403);
    expect((await api(path, { body })).status).toBe(401);
  });

  it('partial updates, scoped to the merchant', async () => {
    const id = await createProduct(restaurant.merchantId, 1000, { name: 'Plat' });
    const res = await api(`/v1/merchants/${restaurant.merchantId}/products/${id}`, { method: 'PATCH', token: restaurant.ownerToken, body: { available: false, priceCents: 1100 } });
    expect(await json(res)).toMatchObject({ id, name: 'Plat', available: false, priceCents: 1100 });
    const other = await createMerchant(cityId);
    const foreign = await createProduct(other.merchantId, 100);
    expect((await api(`/v1/merchants/${restaurant.merchantId}/products/${foreign}`, { method: 'PATCH', token: restaurant.ownerToken, body: { available: false } })).status).toBe(404);
    expect((await api(`/v1/merchants/${restaurant.merchantId}/products/${id}`, { method: 'PATCH', token: restaurant.ownerToken, body: { priceCents: 1.25 } })).status).toBe(422);
  });

  it('Idempotency-Key on product creation replays the first answer', async () => {
    const key = newKey();
    const body = { name: `Idem ${key.slice(-6)}`, priceCents: 321 };
    const first = await api(`/v1/merchants/${restaurant.merchantId}/products`, { token: restaurant.ownerToken, body, idempotencyKey: key });
    const second = await api(`/v1/merchants/${restaurant.merchantId}/products`, { token: restaurant.ownerToken, body, idempotencyKey: key });
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await second.text()).toBe(await first.text());
    expect((await db().select().from(products).where(eq(products.name, body.name))).length).toBe(1);
    expect((await api(`/v1/merchants/${restaurant.merchantId}/products`, { token: restaurant.ownerToken, body: { ...body, priceCents: 322 }, idempotencyKey: key })).status).toBe(409);
  });
});
