/**
 * A driver who goes silent with an order (ADR 0079), through the API, the
 * real city shard, OrderCommands, the queues and Postgres: the driver's
 * socket closes for good after the accept; on the shard's clock the driver
 * is pinged (push), the order is released through the one writer of order
 * history and assigned to the next driver; the log shows both assignments
 * and the release between them, gap-free; the first driver is told (push,
 * and on the socket when back); a late acceptance of theirs changes nothing.
 */
import { env } from 'cloudflare:workers';
import { runDurableObjectAlarm } from 'cloudflare:test';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orders, orderStatusEvents } from '../../db/schema/index';
import { DEFAULT_POLICY } from '../../durable-objects/city-shard/matching';
import { applyDispatchFact } from '../../workers/services/orders/dispatch-facts';
import { loadCityGeometry, shardAt } from '../../workers/services/city-shard-client';
import { Client, shiftClock, type Stub } from './city-shard-helpers';
import { api, createOps, createShop, db, json, orderBody, payOrder, placeOrder, type Customer, type TestMerchant } from './helpers/commerce';
import { liveDriver } from './helpers/live-driver';
import { fakeGet, uniqueToken, type FakePush } from './helpers/notification-world';

const PING = DEFAULT_POLICY.silencePingMs;
const RELEASE = DEFAULT_POLICY.silenceReleaseMs;

let cityId: string;
let merchant: TestMerchant;
let customer: Customer;
let dish: string;
let opsToken: string;
const sockets: Client[] = [];

beforeAll(async () => {
  ({ cityId, merchant, customer, product: dish } = await createShop(1200));
  opsToken = await createOps();
});

/** What operators see of the city's silent drivers (GET /v1/cities/{id}/live). */
async function alerts() {
  const res = await api(`/v1/cities/${cityId}/live`, { token: opsToken });
  expect(res.status).toBe(200);
  return (await json<{ driverAlerts: { orderId: string; driverId: string; kind: string }[] }>(res)).driverAlerts;
}

afterAll(() => {
  for (const s of sockets) s.close();
});

const pushesTo = async (token: string) => (await fakeGet<{ items: FakePush[] }>(env.FCM_API_BASE, `/_fake/messages?token=${token}`)).items;
const logOf = (orderId: string) => db().select().from(orderStatusEvents).where(eq(orderStatusEvents.orderId, orderId)).orderBy(asc(orderStatusEvents.seq));
const rowOf = async (orderId: string) => (await db().select().from(orders).where(eq(orders.id, orderId)))[0]!;

async function driverAt(dLat: number) {
  const d = await liveDriver(cityId, { lat: merchant.location.lat + dLat, lng: merchant.location.lng });
  sockets.push(d.socket);
  return d;
}

/** A fix now, so the driver is fresh on the shard's moved clock. */
async function fresh(stub: Stub, driver: { driverId: string; socket: Client }) {
  const before = (await stub.driverState(driver.driverId))!.lastSeenAt;
  driver.socket.send({ type: 'location', lat: merchant.location.lat + 0.004, lng: merchant.location.lng, at: new Date().toISOString() });
  await expect.poll(async () => (await stub.driverState(driver.driverId))!.lastSeenAt > before).toBe(true);
}

describe('a driver silent with an order', () => {
  it('is pinged, then the order goes to another driver through the order timeline; the first driver is told', async () => {
    const gone = await driverAt(0.0005);
    const next = await driverAt(0.004);
    const pushToken = uniqueToken('fcm');
    expect((await api('/v1/me/devices', { token: gone.token, body: { pushToken, platform: 'android' } })).status).toBe(201);

    const created = await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: dish, quantity: 1 }]));
    await payOrder(created);
    const orderId = created.order.id as string;
    expect((await api(`/v1/orders/${orderId}/accept`, { method: 'POST', token: merchant.ownerToken })).status).toBe(200);
    const offer = await gone.socket.nextWhere('offer', (m) => m.orderId === orderId, 8_000);
    gone.socket.send({ type: 'offer.accept', offerId: offer.offerId });
    await gone.socket.next('assignment', 5_000);
    expect(await rowOf(orderId)).toMatchObject({ driverId: gone.driverId, dispatchState: 'assigned' });

    // The fault: the socket closes for good.
    const city = (await loadCityGeometry(db(), cityId))!;
    const stub = shardAt(env, city, merchant.location) as unknown as Stub;
    gone.socket.close();
    await expect.poll(async () => (await stub.driverState(gone.driverId))!.connected).toBe(false);

    await shiftClock(stub, PING + 1_000);
    await fresh(stub, next);
    await runDurableObjectAlarm(stub);
    await expect.poll(async () => (await pushesTo(pushToken)).map((p) => p.title), { timeout: 10_000 }).toContain('Are you still there?');
    expect(await rowOf(orderId)).toMatchObject({ driverId: gone.driverId, dispatchState: 'assigned' });
    expect(await alerts()).toEqual([expect.objectContaining({ orderId, driverId: gone.driverId, kind: 'silent' })]);

    await shiftClock(stub, RELEASE + 2_000);
    await fresh(stub, next);
    await runDurableObjectAlarm(stub);
    const again = await next.socket.nextWhere('offer', (m) => m.orderId === orderId, 8_000);
    next.socket.send({ type: 'offer.accept', offerId: again.offerId });
    await next.socket.next('assignment', 5_000);
    expect(await rowOf(orderId)).toMatchObject({ driverId: next.driverId, dispatchState: 'assigned' });

    // The log: assigned to one, released (system, driver_unresponsive), assigned to the other; 1..n without gaps.
    const log = await logOf(orderId);
    expect(log.map((e) => e.seq)).toEqual(log.map((_, i) => i + 1));
    for (const e of log) expect((e.snapshot as { seq: number }).seq).toBe(e.seq);
    const story = log.filter((e) => e.type === 'order.assigned' || e.reason === 'driver_unresponsive');
    expect(story.map((e) => [e.type, e.actorType, e.actorId, e.dispatchState, e.reason])).toEqual([
      ['order.assigned', 'driver', gone.driverId, 'assigned', null],
      ['order.dispatch_changed', 'system', null, 'unassigned', 'driver_unresponsive'],
      ['order.assigned', 'driver', next.driverId, 'assigned', null],
    ]);
    expect((story[1]!.snapshot as { driverId: string | null }).driverId).toBeNull();
    // Never two drivers at once: every event between the release and the second assignment has none.
    const [released, second] = [log.indexOf(story[1]!), log.indexOf(story[2]!)];
    for (const e of log.slice(released, second)) expect((e.snapshot as { driverId: string | null }).driverId).toBeNull();

    // Operators: the decision log says why; the first driver's phone heard it.
    const dispatch = await json<{ notes: { kind: string; detail: { driverId?: string } }[]; offers: { driverId: string; status: string }[] }>(
      await api(`/v1/orders/${orderId}/dispatch`, { token: merchant.ownerToken }),
    );
    expect(dispatch.notes.filter((n) => n.kind === 'driver_unresponsive').map((n) => n.detail.driverId)).toEqual([gone.driverId]);
    expect(dispatch.offers.map((o) => [o.driverId, o.status])).toEqual([[gone.driverId, 'cancelled'], [next.driverId, 'accepted']]);
    expect(await alerts()).toEqual([expect.objectContaining({ orderId, driverId: gone.driverId, kind: 'released' })]);
    await expect.poll(async () => (await pushesTo(pushToken)).map((p) => p.title), { timeout: 10_000 }).toContain('Order given to another driver');
    expect((await pushesTo(pushToken)).filter((p) => p.title === 'Are you still there?')).toHaveLength(1);

    // A late copy of the first driver's acceptance (the queue's backstop) gives nothing back and cancels nothing.
    let commits = 0;
    let cancels = 0;
    const effects = { afterCommit: async () => void commits++, cancelDispatch: async () => void cancels++ };
    await applyDispatchFact(db(), { id: `late-${orderId}`, shardKey: 'test', orderId, at: new Date().toISOString(), type: 'dispatch.accepted', offerId: offer.offerId as string, driverId: gone.driverId, payoutCents: 500 }, effects);
    expect([commits, cancels]).toEqual([0, 0]);
    expect(await rowOf(orderId)).toMatchObject({ driverId: next.driverId });
    expect((await logOf(orderId)).length).toBe(log.length);

    // Back on the live channel: no order, and why.
    const res = await api(`/v1/drivers/me/live?access_token=${gone.token}`, { headers: { Upgrade: 'websocket' } });
    expect(res.status).toBe(101);
    const back = new Client(res.webSocket!);
    sockets.push(back);
    expect(await back.next('session')).toMatchObject({ orderId: null });
    expect(await back.next('assignment.released')).toMatchObject({ orderId, reason: 'driver_unresponsive' });
  });
});
