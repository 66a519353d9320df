/**
 * Scheduled orders (ADR 0108): the `scheduledFor` window refused or taken at
 * creation, the order held (placed, not acceptable) until its release time,
 * released by the minute cron's sweep at the right time (time is moved by
 * passing `now` to the sweep, as the unaccepted-orders tests do), with a
 * bounded batch that catches up after missed runs, and cancelled free before
 * its release with a refund. Checked against Postgres, the Stripe fake and
 * the email fake.
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { and, asc, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { notificationLog, orders, orderStatusEvents, outbox, payments, refunds } from '../../db/schema/index';
import { releaseDueOrders, type ReleaseOptions } from '../../workers/services/orders/scheduled';
import { sweepUnacceptedOrders } from '../../workers/services/orders/unaccepted';
import { api, createOps, createShop, db, json, newKey, orderBody, payOrder, placeOrder, stripeGet, type Customer, type TestMerchant } from './helpers/commerce';
import { emailsSentTo } from './helpers/notification-world';

let merchant: TestMerchant;
let customer: Customer;
let dish: string;

beforeAll(async () => {
  ({ merchant, customer, product: dish } = await createShop(1500));
});

const MIN = 60_000;
/** A window starting `inMinutes` from now (rounded to the minute), `length` minutes long. */
const windowIn = (inMinutes: number, length = 30) => {
  const start = new Date(Math.ceil((Date.now() + inMinutes * MIN) / MIN) * MIN);
  return { start: start.toISOString(), end: new Date(start.getTime() + length * MIN).toISOString() };
};
const scheduledBody = (scheduledFor: unknown) => ({ ...orderBody(merchant.merchantId, [{ productId: dish, quantity: 1 }]), scheduledFor });

async function release(options: ReleaseOptions) {
  const ctx = createExecutionContext();
  const run = await releaseDueOrders({ db: db(), env, ctx }, options);
  await waitOnExecutionContext(ctx);
  return run;
}

const orderRow = async (id: string) => (await db().select().from(orders).where(eq(orders.id, id)))[0]!;
const history = async (id: string) => (await db().select().from(orderStatusEvents).where(eq(orderStatusEvents.orderId, id)).orderBy(asc(orderStatusEvents.seq))).map((e) => [e.seq, e.type, e.status, e.actorType]);
const outboxIdOf = async (orderId: string, topic: string) => (await db().select({ id: outbox.id }).from(outbox).where(and(eq(outbox.aggregateId, orderId), eq(outbox.topic, topic))))[0]?.id;
const sentFor = async (eventId: string) =>
  (await db().select().from(notificationLog).where(eq(notificationLog.eventId, eventId))).filter((l) => l.status === 'sent' || l.status === 'delivered').map((l) => `${l.template}/${l.channel}`).sort();

async function scheduledOrder(inMinutes = 120) {
  const scheduledFor = windowIn(inMinutes);
  const created = await placeOrder(customer.token, scheduledBody(scheduledFor));
  await payOrder(created);
  const row = await orderRow(created.order.id);
  expect(row.status).toBe('placed');
  return { created, row, scheduledFor };
}

describe('creating a scheduled order', () => {
  it('refuses windows in the past, too soon, too far, too short or malformed with 422 problems naming the field', async () => {
    const refused = async (scheduledFor: unknown) => {
      const res = await api('/v1/orders', { token: customer.token, body: scheduledBody(scheduledFor), idempotencyKey: newKey() });
      expect(res.status).toBe(422);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      return (await json<{ type: string; errors: { path: string; message: string }[] }>(res)).errors;
    };
    expect((await refused(windowIn(-60))).map((e) => e.path)).toEqual(['json.scheduledFor.start']);
    // Default prep time 15 min: the window must start at least 30 min from now.
    expect((await refused(windowIn(20)))[0]!.message).toContain('at least 30 minutes from now');
    expect((await refused(windowIn(8 * 24 * 60)))[0]).toEqual({ path: 'json.scheduledFor.start', message: 'Orders are scheduled at most 7 days ahead.' });
    expect((await refused(windowIn(120, 5))).map((e) => e.path)).toEqual(['json.scheduledFor.end']);
    expect((await refused(windowIn(120, 180))).map((e) => e.path)).toEqual(['json.scheduledFor.end']);
    expect((await refused({ start: 'tomorrow', end: 'later' })).map((e) => e.path).sort()).toEqual(['json.scheduledFor.end', 'json.scheduledFor.start']);
    expect((await refused({ start: windowIn(120).start })).map((e) => e.path)).toEqual(['json.scheduledFor.end']);
  });

  it('places and pays it as today, shows the window with its release time, and holds it from the merchant', async () => {
    const { created, row, scheduledFor } = await scheduledOrder(120);
    const releaseAt = new Date(Date.parse(scheduledFor.start) - 15 * MIN).toISOString();
    expect(created.order.scheduledFor).toEqual({ ...scheduledFor, releaseAt, releasedAt: null });
    expect(row.releaseAt!.toISOString()).toBe(releaseAt);
    const shown = await json<{ scheduledFor: unknown; status: string }>(await api(`/v1/orders/${row.id}`, { token: merchant.ownerToken }));
    expect(shown).toMatchObject({ status: 'placed', scheduledFor: { releaseAt, releasedAt: null } });

    // The merchant cannot accept it early (it would be dispatched early).
    const early = await api(`/v1/orders/${row.id}/accept`, { method: 'POST', token: merchant.ownerToken });
    expect(early.status).toBe(409);
    expect(await json(early)).toMatchObject({ type: expect.stringContaining('/order-scheduled'), releaseAt });

    // Operators see it among the held orders, with its release time; a merchant may not list them.
    const ops = await createOps();
    const listed = await json<{ items: { orderId: string; releaseAt: string; scheduledFor: { start: string } }[] }>(await api(`/v1/ops/orders/scheduled?cityId=${merchant.cityId}`, { token: ops }));
    expect(listed.items.find((i) => i.orderId === row.id)).toMatchObject({ releaseAt, scheduledFor: { start: scheduledFor.start } });
    expect((await api('/v1/ops/orders/scheduled', { token: merchant.ownerToken })).status).toBe(403);
    const awaiting = await json<{ items: { orderId: string }[] }>(await api(`/v1/ops/orders/awaiting-merchant?cityId=${merchant.cityId}`, { token: ops }));
    expect(awaiting.items.map((i) => i.orderId)).not.toContain(row.id);

    // Held orders are not "awaiting the merchant": its deadlines do not run while it is held.
    const ctx = createExecutionContext();
    expect(await sweepUnacceptedOrders({ db: db(), env, ctx }, { ids: [row.id], now: new Date(Date.now() + 60 * MIN) })).toMatchObject({ escalated: 0, cancelled: 0 });
    await waitOnExecutionContext(ctx);
    expect((await orderRow(row.id)).status).toBe('placed');

    // The confirmation carries the window, in the city's time (Europe/Paris in the test city).
    const placedEvent = (await outboxIdOf(row.id, 'order.placed'))!;
    await expect.poll(() => sentFor(placedEvent), { timeout: 10_000, interval: 200 }).toContain('customer.order.placed/email');
    const mail = (await emailsSentTo(`${customer.userId}@example.test`)).find((m) => m.textBody.includes(`#${row.number}`));
    const local = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Europe/Paris' }).format(new Date(scheduledFor.start));
    expect(mail?.textBody).toContain(`Scheduled for `);
    expect(mail?.textBody).toContain(local);
  });

  it('takes a window from a merchant API key too (paid off-platform: placed and held at once)', async () => {
    const { key } = await merchant.apiKey();
    const res = await api('/v1/orders', {
      headers: { Authorization: `Bearer ${key}` },
      body: { ...scheduledBody(windowIn(90, 60)), customer: { name: 'Phone Order', phone: '+33611111111' }, paid: true },
      idempotencyKey: newKey(),
    });
    expect(res.status).toBe(201);
    const { order } = await json<{ order: { id: string; status: string; scheduledFor: { releasedAt: string | null } } }>(res);
    expect(order.status).toBe('placed');
    expect(order.scheduledFor.releasedAt).toBeNull();
    expect((await orderRow(order.id)).releasedAt).toBeNull();
  });
});

describe('the release by the minute cron', () => {
  it('releases at window start − prep time, once, with the order.released event; then the merchant accepts it', async () => {
    const { row } = await scheduledOrder(60);
    const ids = [row.id];
    const releaseAt = row.releaseAt!;
    expect(await release({ ids, now: new Date(releaseAt.getTime() - 1000) })).toEqual({ released: 0, skipped: 0, failed: 0 });
    expect((await orderRow(row.id)).releasedAt).toBeNull();

    const at = new Date(releaseAt.getTime() + 20_000);
    expect(await release({ ids, now: at })).toEqual({ released: 1, skipped: 0, failed: 0 });
    const released = await orderRow(row.id);
    expect(released).toMatchObject({ status: 'placed', seq: 3 });
    // Stamped by the wall clock (the outbox relays by it); `now` only decided that the time had come.
    expect(Math.abs(released.releasedAt!.getTime() - Date.now())).toBeLessThan(30_000);
    // Again, and a minute later: released once.
    expect(await release({ ids, now: at })).toEqual({ released: 0, skipped: 0, failed: 0 });
    expect(await release({ ids, now: new Date(at.getTime() + MIN) })).toEqual({ released: 0, skipped: 0, failed: 0 });
    expect(await history(row.id)).toEqual([
      [1, 'order.created', 'pending_payment', 'customer'],
      [2, 'order.placed', 'placed', 'stripe'],
      [3, 'order.released', 'placed', 'system'],
    ]);
    const shown = await json<{ scheduledFor: { releasedAt: string } }>(await api(`/v1/orders/${row.id}`, { token: customer.token }));
    expect(shown.scheduledFor.releasedAt).toBe(released.releasedAt!.toISOString());

    // Shop and customer are told.
    const releaseEvent = (await outboxIdOf(row.id, 'order.released'))!;
    await expect.poll(() => sentFor(releaseEvent), { timeout: 10_000, interval: 200 }).toEqual(['customer.order.released/sms', 'merchant.order.released/email', 'merchant.order.released/sms']);

    // Now it waits for the merchant, from its release (not its payment): deadlines and alerts count from there.
    const ops = await createOps();
    const awaiting = await json<{ items: { orderId: string; askedAt: string; placedAt: string }[] }>(await api(`/v1/ops/orders/awaiting-merchant?cityId=${merchant.cityId}`, { token: ops }));
    expect(awaiting.items.find((i) => i.orderId === row.id)).toMatchObject({ askedAt: released.releasedAt!.toISOString(), placedAt: row.placedAt!.toISOString() });

    // Now the merchant accepts, and the order goes on as any other.
    const accepted = await api(`/v1/orders/${row.id}/accept`, { method: 'POST', token: merchant.ownerToken });
    expect(accepted.status).toBe(200);
    expect((await orderRow(row.id)).status).toBe('preparing');
  });

  it('is bounded, earliest release first, and catches up after missed runs', async () => {
    const late = await scheduledOrder(200);
    const early = await scheduledOrder(100);
    const ids = [late.row.id, early.row.id];
    // The cron was down for hours: the first run takes one (limit 1), the earliest; the next the other.
    const muchLater = new Date(late.row.releaseAt!.getTime() + 3 * 60 * MIN);
    expect(await release({ ids, now: muchLater, limit: 1 })).toMatchObject({ released: 1 });
    expect((await orderRow(early.row.id)).releasedAt).not.toBeNull();
    expect((await orderRow(late.row.id)).releasedAt).toBeNull();
    expect(await release({ ids, now: muchLater, limit: 1 })).toMatchObject({ released: 1 });
    expect((await orderRow(late.row.id)).releasedAt).not.toBeNull();
    expect(await release({ ids, now: muchLater, limit: 1 })).toMatchObject({ released: 0 });
  });
});

describe('cancelling a scheduled order', () => {
  it('is free for the customer before the release: cancelled, refunded in full, and never released', async () => {
    const { row, created } = await scheduledOrder(180);
    const res = await api(`/v1/orders/${row.id}/cancel`, { method: 'POST', token: customer.token, body: { reason: 'plans changed' } });
    expect(res.status).toBe(200);
    const cancelled = await orderRow(row.id);
    expect(cancelled.status).toBe('cancelled');
    const [payment] = await db().select().from(payments).where(eq(payments.orderId, row.id));
    expect(payment).toMatchObject({ status: 'refunded', refundedCents: row.totalCents });
    const [refund] = await db().select().from(refunds).where(eq(refunds.paymentId, payment!.id));
    expect(refund).toMatchObject({ status: 'succeeded', amountCents: row.totalCents, reason: 'requested_by_customer' });
    const atStripe = await stripeGet<{ amount: number; payment_intent: string }>(`/v1/refunds/${refund!.providerRefundId}`);
    expect(atStripe).toMatchObject({ amount: row.totalCents, payment_intent: created.payment!.clientSecret.split('_secret_')[0] });
    const shown = await json<{ refund?: { status: string; amountCents: number } }>(await api(`/v1/orders/${row.id}`, { token: customer.token }));
    expect(shown.refund).toMatchObject({ status: 'succeeded', amountCents: row.totalCents });

    expect(await release({ ids: [row.id], now: new Date(row.releaseAt!.getTime() + MIN) })).toEqual({ released: 0, skipped: 0, failed: 0 });
    expect((await history(row.id)).map((e) => e[1])).toEqual(['order.created', 'order.placed', 'order.cancelled']);
  });
});
