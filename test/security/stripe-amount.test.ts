/**
 * A payment places an order only for the money the order asked for
 * (workers/services/payments/amount-check.ts). The order is paid at the
 * Stripe fake through the real SDK; its genuine `payment_intent.succeeded`
 * is then altered (amount 1, or another currency) and signed with the
 * webhook secret through the SDK, as Stripe would sign it. Before the check
 * such an event placed the order.
 */
import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { auditLog, orders, refunds } from '../../db/schema/index';
import { paymentProvider } from '../../workers/providers/payments/index';
import { reconcilePendingPayments } from '../../workers/services/payments/reconcile';
import {
  createShop, db, deliverWebhook, intentIdOf, json, orderBody, paymentRow, payWithCard, placeOrder, signStripePayload, stripeEvents, stripeGet, type CreatedOrder, type Customer, type TestMerchant,
} from '../workers/helpers/commerce';

let merchant: TestMerchant;
let customer: Customer;
let dish: string;

beforeAll(async () => {
  ({ merchant, customer, product: dish } = await createShop(4000));
});

let logged: string[] = [];
beforeEach(() => {
  logged = [];
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
});
afterEach(() => vi.restoreAllMocks());

/** An order paid at the fake, and its genuine succeeded event (not delivered). */
async function paidOrder(): Promise<{ created: CreatedOrder; event: { id: string; payload: string } }> {
  const created = await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: dish, quantity: 1 }]));
  expect((await payWithCard(created.payment!.clientSecret)).status).toBe(200);
  const [event] = await stripeEvents(intentIdOf(created.payment!.clientSecret), 'payment_intent.succeeded');
  return { created, event: event! };
}

/** The same event with its PaymentIntent changed, under a new event id, signed with the webhook secret. */
async function altered(event: { payload: string }, change: Record<string, unknown>) {
  const body = JSON.parse(event.payload) as { id: string; data: { object: Record<string, unknown> } };
  body.id = `evt_altered_${crypto.randomUUID().replaceAll('-', '')}`;
  Object.assign(body.data.object, change);
  const payload = JSON.stringify(body);
  return { id: body.id, payload, signature: await signStripePayload(payload) };
}

const statusOf = async (id: string) => (await db().select({ status: orders.status, cancelReason: orders.cancelReason }).from(orders).where(eq(orders.id, id)))[0]!;

describe('V11.1.5 API10:2023 unsafe consumption of APIs: a Stripe payment of the wrong amount never places the order', () => {
  it('amount 1 on a €44 order: not placed, cancelled, the cent refunded at Stripe once, raised to operators', async () => {
    const { created, event } = await paidOrder();
    expect(created.order.totals.totalCents).toBeGreaterThan(4000);
    const forged = await altered(event, { amount: 1, amount_received: 1 });
    const res = await deliverWebhook(forged);
    expect(res.status).toBe(200);
    expect((await json<{ effect: string }>(res)).effect).toMatch(/amount mismatch.*order cancelled.*refund/);

    expect(await statusOf(created.order.id)).toEqual({ status: 'cancelled', cancelReason: 'payment amount mismatch' });
    // Recorded failed with the reason; once Stripe confirms the refund, the cent shows as refunded (never as paid).
    expect(await paymentRow(created.order.id)).toMatchObject({ status: 'partially_refunded', refundedCents: 1, failureReason: `amount_mismatch: received 1 EUR, expected ${created.order.totals.totalCents} EUR` });
    const payment = (await paymentRow(created.order.id))!;
    const rows = await db().select().from(refunds).where(eq(refunds.paymentId, payment.id));
    expect(rows).toMatchObject([{ amountCents: 1, reason: 'amount_mismatch', status: 'succeeded' }]);
    const atStripe = await stripeGet<{ data: { amount: number }[] }>(`/v1/refunds?payment_intent=${intentIdOf(created.payment!.clientSecret)}`);
    expect(atStripe.data.map((r) => r.amount)).toEqual([1]);

    const [audit] = await db().select().from(auditLog).where(and(eq(auditLog.action, 'payment.amount_mismatch'), eq(auditLog.targetId, created.order.id)));
    expect(audit?.metadata).toMatchObject({ expectedCents: created.order.totals.totalCents, receivedCents: 1, expectedCurrency: 'EUR', receivedCurrency: 'EUR' });
    expect(logged.some((l) => l.includes('payment amount mismatch') && l.includes(created.order.id))).toBe(true);

    // The same event again, and the real one afterwards: nothing more is refunded, the order stays cancelled.
    expect((await json<{ duplicate: boolean }>(await deliverWebhook(forged))).duplicate).toBe(true);
    const again = await altered(event, { amount: 1, amount_received: 1 });
    await deliverWebhook(again);
    expect((await stripeGet<{ data: unknown[] }>(`/v1/refunds?payment_intent=${intentIdOf(created.payment!.clientSecret)}`)).data).toHaveLength(1);
    expect((await statusOf(created.order.id)).status).toBe('cancelled');
  });

  it('the right amount in another currency is a mismatch too', async () => {
    const { created, event } = await paidOrder();
    const res = await deliverWebhook(await altered(event, { currency: 'usd' }));
    expect(res.status).toBe(200);
    expect((await statusOf(created.order.id)).status).toBe('cancelled');
    expect((await paymentRow(created.order.id))!.failureReason).toMatch(/USD, expected \d+ EUR/);
  });

  it('the genuine event still places the order', async () => {
    const { created, event } = await paidOrder();
    const res = await deliverWebhook({ payload: event.payload, signature: await signStripePayload(event.payload) });
    expect((await json<{ effect: string }>(res)).effect).toBe('payment succeeded, order placed');
    expect((await statusOf(created.order.id)).status).toBe('placed');
  });

  it('a mismatched event for an order already paid in full changes nothing and is raised', async () => {
    const { created, event } = await paidOrder();
    await deliverWebhook({ payload: event.payload, signature: await signStripePayload(event.payload) });
    const res = await deliverWebhook(await altered(event, { amount: 1, amount_received: 1 }));
    expect((await json<{ effect: string }>(res)).effect).toMatch(/already captured: unchanged/);
    expect((await statusOf(created.order.id)).status).toBe('placed');
    expect(await paymentRow(created.order.id)).toMatchObject({ status: 'succeeded', refundedCents: 0 });
    expect(logged.some((l) => l.includes('amount mismatch'))).toBe(true);
  });

  it('the reconciliation sweep compares the amount Stripe reports as well', async () => {
    const { created } = await paidOrder();
    // The payment row asks for more than the intent holds: as if the order had been repriced behind Stripe's back.
    const payment = (await paymentRow(created.order.id))!;
    const { payments } = await import('../../db/schema/index');
    await db().update(payments).set({ amountCents: payment.amountCents + 100 }).where(eq(payments.id, payment.id));
    await reconcilePendingPayments(db(), paymentProvider(env), { olderThanMs: 0 });
    expect((await statusOf(created.order.id)).status).toBe('cancelled');
  });
});
