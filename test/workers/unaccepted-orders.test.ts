/**
 * Orders their merchant never accepts (services/orders/unaccepted.ts, ADR
 * 0080). The fault is a merchant who never answers; time is moved by passing
 * `now` to the sweep. Checked against Postgres (the order, its one history,
 * the refund, the notification log) and the Stripe fake.
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { and, asc, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { cities, notificationLog, orders, orderStatusEvents, outbox, payments, refunds } from '../../db/schema/index';
import { sweepUnacceptedOrders, type UnacceptedOptions } from '../../workers/services/orders/unaccepted';
import { api, createCity, createMerchant, createOps, createProduct, createShop, db, intentIdOf, json, orderBody, payOrder, placeOrder, stripeGet, type Customer, type TestMerchant } from './helpers/commerce';

let merchant: TestMerchant;
let customer: Customer;
let dish: string;

beforeAll(async () => {
  ({ merchant, customer, product: dish } = await createShop(1500));
});

/** One sweep run with its own execution context, waited for (its announcements and refund included). */
async function sweep(options: UnacceptedOptions) {
  const ctx = createExecutionContext();
  const run = await sweepUnacceptedOrders({ db: db(), env, ctx }, options);
  await waitOnExecutionContext(ctx);
  return run;
}

async function paidOrder(m = merchant) {
  const created = await placeOrder(customer.token, orderBody(m.merchantId, [{ productId: dish, quantity: 2 }]));
  await payOrder(created);
  const [row] = await db().select().from(orders).where(eq(orders.id, created.order.id));
  expect(row!.status).toBe('placed');
  return { order: row!, intentId: intentIdOf(created.payment!.clientSecret) };
}

const later = (from: Date, seconds: number) => new Date(from.getTime() + seconds * 1000);
const orderRow = async (id: string) => (await db().select().from(orders).where(eq(orders.id, id)))[0]!;
const history = async (id: string) =>
  (await db().select().from(orderStatusEvents).where(eq(orderStatusEvents.orderId, id)).orderBy(asc(orderStatusEvents.seq))).map((e) => [e.seq, e.type, e.status, e.actorType, e.reason]);
const outboxIdOf = async (orderId: string, topic: string) =>
  (await db().select({ id: outbox.id }).from(outbox).where(and(eq(outbox.aggregateId, orderId), eq(outbox.topic, topic))))[0]?.id;
const sentFor = async (eventId: string) =>
  (await db().select().from(notificationLog).where(eq(notificationLog.eventId, eventId))).filter((l) => l.status === 'sent' || l.status === 'delivered').map((l) => `${l.template}/${l.channel}`).sort();

describe('orders the merchant never accepts', () => {
  it('are escalated after 5 minutes (the merchant told again), then cancelled after 15 with a refund and the customer told, once', async () => {
    const { order, intentId } = await paidOrder();
    const placedAt = order.placedAt!;
    const ids = [order.id];

    expect(await sweep({ ids, now: later(placedAt, 4 * 60) })).toMatchObject({ escalated: 0, cancelled: 0 });

    expect(await sweep({ ids, now: later(placedAt, 6 * 60) })).toMatchObject({ escalated: 1, cancelled: 0 });
    const escalated = await orderRow(order.id);
    expect(escalated).toMatchObject({ status: 'placed', seq: 3 });
    expect(escalated.escalatedAt).not.toBeNull();
    // Again, and again a minute later: escalated once.
    expect(await sweep({ ids, now: later(placedAt, 6 * 60) })).toMatchObject({ escalated: 0, cancelled: 0 });
    expect(await sweep({ ids, now: later(placedAt, 7 * 60) })).toMatchObject({ escalated: 0, cancelled: 0 });
    // The merchant hears it on every channel it has (email and SMS here: no push device).
    // Operators see it: on /metrics, and listed with its deadline (merchants and customers may not list it).
    const ops = await createOps();
    const metrics = await (await api('/metrics', { token: ops })).text();
    expect(Number(/^delivery_orders_awaiting_merchant\{stage="escalated"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    const listed = await json<{ items: { orderId: string; number: string; escalatedAt: string | null; autoCancelAt: string }[] }>(
      await api(`/v1/ops/orders/awaiting-merchant?escalated=true&cityId=${merchant.cityId}`, { token: ops }),
    );
    expect(listed.items.find((i) => i.orderId === order.id)).toMatchObject({ number: order.number, escalatedAt: escalated.escalatedAt!.toISOString(), autoCancelAt: later(placedAt, 15 * 60).toISOString() });
    expect((await api('/v1/ops/orders/awaiting-merchant', { token: merchant.ownerToken })).status).toBe(403);
    expect((await api('/v1/ops/orders/awaiting-merchant?limit=0', { token: ops })).headers.get('content-type')).toContain('application/problem+json');
    const escalationEvent = (await outboxIdOf(order.id, 'order.escalated'))!;
    await expect.poll(() => sentFor(escalationEvent), { timeout: 10_000, interval: 200 }).toEqual(['merchant.order.escalated/email', 'merchant.order.escalated/sms']);

    expect(await sweep({ ids, now: later(placedAt, 16 * 60) })).toMatchObject({ escalated: 0, cancelled: 1 });
    const cancelled = await orderRow(order.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelReason: 'merchant_unresponsive', seq: 4 });
    expect(await history(order.id)).toEqual([
      [1, 'order.created', 'pending_payment', 'customer', null],
      [2, 'order.placed', 'placed', 'stripe', null],
      [3, 'order.escalated', 'placed', 'system', 'merchant_unresponsive'],
      [4, 'order.cancelled', 'cancelled', 'system', 'merchant_unresponsive'],
    ]);

    // Refunded in full, once, at Stripe and in our books.
    const [payment] = await db().select().from(payments).where(eq(payments.orderId, order.id));
    expect(payment).toMatchObject({ status: 'refunded', refundedCents: order.totalCents });
    const refundRows = await db().select().from(refunds).where(eq(refunds.paymentId, payment!.id));
    expect(refundRows).toHaveLength(1);
    expect(refundRows[0]).toMatchObject({ status: 'succeeded', amountCents: order.totalCents, reason: 'order_cancelled' });
    const atStripe = await stripeGet<{ amount: number; payment_intent: string }>(`/v1/refunds/${refundRows[0]!.providerRefundId}`);
    expect(atStripe).toMatchObject({ amount: order.totalCents, payment_intent: intentId });

    // The customer is told as for any cancellation, with the reason in words.
    const cancelEvent = (await outboxIdOf(order.id, 'order.cancelled'))!;
    await expect.poll(() => sentFor(cancelEvent), { timeout: 10_000, interval: 200 }).toContain('customer.order.cancelled/email');

    // Later runs change nothing.
    expect(await sweep({ ids, now: later(placedAt, 60 * 60) })).toMatchObject({ escalated: 0, cancelled: 0, skipped: 0 });
    expect((await history(order.id)).length).toBe(4);
  });

  it('leave an order its merchant accepted after the escalation', async () => {
    const { order } = await paidOrder();
    const ids = [order.id];
    expect(await sweep({ ids, now: later(order.placedAt!, 6 * 60) })).toMatchObject({ escalated: 1 });
    expect((await api(`/v1/orders/${order.id}/accept`, { method: 'POST', token: merchant.ownerToken })).status).toBe(200);
    expect(await sweep({ ids, now: later(order.placedAt!, 16 * 60) })).toMatchObject({ escalated: 0, cancelled: 0 });
    expect((await orderRow(order.id)).status).toBe('preparing');
    expect((await history(order.id)).map((e) => e[1])).toEqual(['order.created', 'order.placed', 'order.escalated', 'order.preparing']);
  });

  it('follow the deadlines of the order’s city, and cancel directly an order the cron never escalated', async () => {
    const city = await createCity();
    await db().update(cities).set({ merchantEscalateAfterSeconds: 60, merchantAutoCancelAfterSeconds: 120 }).where(eq(cities.id, city));
    const quick = await createMerchant(city);
    const quickDish = await createProduct(quick.merchantId, 900);
    const created = await placeOrder(customer.token, orderBody(quick.merchantId, [{ productId: quickDish, quantity: 1 }]));
    await payOrder(created);
    const { placedAt } = await orderRow(created.order.id);
    const ids = [created.order.id];
    expect(await sweep({ ids, now: later(placedAt!, 50) })).toMatchObject({ escalated: 0, cancelled: 0 });
    expect(await sweep({ ids, now: later(placedAt!, 130) })).toMatchObject({ escalated: 0, cancelled: 1 });
    expect((await history(created.order.id)).map((e) => e[1])).toEqual(['order.created', 'order.placed', 'order.cancelled']);
    expect((await db().select().from(refunds).innerJoin(payments, eq(payments.id, refunds.paymentId)).where(eq(payments.orderId, created.order.id))).map((r) => r.refunds.status)).toEqual(['succeeded']);
  });
});
