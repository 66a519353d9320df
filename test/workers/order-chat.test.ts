/**
 * Order chat (issue 15 item 5, ADR 0113) in workerd against Postgres and the
 * real city shard: who may read and write which thread, the `chat` frame on
 * the driver's channel and on the order's channel (without the text), the
 * length limit, the chat closed before a driver and after the end, and the
 * messages erased with the customer's account.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderMessages, orders } from '../../db/schema/index';
import { call, register, type Account } from './auth-helpers';
import { Client } from './city-shard-helpers';
import { liveDriver } from './helpers/live-driver';
import { api, createCustomer, createOps, createShop, db, json, orderBody, payOrder, placeOrder, type TestMerchant } from './helpers/commerce';

let cityId: string;
let merchant: TestMerchant;
let dish: string;
const sockets: Client[] = [];

beforeAll(async () => {
  ({ cityId, merchant, product: dish } = await createShop(900));
});

afterAll(() => {
  for (const s of sockets) s.close();
});

const say = (orderId: string, token: string, body: unknown) => api(`/v1/orders/${orderId}/messages`, { method: 'POST', token, body });
const read = async (orderId: string, token: string) => json<{ items: { thread: string; senderRole: string; mine: boolean; body: string }[] }>(await api(`/v1/orders/${orderId}/messages`, { token }));

describe('order chat', () => {
  it('carries customer↔driver and merchant↔driver messages to their parties only, live, and erases them with the customer', async () => {
    const customer: Account = await register('customer', cityId);
    const created = await placeOrder(customer.accessToken, orderBody(merchant.merchantId, [{ productId: dish, quantity: 1 }]));
    await payOrder(created);
    const orderId = created.order.id as string;

    // No driver yet: closed.
    const early = await say(orderId, customer.accessToken, { body: 'hello?' });
    expect(early.status).toBe(409);
    expect(await json(early)).toMatchObject({ type: expect.stringContaining('chat-closed'), reason: 'no_driver' });

    const driver = await liveDriver(cityId, { lat: merchant.location.lat + 0.001, lng: merchant.location.lng });
    sockets.push(driver.socket);
    expect((await api(`/v1/orders/${orderId}/accept`, { method: 'POST', token: merchant.ownerToken })).status).toBe(200);
    const offer = await driver.socket.next('offer', 5_000);
    driver.socket.send({ type: 'offer.accept', offerId: offer.offerId });
    await driver.socket.next('assignment', 5_000);
    await expect.poll(async () => (await db().select().from(orders).where(eq(orders.id, orderId)))[0]?.driverId, { timeout: 5_000 }).toBe(driver.driverId);

    const upgrade = await api(`/v1/orders/${orderId}/live?access_token=${customer.accessToken}`, { headers: { Upgrade: 'websocket' } });
    expect(upgrade.status).toBe(101);
    const watcher = new Client(upgrade.webSocket!);
    sockets.push(watcher);

    // Customer → driver: stored, and announced on both live channels without its text.
    const chatKey = `chat-${crypto.randomUUID()}`;
    const sent = await api(`/v1/orders/${orderId}/messages`, { method: 'POST', token: customer.accessToken, body: { body: 'Ring twice please' }, headers: { 'Idempotency-Key': chatKey } });
    expect(sent.status).toBe(201);
    const sentText = await sent.text();
    expect(JSON.parse(sentText)).toMatchObject({ thread: 'customer_driver', senderRole: 'customer', mine: true, body: 'Ring twice please' });
    // A retry with the key (a phone that lost the answer) is the same message: replayed byte for byte, stored once.
    const retried = await api(`/v1/orders/${orderId}/messages`, { method: 'POST', token: customer.accessToken, body: { body: 'Ring twice please' }, headers: { 'Idempotency-Key': chatKey } });
    expect(retried.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await retried.text()).toBe(sentText);
    expect((await api(`/v1/orders/${orderId}/messages`, { method: 'POST', token: customer.accessToken, body: { body: 'Something else' }, headers: { 'Idempotency-Key': chatKey } })).status).toBe(409);
    const toDriver = await driver.socket.next('chat', 5_000);
    expect(toDriver).toMatchObject({ orderId, thread: 'customer_driver', senderRole: 'customer' });
    expect(toDriver).not.toHaveProperty('body');
    expect(await watcher.next('chat', 5_000)).toMatchObject({ orderId, thread: 'customer_driver' });

    // Merchant → driver, in the merchant's thread.
    expect(await json(await say(orderId, merchant.ownerToken, { body: 'Bag is at the back door' }))).toMatchObject({ thread: 'merchant_driver', senderRole: 'merchant' });
    expect((await say(orderId, merchant.ownerToken, { thread: 'customer_driver', body: 'sneaky' })).status).toBe(403);

    // The driver reads both threads and names the one it writes to.
    const driverView = await read(orderId, driver.token);
    expect(driverView.items.map((m) => [m.thread, m.body, m.mine])).toEqual([
      ['customer_driver', 'Ring twice please', false],
      ['merchant_driver', 'Bag is at the back door', false],
    ]);
    expect((await say(orderId, driver.token, { body: 'which thread?' })).status).toBe(422);
    expect((await say(orderId, driver.token, { thread: 'customer_driver', body: 'On my way, 5 min' })).status).toBe(201);
    expect(await watcher.nextWhere('chat', (m) => m.senderRole === 'driver', 5_000)).toMatchObject({ thread: 'customer_driver' });

    // Each party reads its own thread only; strangers see nothing (404), operators are no party (403).
    expect((await read(orderId, customer.accessToken)).items.map((m) => m.body)).toEqual(['Ring twice please', 'On my way, 5 min']);
    expect((await read(orderId, merchant.ownerToken)).items.map((m) => m.body)).toEqual(['Bag is at the back door']);
    const stranger = await createCustomer('Someone Else');
    expect((await api(`/v1/orders/${orderId}/messages`, { token: stranger.token })).status).toBe(404);
    expect((await say(orderId, stranger.token, { body: 'hi' })).status).toBe(404);
    expect((await api(`/v1/orders/${orderId}/messages`, { token: await createOps() })).status).toBe(403);
    expect((await say(orderId, customer.accessToken, { body: 'x'.repeat(501) })).status).toBe(422);

    // The order ends: no new message; the customer's erasure takes the threads with it.
    expect((await api(`/v1/orders/${orderId}/cancel`, { method: 'POST', token: merchant.ownerToken, body: { reason: 'out of stock' } })).status).toBe(200);
    expect(await json(await say(orderId, customer.accessToken, { body: 'why?' }))).toMatchObject({ reason: 'order_ended' });
    expect(await db().select().from(orderMessages).where(eq(orderMessages.orderId, orderId))).toHaveLength(3);
    // The customer's data export (GDPR Art. 15) holds their thread with the driver, both sides, and not the shop's.
    const exported = await json<{ orders: { id: string; messages: { thread: string; from: string; mine: boolean; body: string }[] }[] }>(await api('/v1/me/export', { token: customer.accessToken }));
    expect(exported.orders.find((o) => o.id === orderId)!.messages.map((m) => [m.from, m.mine, m.body])).toEqual([
      ['customer', true, 'Ring twice please'],
      ['driver', false, 'On my way, 5 min'],
    ]);
    // The driver's export holds what the driver wrote.
    const driverExport = await json<{ orders: { id: string; messages: { body: string }[] }[] }>(await api('/v1/me/export', { token: driver.token }));
    expect(driverExport.orders.find((o) => o.id === orderId)!.messages.map((m) => m.body)).toEqual(['On my way, 5 min']);
    expect((await call('/v1/me', { method: 'DELETE', token: customer.accessToken })).status).toBe(204);
    expect(await db().select().from(orderMessages).where(eq(orderMessages.orderId, orderId))).toHaveLength(0);
  });
});
