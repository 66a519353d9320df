/**
 * The order side of the city shard, through the API: an order's live channel
 * and its dispatch decision log. The orders domain does not call dispatch yet
 * (workers/services/dispatch-client.ts); the test calls the client the way it
 * will, with the order's own pickup and dropoff.
 */
import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { orders as ordersTable } from '../../db/schema/index';
import { beforeAll, describe, expect, it } from 'vitest';
import { dispatchOrder, loadCityGeometry } from '../../workers/services/city-shard-client';
import { api, createCity, createCustomer, createDriver, createMerchant, createOps, createProduct, db, json, orderBody, payOrder, placeOrder, type Customer, type TestMerchant } from './helpers/commerce';
import { Client } from './city-shard-helpers';

let cityId: string;
let merchant: TestMerchant;
let otherMerchant: TestMerchant;
let customer: Customer;
let otherCustomer: Customer;
let opsToken: string;
let dish: string;

beforeAll(async () => {
  cityId = await createCity();
  [merchant, otherMerchant, customer, otherCustomer, opsToken] = await Promise.all([createMerchant(cityId), createMerchant(cityId), createCustomer(), createCustomer(), createOps()]);
  dish = await createProduct(merchant.merchantId, 1200);
});

/** Paid and accepted by its merchant (written straight to the row, so no dispatch starts before the test's own call). */
async function paidOrder(m = merchant, product = dish) {
  const created = await placeOrder(customer.token, orderBody(m.merchantId, [{ productId: product, quantity: 1 }]));
  await payOrder(created);
  await db().update(ordersTable).set({ status: 'preparing' }).where(eq(ordersTable.id, created.order.id));
  return created.order.id;
}

async function connect(path: string, token: string): Promise<Client> {
  const res = await api(`${path}?access_token=${token}`, { headers: { Upgrade: 'websocket' } });
  if (res.status !== 101) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return new Client(res.webSocket!);
}

async function dispatch(orderId: string, inCity = cityId) {
  const city = (await loadCityGeometry(db(), inCity))!;
  const [order] = await db().select().from(ordersTable).where(eq(ordersTable.id, orderId));
  return dispatchOrder(env, city, { id: orderId, pickup: { lat: order!.pickupLat, lng: order!.pickupLng }, dropoff: { lat: order!.dropoffLat, lng: order!.dropoffLng } });
}

describe('GET (WebSocket) /v1/orders/{id}/live', () => {
  it('shows the customer the assigned driver moving and the ETA falling', async () => {
    const orderId = await paidOrder();
    const driver = await createDriver(cityId);
    const d = await connect('/v1/drivers/me/live', driver.token);
    await d.next('session');
    d.send({ type: 'availability', available: true });
    d.send({ type: 'location', lat: 48.8600, lng: 2.3700, at: new Date().toISOString() });
    await d.next('session');

    const watcher = await connect(`/v1/orders/${orderId}/live`, customer.token);
    expect((await dispatch(orderId)).dispatch).toBe('offered');
    // Watchers hear committed events only: the offer reaches Postgres through the queue, then the channel.
    expect(await watcher.nextWhere('status', (m) => m.dispatch === 'offered', 8_000)).toMatchObject({ orderId, seq: expect.any(Number) });
    const offer = await d.next('offer');
    expect(offer).toMatchObject({ orderId, payoutCents: expect.any(Number) });
    d.send({ type: 'offer.accept', offerId: offer.offerId });
    await d.next('assignment');
    const assigned = await watcher.nextWhere('status', (m) => m.dispatch === 'assigned');
    const [row] = await db().select({ seq: ordersTable.seq, dispatch: ordersTable.dispatchState }).from(ordersTable).where(eq(ordersTable.id, orderId));
    expect(assigned).toMatchObject({ orderId, seq: row!.seq, dispatch: row!.dispatch });

    const etas: number[] = [];
    const t = Date.now();
    for (let i = 1; i <= 3; i++) {
      d.send({ type: 'location', lat: 48.8600 - i * 0.001, lng: 2.3700 - i * 0.003, at: new Date(t + i * 4_000).toISOString() });
      expect(await watcher.next('location')).toMatchObject({ orderId, lat: expect.closeTo(48.86 - i * 0.001, 6) });
      etas.push((await watcher.next('eta')).seconds as number);
    }
    expect(etas[2]).toBeLessThan(etas[0]!);

    // Its merchant watches too; another customer cannot.
    const m = await connect(`/v1/orders/${orderId}/live`, merchant.ownerToken);
    expect(await m.next('status')).toMatchObject({ dispatch: 'assigned' });
    expect((await api(`/v1/orders/${orderId}/live?access_token=${otherCustomer.token}`, { headers: { Upgrade: 'websocket' } })).status).toBe(404);
    expect((await api(`/v1/orders/${orderId}/live`, { token: customer.token })).status).toBe(426);
  });
});

describe('GET /v1/orders/{id}/dispatch', () => {
  it('explains the choice to the merchant and operators, and to nobody else', async () => {
    const orderId = await paidOrder();
    expect(await json(await api(`/v1/orders/${orderId}/dispatch`, { token: merchant.ownerToken }))).toMatchObject({ orderId, source: 'none', offers: [] });
    const near = await createDriver(cityId);
    const c = await connect('/v1/drivers/me/live', near.token);
    await c.next('session');
    c.send({ type: 'availability', available: true });
    c.send({ type: 'location', lat: 48.8560, lng: 2.3570, at: new Date().toISOString() });
    await c.next('session');
    await dispatch(orderId);
    const offer = await c.next('offer');
    c.send({ type: 'offer.decline', offerId: offer.offerId, reason: 'lunch break' });
    await expect.poll(async () => (await json<{ offers: { status: string }[] }>(await api(`/v1/orders/${orderId}/dispatch`, { token: opsToken }))).offers[0]?.status).toBe('declined');

    const res = await api(`/v1/orders/${orderId}/dispatch`, { token: merchant.ownerToken });
    expect(res.status).toBe(200);
    const log = await json<{ source: string; offers: { driverId: string; candidates: { driverId: string; distanceM: number; etaSeconds: number; score: number }[]; reason: string; outcome: string }[]; notes: { kind: string }[] }>(res);
    expect(log.source).toBe('shard');
    expect(log.offers[0]).toMatchObject({ driverId: near.driverId, outcome: 'declined: lunch break', reason: expect.stringMatching(/^lowest score/) });
    expect(log.offers[0]!.candidates[0]).toMatchObject({ driverId: near.driverId, distanceM: expect.any(Number), etaSeconds: expect.any(Number), score: expect.any(Number) });
    expect((await api(`/v1/orders/${orderId}/dispatch`, { token: customer.token })).status).toBe(403);
    expect((await api(`/v1/orders/${orderId}/dispatch`, { token: otherMerchant.ownerToken })).status).toBe(404);
    expect((await api(`/v1/orders/${orderId}/dispatch`, { token: near.token })).status).toBe(403);
    expect((await api('/v1/orders/ord_doesnotexist000000000/dispatch', { token: opsToken })).status).toBe(404);
  });
});

describe('GET /v1/drivers/me/assignments', () => {
  it('lists the orders assigned to the calling driver, and only those', async () => {
    // A city of its own: no order of the other tests competes for the driver.
    const ownCity = await createCity();
    const shop = await createMerchant(ownCity);
    const orderId = await paidOrder(shop, await createProduct(shop.merchantId, 900));
    const driver = await createDriver(ownCity);
    const other = await createDriver(ownCity);
    const c = await connect('/v1/drivers/me/live', driver.token);
    await c.next('session');
    c.send({ type: 'availability', available: true });
    c.send({ type: 'location', lat: 48.8556, lng: 2.3579, at: new Date().toISOString() });
    await c.next('session');
    expect(await json(await api('/v1/drivers/me/assignments', { token: driver.token }))).toEqual({ items: [], nextCursor: null });
    await dispatch(orderId, ownCity);
    c.send({ type: 'offer.accept', offerId: (await c.next('offer')).offerId });
    await c.next('assignment');
    // The shard told the driver only after Postgres committed the assignment (ADR 0075): readable at once.
    const read = await api(`/v1/orders/${orderId}`, { token: driver.token });
    expect(read.status).toBe(200);
    expect(await json(read)).toMatchObject({ id: orderId, dispatch: 'assigned', driver: { id: driver.driverId } });
    const mine = await json<{ items: { id: string; deliveryPin?: string }[] }>(await api('/v1/drivers/me/assignments', { token: driver.token }));
    expect(mine.items.map((o) => o.id)).toEqual([orderId]);
    expect(mine.items[0]!.deliveryPin).toBeUndefined();
    expect(await json(await api('/v1/drivers/me/assignments', { token: other.token }))).toEqual({ items: [], nextCursor: null });
    expect((await api('/v1/drivers/me/assignments', { token: customer.token })).status).toBe(403);
  });
});
