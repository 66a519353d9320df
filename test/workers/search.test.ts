/**
 * Finding something to order (issue 15): shop and dish search with accents
 * folded (Postgres full-text, migration 0009, ADR 0101), the delivery fee
 * before checkout (the quote equals what the order then charges), and the
 * operators' list of drivers by name.
 */
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { merchants, products } from '../../db/schema/index';
import { api, createCity, createCustomer, createDriver, createMerchant, createOps, createProduct, db, json, orderBody, placeOrder, type TestMerchant } from './helpers/commerce';

interface Results {
  merchants: { id: string; name: string }[];
  products: { id: string; name: string; available: boolean; merchant: { id: string; name: string } }[];
}

let cityId: string;
let patisserie: TestMerchant;
let brulee: string;
let tag: string;

const find = async (q: string, extra = '') => {
  const res = await api(`/v1/search?q=${encodeURIComponent(q)}&cityId=${cityId}${extra}`);
  expect(res.status).toBe(200);
  return json<Results>(res);
};

beforeAll(async () => {
  cityId = await createCity();
  // A word of its own, so other test files' shops never match.
  tag = `Zq${crypto.randomUUID().replace(/\W/g, '').slice(0, 8)}`;
  patisserie = await createMerchant(cityId);
  await db().update(merchants).set({ name: `Pâtisserie Élise ${tag}` }).where(eq(merchants.id, patisserie.merchantId));
  brulee = await createProduct(patisserie.merchantId, 650, { name: `Crème brûlée ${tag}` });
  await db().update(products).set({ description: 'Vanille de Madagascar, caramel croquant' }).where(eq(products.id, brulee));
  await createProduct(patisserie.merchantId, 450, { name: `Éclair au café ${tag}` });
});

describe('search', () => {
  it('finds "Crème brûlée" from "creme brulee": accents and case folded, in the name', async () => {
    const found = await find(`creme brulee ${tag}`);
    expect(found.products.map((p) => p.id)).toEqual([brulee]);
    expect(found.products[0]).toMatchObject({ name: `Crème brûlée ${tag}`, priceCents: 650, currency: 'EUR', available: true, merchant: { id: patisserie.merchantId, name: `Pâtisserie Élise ${tag}` } });
    expect((await find(`CRÈME ${tag}`)).products.map((p) => p.id)).toEqual([brulee]);
  });

  it('matches word beginnings as the customer types, and the description', async () => {
    expect((await find(`bru ${tag}`)).products.map((p) => p.id)).toEqual([brulee]);
    expect((await find(`madagascar ${tag}`)).products.map((p) => p.id)).toEqual([brulee]);
    expect((await find(`eclair cafe ${tag}`)).products.map((p) => p.name)).toEqual([`Éclair au café ${tag}`]);
    // Every word must match: nothing has both.
    expect((await find(`brulee eclair ${tag}`)).products).toEqual([]);
  });

  it('finds shops by name, folded too', async () => {
    const found = await find(`patisserie elise ${tag}`);
    expect(found.merchants.map((m) => m.id)).toEqual([patisserie.merchantId]);
    expect(found.merchants[0]).toMatchObject({ acceptingOrders: true, address: expect.any(String) });
  });

  it('leaves out shops not taking orders, and their dishes', async () => {
    const shut = await createMerchant(cityId, { open: false });
    await db().update(merchants).set({ name: `Closed Crémerie ${tag}` }).where(eq(merchants.id, shut.merchantId));
    await createProduct(shut.merchantId, 300, { name: `Crème fraîche ${tag}` });
    const found = await find(`creme ${tag}`);
    expect(found.merchants).toEqual([]);
    expect(found.products.map((p) => p.id)).toEqual([brulee]);
  });

  it('takes the query as words only: tsquery syntax is text, and a query of no words finds nothing', async () => {
    expect((await find(`creme & | ! ( ) :* ' brulee ${tag}`)).products.map((p) => p.id)).toEqual([brulee]);
    expect(await find('!!! &&')).toEqual({ merchants: [], products: [] });
    expect((await api('/v1/search')).status).toBe(422);
  });
});

describe('delivery fee before checkout', () => {
  it('quotes the fee the order then charges', async () => {
    const customer = await createCustomer();
    const body = orderBody(patisserie.merchantId, [{ productId: brulee, quantity: 1 }]);
    const { lat, lng } = body.dropoff.location;
    const res = await api(`/v1/merchants/${patisserie.merchantId}/delivery-quote?lat=${lat}&lng=${lng}`);
    expect(res.status).toBe(200);
    const quote = await json<{ deliveryFeeCents: number; distanceM: number; currency: string; deliverable: boolean; acceptingOrders: boolean }>(res);
    expect(quote).toMatchObject({ currency: 'EUR', deliverable: true, acceptingOrders: true });
    const created = await placeOrder(customer.token, body);
    expect(quote.deliveryFeeCents).toBe(created.order.totals.deliveryFeeCents);
    expect(quote.distanceM).toBe(created.order.distanceM);

    const far = await json<{ deliverable: boolean }>(await api(`/v1/merchants/${patisserie.merchantId}/delivery-quote?lat=0&lng=0`));
    expect(far.deliverable).toBe(false);
    expect((await api('/v1/merchants/mer_nosuchmerchant000000/delivery-quote?lat=48.85&lng=2.35')).status).toBe(404);
  });
});

describe('drivers by name for operators', () => {
  it('lists a city’s drivers with their name and vehicle', async () => {
    const driver = await createDriver(cityId);
    const ops = await createOps();
    const res = await api(`/v1/ops/drivers?cityId=${cityId}`, { token: ops });
    expect(res.status).toBe(200);
    const { items } = await json<{ items: { id: string; name: string | null; vehicle: string; active: boolean }[] }>(res);
    expect(items).toContainEqual({ id: driver.driverId, name: 'Dana Driver', vehicle: 'bike', active: true });
    expect((await api(`/v1/ops/drivers?cityId=${cityId}`, { token: driver.token })).status).toBe(403);
  });
});
