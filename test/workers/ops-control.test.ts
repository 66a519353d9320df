/**
 * Operators in control (issue 15 item 4, ADR 0112), in workerd against
 * Postgres and the real city shard: each action refused to non-staff (403)
 * and written to the audit log with the operator, the reason and the state
 * before and after; a reassignment seen on both drivers' sockets; the stuck
 * orders' alerts and the unassigned queue.
 */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, orders, orderStatusEvents, refunds } from '../../db/schema/index';
import type { Client } from './city-shard-helpers';
import { liveDriver as connectLiveDriver } from './helpers/live-driver';
import { api, createOps, createShop, db, json, orderBody, payOrder, placeOrder, type Customer, type TestMerchant } from './helpers/commerce';
import { decodeJwt } from 'jose';

let cityId: string;
let merchant: TestMerchant;
let customer: Customer;
let dish: string;
let opsToken: string;
let opsUserId: string;
const sockets: Client[] = [];

beforeAll(async () => {
  ({ cityId, merchant, customer, product: dish } = await createShop(1200));
  opsToken = await createOps();
  opsUserId = String(decodeJwt(opsToken).sub);
});

afterAll(() => {
  for (const s of sockets) s.close();
});

async function liveDriver(offsetLat = 0.001) {
  const driver = await connectLiveDriver(cityId, { lat: merchant.location.lat + offsetLat, lng: merchant.location.lng });
  sockets.push(driver.socket);
  return driver;
}

async function paidOrder(): Promise<string> {
  const created = await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: dish, quantity: 1 }]));
  await payOrder(created);
  return created.order.id as string;
}

const post = (path: string, token: string, body: unknown) => api(path, { method: 'POST', token, body });
const accept = (orderId: string) => post(`/v1/orders/${orderId}/accept`, merchant.ownerToken, undefined);

async function auditRows(action: string, targetId: string) {
  return db().select().from(auditLog).where(and(eq(auditLog.action, action), eq(auditLog.targetId, targetId)));
}

/** Drivers of earlier tests stop taking offers, so the next order goes to the driver a test expects. */
async function benchEarlierDrivers() {
  for (const s of sockets.splice(0)) {
    s.send({ type: 'availability', available: false });
    await s.nextWhere('session', (m) => m.available === false);
    s.close();
  }
}

/** An accepted order taken by a live driver through the shard's own offer and commit. */
async function assignedOrder() {
  await benchEarlierDrivers();
  const first = await liveDriver();
  const orderId = await paidOrder();
  expect((await accept(orderId)).status).toBe(200);
  const offer = await first.socket.next('offer', 5_000);
  first.socket.send({ type: 'offer.accept', offerId: offer.offerId });
  await first.socket.next('assignment', 5_000);
  await expect.poll(async () => (await db().select().from(orders).where(eq(orders.id, orderId)))[0]?.driverId, { timeout: 5_000 }).toBe(first.driverId);
  return { orderId, first };
}

describe('POST /v1/ops/orders/{id}/assign', () => {
  it('reassigns an assigned order: the old driver’s app drops it, the new one’s gets it, Postgres and the audit log say so', async () => {
    const { orderId, first } = await assignedOrder();
    const second = await liveDriver(0.002);
    const body = { driverId: second.driverId, reason: 'first driver has a flat tyre' };

    for (const token of [customer.token, merchant.ownerToken, first.token]) expect((await post(`/v1/ops/orders/${orderId}/assign`, token, body)).status).toBe(403);
    expect(await auditRows('order.reassign', orderId)).toHaveLength(0);

    const res = await post(`/v1/ops/orders/${orderId}/assign`, opsToken, body);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ orderId, driverId: second.driverId, previousDriverId: first.driverId, unchanged: false, driverTold: true });
    expect(await first.socket.next('assignment.reassigned', 5_000)).toMatchObject({ orderId });
    expect(await second.socket.next('assignment', 5_000)).toMatchObject({ orderId });

    const [row] = await db().select().from(orders).where(eq(orders.id, orderId));
    expect(row).toMatchObject({ driverId: second.driverId, dispatchState: 'assigned' });
    const events = await db().select().from(orderStatusEvents).where(and(eq(orderStatusEvents.orderId, orderId), eq(orderStatusEvents.actorType, 'ops')));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'order.assigned', actorId: opsUserId, reason: body.reason });
    const [audit] = await auditRows('order.reassign', orderId);
    expect(audit).toMatchObject({ actorType: 'ops', actorId: opsUserId, targetType: 'order' });
    expect(audit!.metadata).toMatchObject({ reason: body.reason, before: { driverId: first.driverId, dispatch: 'assigned' }, after: { driverId: second.driverId, dispatch: 'assigned' } });

    // The order is the new driver's now, and no longer the old one's.
    expect((await api(`/v1/orders/${orderId}`, { token: second.token })).status).toBe(200);
    expect((await api(`/v1/orders/${orderId}`, { token: first.token })).status).toBe(404);
    // The same driver again changes nothing.
    const again = await post(`/v1/ops/orders/${orderId}/assign`, opsToken, body);
    expect(await json(again)).toMatchObject({ unchanged: true });
    expect(await auditRows('order.reassign', orderId)).toHaveLength(1);
  });

  it('refuses a driver who holds another order (409) and an order not yet accepted (409)', async () => {
    const { orderId, first } = await assignedOrder();
    const other = await paidOrder();
    const busy = await post(`/v1/ops/orders/${other}/assign`, opsToken, { driverId: first.driverId, reason: 'try' });
    expect(busy.status).toBe(409);
    expect(await json(busy)).toMatchObject({ type: expect.stringContaining('illegal-transition') });
    expect((await accept(other)).status).toBe(200);
    const taken = await post(`/v1/ops/orders/${other}/assign`, opsToken, { driverId: first.driverId, reason: 'try' });
    expect(taken.status).toBe(409);
    expect(await json(taken)).toMatchObject({ type: expect.stringContaining('driver-unavailable'), reason: 'driver_busy' });
    expect(orderId).not.toBe(other);
  });
});

describe('POST /v1/ops/orders/{id}/cancel', () => {
  it('cancels with a partial refund no larger than what was paid, audited with before and after', async () => {
    const orderId = await paidOrder();
    expect((await accept(orderId)).status).toBe(200);
    expect((await post(`/v1/ops/orders/${orderId}/cancel`, customer.token, { reason: 'x', refundCents: 100 })).status).toBe(403);
    const [order] = await db().select().from(orders).where(eq(orders.id, orderId));
    const tooMuch = await post(`/v1/ops/orders/${orderId}/cancel`, opsToken, { reason: 'late', refundCents: order!.totalCents + 1 });
    expect(tooMuch.status).toBe(422);
    expect((await db().select().from(orders).where(eq(orders.id, orderId)))[0]!.status).toBe('preparing');

    const res = await post(`/v1/ops/orders/${orderId}/cancel`, opsToken, { reason: 'shop closed early', refundCents: 500 });
    expect(res.status).toBe(200);
    const body = await json<{ status: string; refund: { refundId: string; amountCents: number } }>(res);
    expect(body).toMatchObject({ status: 'cancelled', refund: { amountCents: 500 } });
    const [refund] = await db().select().from(refunds).where(eq(refunds.id, body.refund.refundId));
    expect(refund).toMatchObject({ amountCents: 500, status: 'succeeded', reason: 'operator_cancelled' });
    const [audit] = await auditRows('order.cancel', orderId);
    expect(audit).toMatchObject({ actorType: 'ops', actorId: opsUserId });
    expect(audit!.metadata).toMatchObject({ reason: 'shop closed early', refundCents: 500, before: { status: 'preparing' }, after: { status: 'cancelled' } });
    // Cancelled is final.
    expect((await post(`/v1/ops/orders/${orderId}/cancel`, opsToken, { reason: 'again' })).status).toBe(409);
  });

  it('refunds everything when no amount is given', async () => {
    const orderId = await paidOrder();
    const res = await post(`/v1/ops/orders/${orderId}/cancel`, opsToken, { reason: 'customer called' });
    const [order] = await db().select().from(orders).where(eq(orders.id, orderId));
    expect(await json(res)).toMatchObject({ status: 'cancelled', refund: { amountCents: order!.totalCents } });
  });
});

describe('drivers: offline and messages', () => {
  it('sets a driver offline: told on the socket, no longer available, audited', async () => {
    const driver = await liveDriver(0.003);
    expect((await post(`/v1/ops/drivers/${driver.driverId}/offline`, driver.token, { reason: 'x' })).status).toBe(403);
    const res = await post(`/v1/ops/drivers/${driver.driverId}/offline`, opsToken, { reason: 'unsafe driving reported' });
    expect(await json(res)).toMatchObject({ driverId: driver.driverId, wasOnline: true });
    expect(await driver.socket.next('ops.message')).toMatchObject({ text: expect.stringContaining('unsafe driving reported') });
    expect(await driver.socket.next('session')).toMatchObject({ available: false });
    const [audit] = await auditRows('driver.set_offline', driver.driverId);
    expect(audit!.metadata).toMatchObject({ reason: 'unsafe driving reported', before: { known: true }, after: { available: false } });
    expect((await post(`/v1/ops/drivers/drv_unknown0000000000000/offline`, opsToken, { reason: 'x' })).status).toBe(404);
  });

  it('messages a driver live; the audit row keeps the length, not the text', async () => {
    const driver = await liveDriver(0.004);
    expect((await post(`/v1/ops/drivers/${driver.driverId}/messages`, merchant.ownerToken, { text: 'hi' })).status).toBe(403);
    const res = await post(`/v1/ops/drivers/${driver.driverId}/messages`, opsToken, { text: 'Please call the shop on arrival' });
    expect(await json(res)).toMatchObject({ live: true });
    expect(await driver.socket.next('ops.message')).toMatchObject({ text: 'Please call the shop on arrival' });
    const [audit] = await auditRows('driver.message', driver.driverId);
    expect(audit!.metadata).toMatchObject({ length: 31, live: true });
    expect(JSON.stringify(audit!.metadata)).not.toContain('call the shop');
  });
});

describe('GET /v1/ops/orders/stuck', () => {
  it('lists the unassigned queue with its age and alerts for no merchant answer and no driver found', async () => {
    const waiting = await paidOrder();
    const unanswered = await paidOrder();
    expect((await accept(waiting)).status).toBe(200);
    // Ten minutes ago: accepted, and placed.
    await db().update(orderStatusEvents).set({ at: sql`now() - interval '10 minutes'` }).where(and(eq(orderStatusEvents.orderId, waiting), eq(orderStatusEvents.type, 'order.preparing')));
    await db().update(orders).set({ placedAt: sql`now() - interval '10 minutes'` }).where(eq(orders.id, unanswered));

    expect((await api(`/v1/ops/orders/stuck?cityId=${cityId}`, { token: customer.token })).status).toBe(403);
    const res = await api(`/v1/ops/orders/stuck?cityId=${cityId}&driverMinutes=5&merchantMinutes=5`, { token: opsToken });
    expect(res.status).toBe(200);
    const body = await json<{ unassigned: { orderId: string; ageSeconds: number }[]; alerts: { kind: string; orderId: string }[] }>(res);
    const queued = body.unassigned.find((u) => u.orderId === waiting);
    expect(queued?.ageSeconds).toBeGreaterThanOrEqual(590);
    expect(body.alerts).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'no_driver_found', orderId: waiting }), expect.objectContaining({ kind: 'no_merchant_answer', orderId: unanswered })]));
  });

  it('does not count a scheduled order as waiting for a driver before its first offer is due (ADR 0108)', async () => {
    const later = await paidOrder();
    expect((await accept(later)).status).toBe(200);
    // Accepted ten minutes ago, for a window an hour away: its first offer is due 50 minutes from now.
    await db().update(orderStatusEvents).set({ at: sql`now() - interval '10 minutes'` }).where(and(eq(orderStatusEvents.orderId, later), eq(orderStatusEvents.type, 'order.preparing')));
    await db()
      .update(orders)
      .set({ scheduledStart: sql`now() + interval '1 hour'`, scheduledEnd: sql`now() + interval '90 minutes'`, releaseAt: sql`now() - interval '10 minutes'`, releasedAt: sql`now() - interval '10 minutes'` })
      .where(eq(orders.id, later));
    const body = await json<{ unassigned: { orderId: string }[]; alerts: { orderId: string }[] }>(await api(`/v1/ops/orders/stuck?cityId=${cityId}&driverMinutes=5&merchantMinutes=5`, { token: opsToken }));
    expect(body.unassigned.map((u) => u.orderId)).not.toContain(later);
    expect(body.alerts.map((a) => a.orderId)).not.toContain(later);
    // Once its window is near (start in 5 minutes: the offer was due 5 minutes ago), it waits like any other.
    await db().update(orders).set({ scheduledStart: sql`now() + interval '5 minutes'` }).where(eq(orders.id, later));
    const after = await json<{ unassigned: { orderId: string; ageSeconds: number }[] }>(await api(`/v1/ops/orders/stuck?cityId=${cityId}&driverMinutes=5&merchantMinutes=5`, { token: opsToken }));
    expect(after.unassigned.find((u) => u.orderId === later)?.ageSeconds).toBeGreaterThanOrEqual(290);
  });
});
