/**
 * Batching end to end in workerd (ADR 0105): with the city's batching on, a
 * driver carrying one order is offered a second from the same shop heading
 * the same way on one stacked offer, accepts it, and delivers both; each
 * order keeps its own timeline (seq 1..n, no gap), its own PIN and its own
 * status for its customer; Postgres records the stacked offer with its reason.
 */
import { and, asc, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cities, dispatchOffers, orders, orderStatusEvents } from '../../db/schema/index';
import type { OfferMessage } from '../../domain/protocol/city-shard';
import type { Client } from './city-shard-helpers';
import { liveDriver } from './helpers/live-driver';
import { api, createShop, db, json, orderBody, payOrder, placeOrder, type Customer, type TestMerchant } from './helpers/commerce';

let cityId: string;
let merchant: TestMerchant;
let customer: Customer;
let dish: string;
const sockets: Client[] = [];

beforeAll(async () => {
  ({ cityId, merchant, customer, product: dish } = await createShop(900));
  await db().update(cities).set({ batchingEnabled: true }).where(eq(cities.id, cityId));
});

afterAll(() => {
  for (const s of sockets) s.close();
});

const step = (id: string, name: string, token: string, body?: unknown) => api(`/v1/orders/${id}/${name}`, { method: 'POST', token, ...(body !== undefined ? { body } : {}) });

async function acceptedOrder(): Promise<string> {
  const created = await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: dish, quantity: 1 }]));
  await payOrder(created);
  const id = created.order.id as string;
  expect((await step(id, 'accept', merchant.ownerToken)).status).toBe(200);
  return id;
}

/** The order's row once Postgres has its driver (the assignment commits before the driver is told, ADR 0075). */
async function assignedTo(orderId: string) {
  const row = async () => (await db().select().from(orders).where(eq(orders.id, orderId)))[0];
  await expect.poll(async () => (await row())?.driverId ?? null, { timeout: 8_000 }).not.toBeNull();
  return (await row())!;
}

describe('a batched pair', () => {
  it('is offered on one stacked offer, accepted, and delivered by one driver with separate timelines', async () => {
    const driver = await liveDriver(cityId, { lat: merchant.location.lat + 0.001, lng: merchant.location.lng });
    sockets.push(driver.socket);

    const first = await acceptedOrder();
    const offer1 = (await driver.socket.next('offer', 5_000)) as unknown as OfferMessage;
    expect(offer1).toMatchObject({ orderId: first });
    expect(offer1.batch).toBeUndefined();
    driver.socket.send({ type: 'offer.accept', offerId: offer1.offerId });
    await driver.socket.next('assignment', 5_000);
    await assignedTo(first);

    // Same shop, same way: the carrier gets the second order stacked on the first.
    const second = await acceptedOrder();
    const offer2 = (await driver.socket.next('offer', 5_000)) as unknown as OfferMessage;
    expect(offer2).toMatchObject({ orderId: second, batch: { withOrderId: first, with: { orderId: first, pickedUp: false } } });
    expect(offer2.batch!.totalPayoutCents).toBe(offer1.payoutCents + offer2.payoutCents);
    expect(offer2.batch!.stops.map((s) => s.kind).sort()).toEqual(['dropoff', 'dropoff', 'pickup', 'pickup']);
    driver.socket.send({ type: 'offer.accept', offerId: offer2.offerId });
    expect(await driver.socket.next('assignment', 5_000)).toMatchObject({ orderId: second });
    const row2 = await assignedTo(second);
    expect(row2).toMatchObject({ driverId: driver.driverId, dispatchState: 'assigned', driverPayoutCents: offer2.payoutCents });

    const stackedOffers = () => db().select().from(dispatchOffers).where(and(eq(dispatchOffers.orderId, second), like(dispatchOffers.reason, 'stacked on order %')));
    await expect.poll(async () => (await stackedOffers()).some((r) => r.status === 'accepted'), { timeout: 8_000 }).toBe(true);
    const stacked = await stackedOffers();
    expect(stacked[0]!.reason).toContain(first);

    // Both pickups, then both dropoffs, each with its own PIN.
    const pins: Record<string, string> = {};
    for (const id of [first, second]) {
      const seen = await json<{ deliveryPin: string; status: string }>(await api(`/v1/orders/${id}`, { token: customer.token }));
      pins[id] = seen.deliveryPin;
      expect((await step(id, 'ready', merchant.ownerToken)).status).toBe(200);
    }
    for (const id of [first, second]) expect((await step(id, 'pickup', driver.token)).status).toBe(200);
    if (pins[first] !== pins[second]) {
      // One order's PIN does not open the other.
      expect((await step(second, 'deliver', driver.token, { pin: pins[first] })).status).toBe(422);
    }
    for (const id of [first, second]) {
      const res = await step(id, 'deliver', driver.token, { pin: pins[id] });
      expect(res.status).toBe(200);
      expect(await json(res)).toMatchObject({ status: 'delivered', dispatch: 'dropped_off' });
    }

    for (const id of [first, second]) {
      const events = await db().select().from(orderStatusEvents).where(eq(orderStatusEvents.orderId, id)).orderBy(asc(orderStatusEvents.seq));
      // Its own gap-free timeline: one assignment to this driver, ending delivered.
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => events[0]!.seq + i));
      expect(events.filter((e) => e.type === 'order.assigned')).toHaveLength(1);
      expect(events[events.length - 1]).toMatchObject({ type: 'order.delivered' });
    }
  });
});
