/**
 * Merchant webhooks derived from the order timeline (docs/api.md v1.1, ADR 0045):
 * each body is the order as GET /v1/orders/{id} shows it to the merchant AS OF
 * its event (the snapshot of order_status_events at that seq), and one
 * order's deliveries to one endpoint reach the receiver in seq order — when
 * the queue hands the events over backwards, and when an earlier delivery
 * fails (until it succeeds, is dead, or the 10-minute bound passes).
 *
 * The timeline is written the way timeline.ts writes it (seq + 1 on the row,
 * one order_status_events row with snapshotOf, the outbox payload of
 * orderEventPayload), without outbox rows: a relay running for another test
 * must not publish them behind this test's back. Held deliveries are woken by
 * the delivery in front of them or by real `webhook.retry` messages on the
 * EVENTS queue, hence the polls.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { describe, expect, inject, it } from 'vitest';
import { newId } from '../../db/ids';
import { orders, orderStatusEvents, webhookDeliveries, type Order } from '../../db/schema/index';
import type { OrderEventType } from '../../domain/order';
import { OrderSchema } from '../../workers/schemas/orders';
import type { EventEnvelope } from '../../workers/services/events/envelope';
import { orderEventPayload, snapshotOf } from '../../workers/services/orders/timeline';
import { HOLD_LIMIT_SECONDS } from '../../workers/services/webhooks/ordering';
import { callJson } from './auth-helpers';
import { createDriver, createMerchant, createOrder, db, deliver, fakeGet, fakePost, type MerchantWorld, type TestOrder } from './helpers/notification-world';

const RECEIVER = inject('webhookReceiverUrl');
const QUEUE = 'delivery-events';
const SLOW = { timeout: 15_000, interval: 200 };

interface Body { id: string; type: string; createdAt: string; seq: number; data: { order: Record<string, unknown> & { seq: number; status: string; dispatch: string } } }
interface Received { webhookId: string; verified: boolean | null; status: number; body: Body }

async function register(m: MerchantWorld, events: string[] = ['*']) {
  const name = `ord-${crypto.randomUUID().slice(0, 8)}`;
  const { body } = await callJson<{ id: string; secret: string }>(`/v1/merchants/${m.merchantId}/webhooks`, { token: m.owner.token, body: { url: `${RECEIVER}/hooks/${name}`, events } }, 201);
  await fakePost(RECEIVER, '/_fake/secrets', { name, secret: body.secret });
  return { id: body.id, name };
}

const received = async (name: string) => (await fakeGet<{ items: Received[] }>(RECEIVER, `/_fake/received?name=${name}`)).items;
/** Every POST the receiver answered, in arrival order, with the Webhook-Id it carried. */
const requestsTo = async (name: string) =>
  (await fakeGet<{ items: { status: number; headers: Record<string, string> }[] }>(RECEIVER, `/_fake/requests?match=/hooks/${name}`)).items.map((r) => ({ status: r.status, id: r.headers['webhook-id'] }));
const attemptsOf = (endpointId: string, eventId: string) =>
  db().select().from(webhookDeliveries).where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.eventId, eventId))).orderBy(asc(webhookDeliveries.attempt));
const retryMessage = (endpointId: string, eventId: string) => ({ body: { id: `retry-${crypto.randomUUID()}`, type: 'webhook.retry', createdAt: new Date().toISOString(), data: { endpointId, eventId } } });

/**
 * One change of the order as the orders domain commits it: the row's seq + 1,
 * the event with the row's snapshot, and the envelope the relay would put on
 * the queue for its outbox row.
 */
async function change(order: TestOrder, type: OrderEventType, set: Partial<Order> = {}, createdAt = new Date()): Promise<EventEnvelope> {
  const [before] = await db().select({ status: orders.status }).from(orders).where(eq(orders.id, order.orderId));
  const [row] = await db()
    .update(orders)
    .set({ ...set, seq: sql`${orders.seq} + 1`, version: sql`${orders.version} + 1`, updatedAt: new Date() })
    .where(eq(orders.id, order.orderId))
    .returning();
  await db().insert(orderStatusEvents).values({
    id: newId('evt'),
    orderId: row!.id,
    seq: row!.seq,
    type,
    snapshot: snapshotOf(row!),
    status: row!.status,
    dispatchState: row!.dispatchState,
    actorType: 'system',
    at: new Date(),
  });
  return { id: newId('obx'), type, createdAt: createdAt.toISOString(), data: orderEventPayload(row!, before!.status, { type: 'system', id: null }) as unknown as Record<string, unknown> };
}

/** A delivered order's whole timeline; seq 3 (dispatch offered) is internal, never sent to merchants. */
async function deliveredTimeline(m: MerchantWorld, order: TestOrder, driverId: string): Promise<EventEnvelope[]> {
  return [
    await change(order, 'order.placed'),
    await change(order, 'order.preparing', { status: 'preparing' }),
    await change(order, 'order.dispatch_changed', { dispatchState: 'offered' }),
    await change(order, 'order.assigned', { dispatchState: 'assigned', driverId }),
    await change(order, 'order.ready', { status: 'ready' }),
    await change(order, 'order.in_delivery', { status: 'in_delivery', dispatchState: 'picked_up' }),
    await change(order, 'order.delivered', { status: 'delivered', dispatchState: 'dropped_off', deliveredAt: new Date() }),
  ];
}

const timelineOf = (orderId: string) => db().select().from(orderStatusEvents).where(eq(orderStatusEvents.orderId, orderId)).orderBy(asc(orderStatusEvents.seq));

describe('merchant webhooks follow the order timeline', () => {
  it('each body is the order as GET /v1/orders/{id} shows the merchant, as of its event, and they arrive in seq order', async () => {
    const m = await createMerchant();
    const driver = await createDriver(m.cityId);
    const hook = await register(m);
    const order = await createOrder(m, null, { contact: { phone: '+33600000002' } });
    const events = await deliveredTimeline(m, order, driver.driverId);
    for (const e of events) await deliver(QUEUE, [{ body: e }]);

    await expect.poll(async () => (await received(hook.name)).length, SLOW).toBe(6);
    const got = await received(hook.name);
    const log = await timelineOf(order.orderId);
    expect(log.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // Every public event once, in seq order; the internal dispatch change (seq 3) not at all.
    expect(got.map((r) => [r.body.seq, r.body.type])).toEqual(log.filter((e) => e.seq !== 3).map((e) => [e.seq, e.type]));
    for (const r of got) {
      const event = log.find((e) => e.seq === r.body.seq)!;
      expect(r).toMatchObject({ verified: true, status: 204, webhookId: events[event.seq - 1]!.id });
      // The order as it was at that seq, not as it is now (delivered).
      expect(r.body.data.order).toMatchObject({ id: order.orderId, number: order.number, seq: event.seq, status: event.status, dispatch: event.dispatchState });
      expect(r.body.data.order).toMatchObject({ status: (event.snapshot as { status: string }).status, updatedAt: (event.snapshot as { updatedAt: string }).updatedAt });
      // The API's order shape, nothing more; the merchant never sees the PIN.
      expect(OrderSchema.strict().safeParse(r.body.data.order).error).toBeUndefined();
      expect(JSON.stringify(r.body)).not.toContain(`"deliveryPin"`);
    }
    expect(got[0]!.body.data.order).not.toHaveProperty('driver');
    expect(got.find((r) => r.body.type === 'order.assigned')!.body.data.order).toMatchObject({ dispatch: 'assigned', driver: { id: driver.driverId, name: 'Karim Benali', vehicle: 'bike' } });
    // The last event is the order now: its body is exactly what GET answers the merchant.
    const { body: now } = await callJson<Record<string, unknown>>(`/v1/orders/${order.orderId}`, { token: m.owner.token }, 200);
    expect(got.at(-1)!.body.data.order).toEqual(now);
    expect(Object.keys(got[0]!.body.data.order).every((k) => k in now)).toBe(true);
  });

  it('a payment event carries the order as of its latest event, and that seq', async () => {
    const m = await createMerchant();
    const hook = await register(m, ['payment.succeeded']);
    const order = await createOrder(m, null, { contact: { phone: '+33600000003' } });
    await change(order, 'order.placed');
    await change(order, 'order.preparing', { status: 'preparing' });
    const payment = { id: newId('obx'), type: 'payment.succeeded', createdAt: new Date().toISOString(), data: { paymentId: newId('pay'), orderId: order.orderId, status: 'succeeded', amountCents: 2550, currency: 'EUR' } };
    await deliver(QUEUE, [{ body: payment }]);
    await expect.poll(async () => (await received(hook.name)).length, SLOW).toBe(1);
    const [got] = await received(hook.name);
    expect(got!.body).toMatchObject({ id: payment.id, type: 'payment.succeeded', seq: 2, data: { order: { id: order.orderId, seq: 2, status: 'preparing' } } });
  });

  it('events handed to the consumer in reverse still reach the receiver in seq order', async () => {
    const m = await createMerchant();
    const driver = await createDriver(m.cityId);
    const hook = await register(m);
    const order = await createOrder(m, null, { contact: { phone: '+33600000004' } });
    const events = await deliveredTimeline(m, order, driver.driverId);
    const publicEvents = events.filter((e) => e.type !== 'order.dispatch_changed');

    // Newest first, one batch each: nothing may go out while seq 1 has not arrived.
    for (const e of [...publicEvents].reverse().slice(0, -1)) await deliver(QUEUE, [{ body: e }]);
    expect(await received(hook.name)).toEqual([]);
    const held = await attemptsOf(hook.id, publicEvents.at(-1)!.id);
    expect(held).toMatchObject([{ attempt: 1, status: 'pending', statusCode: null }]);
    expect(held[0]!.error).toMatch(/^held: .*seq 1 \(not received yet\)/);
    expect(held[0]!.nextRetryAt).not.toBeNull();

    // Seq 1 arrives: it goes, and each one behind it follows once the one in front is delivered.
    await deliver(QUEUE, [{ body: publicEvents[0]! }]);
    await expect.poll(async () => (await received(hook.name)).length, SLOW).toBe(6);
    const got = await received(hook.name);
    expect(got.map((r) => r.body.seq)).toEqual([1, 2, 4, 5, 6, 7]);
    expect(got.map((r) => r.body.data.order.status)).toEqual(['placed', 'preparing', 'preparing', 'ready', 'in_delivery', 'delivered']);
    expect((await requestsTo(hook.name)).map((r) => r.id)).toEqual(publicEvents.map((e) => e.id));
    // Each event is one attempt in the log: the held row is the attempt that was made.
    const rows = await db().select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, hook.id));
    expect(rows.map((r) => [r.attempt, r.status, r.nextRetryAt])).toEqual(rows.map(() => [1, 'succeeded', null]));
  });

  it('waits only for the earlier events the endpoint subscribed to', async () => {
    const m = await createMerchant();
    const driver = await createDriver(m.cityId);
    const hook = await register(m, ['order.placed', 'order.delivered']);
    const order = await createOrder(m, null, { contact: { phone: '+33600000005' } });
    const events = await deliveredTimeline(m, order, driver.driverId);
    const [placed, delivered] = [events[0]!, events[6]!];

    await deliver(QUEUE, [{ body: delivered }]);
    expect(await attemptsOf(hook.id, delivered.id)).toMatchObject([{ status: 'pending' }]);
    expect((await attemptsOf(hook.id, delivered.id))[0]!.error).toMatch(/seq 1 \(not received yet\)$/);
    await deliver(QUEUE, [{ body: placed }]);
    await expect.poll(async () => (await received(hook.name)).map((r) => r.body.seq), SLOW).toEqual([1, 7]);
  });
});

/**
 * An order whose `placed` delivery fails at the receiver (with `status`) and whose
 * `preparing` follows it: both handed to the consumer, in order.
 */
async function failingFirst(phone: string, status: number, placedAt?: Date) {
  const m = await createMerchant();
  const hook = await register(m);
  const order = await createOrder(m, null, { contact: { phone } });
  const placed = await change(order, 'order.placed', {}, placedAt);
  const preparing = await change(order, 'order.preparing', { status: 'preparing' });
  await fakePost(RECEIVER, '/_fake/faults', { match: placed.id, status });
  await deliver(QUEUE, [{ body: placed }]);
  await deliver(QUEUE, [{ body: preparing }]);
  return { hook, placed, preparing };
}

describe('a failing earlier delivery holds the later ones back, within a bound', () => {
  it('until the earlier one succeeds', async () => {
    const { hook, placed, preparing } = await failingFirst('+33600000006', 500);
    try {
      expect(await attemptsOf(hook.id, placed.id)).toMatchObject([{ attempt: 1, status: 'failed', statusCode: 500 }]);
      const held = await attemptsOf(hook.id, preparing.id);
      expect(held).toMatchObject([{ attempt: 1, status: 'pending' }]);
      expect(held[0]!.error).toMatch(/seq 1 \(failed\)/);
      // Looked at again after the failed one's next attempt, not before.
      expect(held[0]!.nextRetryAt!.getTime()).toBeGreaterThan((await attemptsOf(hook.id, placed.id))[0]!.nextRetryAt!.getTime());

      // Its time comes while the earlier one still fails: it waits on.
      await db().update(webhookDeliveries).set({ nextRetryAt: new Date(Date.now() - 1000) }).where(eq(webhookDeliveries.id, held[0]!.id));
      await deliver(QUEUE, [retryMessage(hook.id, preparing.id)]);
      expect(await attemptsOf(hook.id, preparing.id)).toMatchObject([{ attempt: 1, status: 'pending', statusCode: null }]);
      expect((await requestsTo(hook.name)).every((r) => r.id === placed.id)).toBe(true);

      // The receiver recovers; the earlier one's retry succeeds and the held one follows it.
      await fetch(`${RECEIVER}/_fake/faults?match=${placed.id}`, { method: 'DELETE' });
      await db().update(webhookDeliveries).set({ nextRetryAt: new Date(Date.now() - 1000) }).where(and(eq(webhookDeliveries.eventId, placed.id), eq(webhookDeliveries.status, 'failed')));
      await deliver(QUEUE, [retryMessage(hook.id, placed.id)]);
      await expect.poll(async () => (await received(hook.name)).map((r) => r.body.type), SLOW).toEqual(['order.placed', 'order.preparing']);
      const requests = await requestsTo(hook.name);
      const firstPreparing = requests.findIndex((r) => r.id === preparing.id);
      const placedDelivered = requests.findIndex((r) => r.id === placed.id && r.status === 204);
      expect(placedDelivered).toBeGreaterThanOrEqual(0);
      expect(firstPreparing).toBeGreaterThan(placedDelivered);
    } finally {
      await fetch(`${RECEIVER}/_fake/faults?match=${placed.id}`, { method: 'DELETE' });
    }
  });

  it('until the earlier one is dead', async () => {
    // Near the end of its 24-hour window: one retry left before it is given up.
    const { hook, placed, preparing } = await failingFirst('+33600000007', 503, new Date(Date.now() - 24 * 3600_000 + 15_000));
    try {
      expect(await attemptsOf(hook.id, placed.id)).toMatchObject([{ status: 'failed' }]);
      expect(await attemptsOf(hook.id, preparing.id)).toMatchObject([{ status: 'pending' }]);
      expect(await received(hook.name)).toEqual([]);

      await db().update(webhookDeliveries).set({ nextRetryAt: new Date(Date.now() - 1000) }).where(and(eq(webhookDeliveries.eventId, placed.id), eq(webhookDeliveries.status, 'failed')));
      await deliver(QUEUE, [retryMessage(hook.id, placed.id)]);
      await expect.poll(async () => (await attemptsOf(hook.id, placed.id)).at(-1)?.status, SLOW).toBe('dead');
      await expect.poll(async () => (await received(hook.name)).map((r) => r.body.type), SLOW).toEqual(['order.preparing']);
      expect(await attemptsOf(hook.id, preparing.id)).toMatchObject([{ attempt: 1, status: 'succeeded', statusCode: 204 }]);
    } finally {
      await fetch(`${RECEIVER}/_fake/faults?match=${placed.id}`, { method: 'DELETE' });
    }
  });

  it(`at most ${HOLD_LIMIT_SECONDS / 60} minutes, while the earlier one still retries`, async () => {
    const { hook, placed, preparing } = await failingFirst('+33600000008', 500);
    try {
      const [held] = await attemptsOf(hook.id, preparing.id);
      expect(held).toMatchObject({ status: 'pending' });

      // Just inside the bound it still waits; past it, it goes.
      const heldFor = async (seconds: number) => {
        await db()
          .update(webhookDeliveries)
          .set({ createdAt: new Date(Date.now() - seconds * 1000), nextRetryAt: new Date(Date.now() - 1000) })
          .where(eq(webhookDeliveries.id, held!.id));
        await deliver(QUEUE, [retryMessage(hook.id, preparing.id)]);
      };
      await heldFor(HOLD_LIMIT_SECONDS - 30);
      expect(await attemptsOf(hook.id, preparing.id)).toMatchObject([{ status: 'pending', statusCode: null }]);
      await heldFor(HOLD_LIMIT_SECONDS + 1);
      await expect.poll(async () => (await received(hook.name)).map((r) => r.body.type), SLOW).toEqual(['order.preparing']);
      // The earlier one was not given up: it keeps its own retries.
      const placedAttempts = await attemptsOf(hook.id, placed.id);
      expect(placedAttempts.some((a) => a.status === 'succeeded' || a.status === 'dead')).toBe(false);
    } finally {
      await fetch(`${RECEIVER}/_fake/faults?match=${placed.id}`, { method: 'DELETE' });
    }
  });
});
