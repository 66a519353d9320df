/**
 * One order timeline (ADR 0075), through the API, the real city shard, the
 * queues and Postgres: the driver can read the order the moment the socket
 * says `assignment`, even while every merchant webhook takes 12 s to answer;
 * a merchant's `ready` around the assignment never records a stale dispatch
 * state or another actor; the log is gap-free and never goes backwards.
 */
import { inject } from 'vitest';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notificationLog, orderStatusEvents } from '../../db/schema/index';
import { DISPATCH_STATES, statusRank } from '../../domain/order';
import type { Client } from './city-shard-helpers';
import { liveDriver as connectLiveDriver } from './helpers/live-driver';
import { api, createShop, db, json, orderBody, payOrder, placeOrder, type Customer, type TestMerchant } from './helpers/commerce';
import { createDriver as createDriverWithPhone, createMerchant as createNotificationMerchant, createOrder as createNotificationOrder, deliver, fakeGet, fakePost } from './helpers/notification-world';

const RECEIVER = inject('webhookReceiverUrl');

let cityId: string;
let merchant: TestMerchant;
let customer: Customer;
let dish: string;
let slowHook: string;
const sockets: Client[] = [];

beforeAll(async () => {
  ({ cityId, merchant, customer, product: dish } = await createShop(1200));
  // Every delivery to this merchant's endpoint takes 12 s (a slow merchant server).
  const name = (slowHook = `slow-${crypto.randomUUID().slice(0, 8)}`);
  const res = await api(`/v1/merchants/${merchant.merchantId}/webhooks`, { method: 'POST', token: merchant.ownerToken, body: { url: `${RECEIVER}/hooks/${name}`, events: ['*'] } });
  expect(res.status).toBe(201);
  await fakePost(RECEIVER, '/_fake/faults', { match: `/hooks/${name}`, mode: 'slow', delayMs: 12_000 });
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await fakePost(RECEIVER, '/_fake/faults', {}, 'DELETE');
});

async function liveDriver() {
  const driver = await connectLiveDriver(cityId, { lat: 48.8566, lng: 2.3522 });
  sockets.push(driver.socket);
  return driver;
}

async function acceptedOrder(): Promise<string> {
  const created = await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: dish, quantity: 1 }]));
  await payOrder(created);
  expect((await api(`/v1/orders/${created.order.id}/accept`, { method: 'POST', token: merchant.ownerToken })).status).toBe(200);
  return created.order.id;
}

const logOf = (orderId: string) => db().select().from(orderStatusEvents).where(eq(orderStatusEvents.orderId, orderId)).orderBy(asc(orderStatusEvents.seq));

/** The log is 1..n without gaps, and neither status nor dispatch ever goes backwards. */
async function expectLogInOrder(orderId: string) {
  const log = await logOf(orderId);
  expect(log.map((e) => e.seq)).toEqual(log.map((_, i) => i + 1));
  for (let i = 1; i < log.length; i++) {
    const [a, b] = [log[i - 1]!, log[i]!];
    expect(statusRank(b.status), `${a.status} → ${b.status}`).toBeGreaterThanOrEqual(statusRank(a.status));
    const rank = (d: string | null) => DISPATCH_STATES.indexOf((d ?? 'unassigned') as (typeof DISPATCH_STATES)[number]);
    // `offered` may go back to `unassigned` (a declined offer); nothing goes back from `assigned` on.
    if (rank(a.dispatchState) >= rank('assigned')) expect(rank(b.dispatchState), `${a.dispatchState} → ${b.dispatchState}`).toBeGreaterThanOrEqual(rank(a.dispatchState));
    expect((b.snapshot as { seq: number }).seq).toBe(b.seq);
  }
  return log;
}

describe('one order timeline', () => {
  it('the assigned driver reads the order as soon as the socket says `assignment`, with a 12 s merchant webhook in the way', async () => {
    const driver = await liveDriver();
    const orderId = await acceptedOrder();
    // The EVENTS consumer is busy with the slow endpoint (this order's first events) before the driver answers.
    await expect.poll(async () => (await fakeGet<{ items: unknown[] }>(RECEIVER, `/_fake/requests?match=/hooks/${slowHook}`)).items.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const offer = await driver.socket.nextWhere('offer', (m) => m.orderId === orderId, 8_000);
    const sent = Date.now();
    driver.socket.send({ type: 'offer.accept', offerId: offer.offerId });
    await driver.socket.nextWhere('assignment', (m) => m.orderId === orderId, 5_000);
    const read = await api(`/v1/orders/${orderId}`, { token: driver.token });
    const visibleAfterMs = Date.now() - sent;
    expect(read.status).toBe(200);
    expect(await json(read)).toMatchObject({ id: orderId, status: 'preparing', dispatch: 'assigned', driver: { id: driver.driverId } });
    expect(visibleAfterMs).toBeLessThan(1_000);
    // The merchant reads the same, and the driver's list has it.
    expect(await json(await api(`/v1/orders/${orderId}`, { token: merchant.ownerToken }))).toMatchObject({ dispatch: 'assigned', driver: { id: driver.driverId } });
    expect((await json<{ items: { id: string }[] }>(await api('/v1/drivers/me/assignments', { token: driver.token }))).items.map((o) => o.id)).toContain(orderId);
    const log = await expectLogInOrder(orderId);
    expect(log.at(-1)).toMatchObject({ type: 'order.assigned', actorType: 'driver', actorId: driver.driverId, dispatchState: 'assigned' });
  });

  for (const delayMs of [0, 250, 500]) {
    it(`a merchant's ready ${delayMs} ms after the driver's accept keeps both facts, in order, each with its own actor`, async () => {
      const driver = await liveDriver();
      const orderId = await acceptedOrder();
      const offer = await driver.socket.nextWhere('offer', (m) => m.orderId === orderId, 8_000);
      driver.socket.send({ type: 'offer.accept', offerId: offer.offerId });
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      expect((await api(`/v1/orders/${orderId}/ready`, { method: 'POST', token: merchant.ownerToken })).status).toBe(200);
      await driver.socket.nextWhere('assignment', (m) => m.orderId === orderId, 5_000);

      const log = await expectLogInOrder(orderId);
      const ready = log.find((e) => e.type === 'order.ready')!;
      const assigned = log.find((e) => e.type === 'order.assigned')!;
      expect(ready).toMatchObject({ actorType: 'merchant', status: 'ready' });
      expect(assigned).toMatchObject({ actorType: 'driver', actorId: driver.driverId, dispatchState: 'assigned' });
      // Whichever committed first, the later one carries the earlier one's fact: never a stale dispatch state.
      if (ready.seq > assigned.seq) expect(ready.dispatchState).toBe('assigned');
      else expect(assigned.status).toBe('ready');
      expect(await json(await api(`/v1/orders/${orderId}`, { token: driver.token }))).toMatchObject({ status: 'ready', dispatch: 'assigned', seq: log.at(-1)!.seq });
      // The driver picks up at once: the pickup follows both.
      expect((await api(`/v1/orders/${orderId}/pickup`, { method: 'POST', token: driver.token })).status).toBe(200);
      expect((await expectLogInOrder(orderId)).at(-1)).toMatchObject({ type: 'order.in_delivery', actorType: 'driver', dispatchState: 'picked_up' });
    });
  }

  it('the dispatch queue applies shard facts in Postgres and hands what people hear about to the EVENTS queue', async () => {
    // A merchant without the slow endpoint. The EVENTS consumer may still be finishing the 12 s
    // deliveries of the tests above (notifications and webhooks share that queue): the slow fault is
    // lifted here, and the push is awaited for longer than one in-flight delivery.
    await fakePost(RECEIVER, '/_fake/faults', {}, 'DELETE');
    const shop = await createNotificationMerchant();
    const { orderId } = await createNotificationOrder(shop, null, { status: 'preparing' });
    const driver = await createDriverWithPhone(shop.cityId, { pushTokens: [`tok-${orderId}`], locale: 'en' });
    const at = new Date().toISOString();
    const offered = { id: `ofr_q_${orderId}`, shardKey: 'test', orderId, at, type: 'dispatch.offered', offerId: `ofr_q_${orderId}`, driverId: driver.driverId, round: 1, expiresAt: new Date(Date.now() + 20_000).toISOString(), payoutCents: 500, candidates: [], reason: 'test', distanceM: 100, etaSeconds: 30, score: 1 };
    const result = await deliver('delivery-dispatch', [{ body: { source: 'city-shard', event: offered } }, { body: { source: 'city-shard', event: offered } }]);
    expect(result.explicitAcks.length).toBe(2);
    expect(result.retryMessages).toEqual([]);
    const log = await expectLogInOrder(orderId);
    // Delivered twice, applied once: one `offered` event.
    expect(log.filter((e) => e.type === 'order.dispatch_changed' && e.dispatchState === 'offered')).toHaveLength(1);
    expect(await json(await api(`/v1/orders/${orderId}`, { token: shop.owner.token }))).toMatchObject({ dispatch: 'offered', seq: log.at(-1)!.seq });
    // The driver's offer push is the EVENTS queue's business: it reaches the notification log from there.
    await expect.poll(async () => (await db().select().from(notificationLog).where(eq(notificationLog.eventId, offered.id))).length, { timeout: 30_000 }).toBeGreaterThan(0);
  }, 45_000);

  it('GET /v1/orders/{id}/events lists the log with seq, type and the order as of each event', async () => {
    const orderId = await acceptedOrder();
    const { items } = await json<{ items: { seq: number; type: string; status: string; actor: string; order: { seq: number; status: string; number: string } }[] }>(await api(`/v1/orders/${orderId}/events`, { token: customer.token }));
    expect(items.map((e) => [e.seq, e.type, e.status, e.actor])).toEqual([
      [1, 'order.created', 'pending_payment', 'customer'],
      [2, 'order.placed', 'placed', 'stripe'],
      [3, 'order.preparing', 'preparing', 'merchant'],
      ...items.slice(3).map((e) => [e.seq, e.type, e.status, e.actor]),
    ]);
    for (const e of items) expect(e.order).toMatchObject({ seq: e.seq, status: e.status, number: expect.stringMatching(/^[34679ACDEFGHJKMNPQRTWXY]{7}$/) });
    expect(JSON.stringify(items)).not.toMatch(/deliveryPin|trackingToken|phone/);
  });
});
