/**
 * The main use case across the seam between Postgres and the city shard: a
 * paid order accepted by its merchant is offered to a live driver over the
 * driver's socket; the acceptance reaches Postgres through the EVENTS queue
 * (status event, outbox row, dispatch log) and the driver then takes the
 * order to `delivered` with the customer's PIN.
 */
import { env } from 'cloudflare:workers';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchOffers, orders, orderStatusEvents, outbox } from '../../db/schema/index';
import { applyDispatchFact } from '../../workers/services/orders/dispatch-facts';
import { shardBackstop } from '../../workers/services/orders/shard-backstop';
import type { Client } from './city-shard-helpers';
import { liveDriver as connectLiveDriver } from './helpers/live-driver';
import {
  api, createDriver, createShop, db, json, orderBody, payOrder, placeOrder, type Customer, type TestMerchant,
} from './helpers/commerce';

let cityId: string;
let merchant: TestMerchant;
let customer: Customer;
let dish: string;
const sockets: Client[] = [];

beforeAll(async () => {
  ({ cityId, merchant, customer, product: dish } = await createShop(1200));
});

afterAll(() => {
  for (const s of sockets) s.close();
});

async function liveDriver(near: { lat: number; lng: number }) {
  const driver = await connectLiveDriver(cityId, { lat: near.lat + 0.001, lng: near.lng });
  sockets.push(driver.socket);
  return driver;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function paidOrder() {
  const created = await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: dish, quantity: 1 }]));
  await payOrder(created);
  return created.order.id as string;
}

const step = (id: string, name: string, token: string, body?: unknown) =>
  api(`/v1/orders/${id}/${name}`, { method: 'POST', token, ...(body !== undefined ? { body } : {}) });

describe('dispatch from accept to delivered', () => {
  it('offers the accepted order to the live driver, persists the assignment, and delivers with the PIN', async () => {
    const driver = await liveDriver(merchant.location);
    const orderId = await paidOrder();

    expect((await step(orderId, 'accept', merchant.ownerToken)).status).toBe(200);
    const offer = await driver.socket.next('offer', 5_000);
    expect(offer).toMatchObject({ orderId, offerId: expect.any(String) });
    driver.socket.send({ type: 'offer.accept', offerId: offer.offerId });
    await driver.socket.next('assignment', 5_000);

    // The shard's acceptance reaches Postgres through the queue.
    const assigned = await until('the assignment in Postgres', async () => {
      const [row] = await db().select().from(orders).where(eq(orders.id, orderId));
      return row?.driverId ? row : undefined;
    });
    expect(assigned).toMatchObject({ driverId: driver.driverId, dispatchState: 'assigned', status: 'preparing' });
    const events = await db().select().from(orderStatusEvents).where(eq(orderStatusEvents.orderId, orderId));
    expect(events.filter((e) => e.dispatchState === 'assigned')).toHaveLength(1);
    expect((await db().select().from(outbox).where(eq(outbox.aggregateId, orderId))).map((r) => r.topic)).toContain('order.assigned');
    const offers = await until('the offer log', async () => {
      const rows = await db().select().from(dispatchOffers).where(eq(dispatchOffers.orderId, orderId));
      return rows.some((r) => r.status === 'accepted') ? rows : undefined;
    });
    expect(offers[0]).toMatchObject({ driverId: driver.driverId, status: 'accepted' });
    expect(offers[0]!.candidates.length).toBeGreaterThan(0);

    // The customer sees the driver; the driver runs the order to the end.
    const seen = await json<{ dispatch: string; deliveryPin: string }>(await api(`/v1/orders/${orderId}`, { token: customer.token }));
    expect(seen.dispatch).toBe('assigned');
    expect((await step(orderId, 'ready', merchant.ownerToken)).status).toBe(200);
    expect((await step(orderId, 'pickup', driver.token)).status).toBe(200);
    const wrong = await step(orderId, 'deliver', driver.token, { pin: seen.deliveryPin === '0000' ? '1111' : '0000' });
    expect(wrong.status).toBe(422);
    const delivered = await step(orderId, 'deliver', driver.token, { pin: seen.deliveryPin });
    expect(delivered.status).toBe(200);
    expect(await json(delivered)).toMatchObject({ status: 'delivered', dispatch: 'dropped_off' });
  });

  it('never assigns an order cancelled before the acceptance arrived, and tells the shard to drop it', async () => {
    const driver = await createDriver(cityId);
    const orderId = await paidOrder();
    expect((await step(orderId, 'cancel', customer.token)).status).toBe(200);
    const dropped: string[] = [];
    const fact = { id: `fact-${orderId}`, shardKey: 'test', orderId, at: new Date().toISOString(), type: 'dispatch.accepted' as const, offerId: `ofr-${orderId}`, driverId: driver.driverId, payoutCents: 500 };
    const effects = { afterCommit: async () => { throw new Error('must not commit an assignment'); }, cancelDispatch: async (o: { id: string }) => void dropped.push(o.id) };
    await applyDispatchFact(db(), fact, effects);
    await applyDispatchFact(db(), fact, effects); // delivered twice
    const [row] = await db().select().from(orders).where(eq(orders.id, orderId));
    expect(row).toMatchObject({ status: 'cancelled', driverId: null });
    expect(dropped).toEqual([orderId, orderId]);
  });

  it('applies an acceptance delivered twice only once', async () => {
    const driver = await createDriver(cityId);
    const orderId = await paidOrder();
    expect((await step(orderId, 'accept', merchant.ownerToken)).status).toBe(200);
    const fact = { id: `fact2-${orderId}`, shardKey: 'test', orderId, at: new Date().toISOString(), type: 'dispatch.accepted' as const, offerId: `ofr2-${orderId}`, driverId: driver.driverId, payoutCents: 500 };
    let commits = 0;
    const effects = { afterCommit: async () => void commits++, cancelDispatch: async () => { throw new Error('must not cancel'); } };
    await applyDispatchFact(db(), fact, effects);
    await applyDispatchFact(db(), fact, effects);
    expect(commits).toBe(1);
    const events = await db().select().from(orderStatusEvents).where(eq(orderStatusEvents.orderId, orderId));
    expect(events.filter((e) => e.dispatchState === 'assigned')).toHaveLength(1);
  });
});

describe('offer facts name their city by the deciding shard', () => {
  const shardKey = () => `${cityId}:0:0@48.8566,2.3522`;
  const offered = (orderId: string, driverId: string, key: string) => ({
    id: `fact-o-${orderId}`, shardKey: key, orderId, at: new Date().toISOString(), type: 'dispatch.offered' as const, offerId: `ofr-o-${orderId}`, driverId, round: 1,
    expiresAt: new Date(Date.now() + 30_000).toISOString(), payoutCents: 450, candidates: [], reason: 'nearest', distanceM: 300, etaSeconds: 60, score: 1,
  });

  it('records the offer in the city of the shard key, and an offer resolved later, without reading the order for it', async () => {
    const driver = await createDriver(cityId);
    // Paid, never accepted: the shard never hears of it (so it is offered to no driver of a later test).
    const orderId = await paidOrder();
    const fact = offered(orderId, driver.driverId, shardKey());
    await applyDispatchFact(db(), fact);
    await applyDispatchFact(db(), { id: `fact-r-${orderId}`, shardKey: shardKey(), orderId, at: new Date().toISOString(), type: 'dispatch.offer_resolved', offerId: fact.offerId, driverId: driver.driverId, status: 'declined', outcomeReason: 'declined by the driver' });
    const [offer] = await db().select().from(dispatchOffers).where(eq(dispatchOffers.id, fact.offerId));
    expect(offer).toMatchObject({ cityId, orderId, driverId: driver.driverId, status: 'declined', payoutCents: 450 });
  });

  it('an offer for an order this database does not know records nothing and does not fail the message', async () => {
    const driver = await createDriver(cityId);
    const ghost = `ord_ghost${crypto.randomUUID().slice(0, 8)}`;
    await applyDispatchFact(db(), offered(ghost, driver.driverId, shardKey()));
    await applyDispatchFact(db(), { id: `fact-r-${ghost}`, shardKey: shardKey(), orderId: ghost, at: new Date().toISOString(), type: 'dispatch.offer_resolved', offerId: `ofr-o-${ghost}`, driverId: driver.driverId, status: 'expired', outcomeReason: 'expired' });
    expect(await db().select().from(dispatchOffers).where(eq(dispatchOffers.orderId, ghost))).toHaveLength(0);
  });
});

describe('the queue backstop for lost calls into the shard (services/orders/shard-backstop.ts)', () => {
  const event = (type: string, orderId: string) => ({ id: `evt-${type}-${orderId}`, type, createdAt: new Date().toISOString(), data: { orderId } });
  /** The merchant's accept committed, but its call into the shard (waitUntil) was lost. */
  const acceptedWithoutShard = async () => {
    const orderId = await paidOrder();
    await db().update(orders).set({ status: 'preparing' }).where(eq(orders.id, orderId));
    return orderId;
  };

  it('offers an accepted order whose dispatch call was lost, once, and frees its driver when the order ends without the shard being told', async () => {
    const driver = await liveDriver(merchant.location);
    const first = await acceptedWithoutShard();

    expect(await shardBackstop(env, db(), event('order.preparing', first))).toBe('dispatch');
    const offer = await driver.socket.next('offer', 5_000);
    expect(offer).toMatchObject({ orderId: first });
    // Delivered twice: still one offer loop (the shard knows the order).
    expect(await shardBackstop(env, db(), event('order.preparing', first))).toBe('dispatch');
    driver.socket.send({ type: 'offer.accept', offerId: offer.offerId });
    await driver.socket.next('assignment', 5_000);
    await until('the assignment in Postgres', async () => {
      const [row] = await db().select().from(orders).where(eq(orders.id, first));
      return row?.driverId ? row : undefined;
    });

    // The order ends (cancelled) and the call that frees the driver is lost.
    await db().update(orders).set({ status: 'cancelled', seq: sql`${orders.seq} + 1` }).where(eq(orders.id, first));
    const second = await acceptedWithoutShard();
    expect(await shardBackstop(env, db(), event('order.preparing', second))).toBe('dispatch');
    // The terminal event's backstop frees him, and the waiting order reaches him. (The backstop of any
    // later event of `first`, e.g. its order.assigned still in the queue, relays the same state, so it
    // may already have freed him.)
    expect(await shardBackstop(env, db(), event('order.cancelled', first))).toBe('status');
    const next = await driver.socket.next('offer', 8_000);
    expect(next).toMatchObject({ orderId: second });
    expect(await json<{ offers: unknown[] }>(await api(`/v1/orders/${first}/dispatch`, { token: merchant.ownerToken }))).toMatchObject({ offers: [expect.anything()] });
  });

  it('decides from the read it is given when the consumer shares one (the notifications’ read of the same message)', async () => {
    const orderId = await acceptedWithoutShard();
    const [row] = await db().select().from(orders).where(eq(orders.id, orderId));
    let reads = 0;
    // The shared read says the order was cancelled meanwhile: no dispatch, only its status relayed, and Postgres was not asked again.
    const shared = async (id: string) => (reads++, id === orderId ? { ...row!, status: 'cancelled' as const } : undefined);
    expect(await shardBackstop(env, db(), event('order.preparing', orderId), shared)).toBe('status');
    expect(reads).toBe(1);
    expect(await shardBackstop(env, db(), event('order.preparing', 'ord_unknown'), shared)).toBe('none');
  });

  it('does not revive an order from a late event: what Postgres says now decides', async () => {
    const orderId = await paidOrder();
    expect((await step(orderId, 'cancel', customer.token)).status).toBe(200);
    // A late `preparing` of a cancelled order relays what Postgres says now (cancelled), and starts no dispatch.
    expect(await shardBackstop(env, db(), event('order.preparing', orderId))).toBe('status');
    const placed = await paidOrder();
    expect(await shardBackstop(env, db(), event('order.delivered', placed))).toBe('status');
    expect(await shardBackstop(env, db(), event('order.created', placed))).toBe('none');
    for (const id of [orderId, placed]) {
      expect(await json<{ source: string; offers: unknown[] }>(await api(`/v1/orders/${id}/dispatch`, { token: merchant.ownerToken }))).toMatchObject({ source: 'none', offers: [] });
    }
  });
});
