import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { orders } from '../../db/schema/index';
import { api, createCity, createCustomer, createDriver, createMerchant, createProduct, db, json, orderBody, payOrder, placeOrder, type Customer, type TestMerchant } from './helpers/commerce';
import { Client } from './city-shard-helpers';

let merchant: TestMerchant;
let customer: Customer;
let dish: string;
let cityId: string;

beforeAll(async () => {
  cityId = await createCity();
  merchant = await createMerchant(cityId);
  customer = await createCustomer();
  dish = await createProduct(merchant.merchantId, 800);
});

async function order() {
  const created = await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: dish, quantity: 1 }]));
  await payOrder(created);
  return created.order as unknown as { id: string; trackingUrl: string };
}

const tokenOf = (url: string) => url.split('/track/')[1]!;

describe('tracking', () => {
  it('shows the assigned driver’s first name, live position and ETA, to the link holder without sign-in', async () => {
    const driver = await createDriver(cityId);
    const res = await api(`/v1/drivers/me/live?access_token=${driver.token}`, { headers: { Upgrade: 'websocket' } });
    const socket = new Client(res.webSocket!);
    await socket.next('session');
    socket.send({ type: 'location', lat: merchant.location.lat + 0.002, lng: merchant.location.lng, heading: 90, at: new Date().toISOString() });
    socket.send({ type: 'availability', available: true });
    await socket.next('session');
    const o = await order();
    await api(`/v1/orders/${o.id}/accept`, { method: 'POST', token: merchant.ownerToken });
    const offer = await socket.next('offer', 5_000);
    socket.send({ type: 'offer.accept', offerId: offer.offerId });
    await socket.next('assignment', 5_000);
    for (let i = 0; i < 80; i++) {
      const [row] = await db().select({ driverId: orders.driverId }).from(orders).where(eq(orders.id, o.id));
      if (row?.driverId) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const pub = await api(`/v1/track/${tokenOf(o.trackingUrl)}`);
    expect(pub.status).toBe(200);
    const body = await json<Record<string, unknown> & { driver: { name: string; location: { lat: number } }; eta: number }>(pub);
    expect(body).toMatchObject({ status: 'preparing', dispatch: 'assigned', trackingUrl: o.trackingUrl });
    // The same order number as in the customer's messages and the API, and the order's latest seq.
    const [row] = await db().select({ number: orders.number, seq: orders.seq }).from(orders).where(eq(orders.id, o.id));
    expect(body).toMatchObject({ number: row!.number, seq: row!.seq });
    expect(body.driver.name).toBe('Dana'); // first name only
    expect(body.driver.location.lat).toBeCloseTo(merchant.location.lat + 0.002, 5);
    expect(body.eta).toBeGreaterThan(0);
    // Nothing personal about the customer.
    expect(JSON.stringify(body)).not.toMatch(/deliveryPin|address|phone|email/);

    const own = await api(`/v1/orders/${o.id}/tracking`, { token: customer.token });
    expect(await json(own)).toMatchObject({ status: 'preparing', driver: { name: 'Dana' } });
    expect((await api(`/v1/orders/${o.id}/tracking`, { token: (await createCustomer()).token })).status).toBe(404);
    socket.close();
  });

  it('expires an hour after the order ends, and refuses unknown links', async () => {
    const o = await order();
    await db().update(orders).set({ status: 'delivered', trackingExpiresAt: new Date(Date.now() - 1000) }).where(eq(orders.id, o.id));
    const res = await api(`/v1/track/${tokenOf(o.trackingUrl)}`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect((await api('/v1/track/abcdefghijklmnopqrstuvwxyz012345')).status).toBe(404);
  });
});
