/**
 * The refund backstop re-reads Stripe before it asks again (services/payments/
 * payments.ts `retryPendingRefunds`). The fault: a refund Stripe made while
 * we lost its answer (our row stays `pending` without a provider id, and the
 * idempotency key no longer replays: Stripe keeps keys 24 hours, the local
 * fake forgets them on restart). Checked against Postgres and the Stripe fake
 * through the SDK: recorded once, never made twice.
 */
import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { payments, refunds } from '../../db/schema/index';
import { paymentProvider } from '../../workers/providers/payments/index';
import { retryPendingRefunds } from '../../workers/services/payments/payments';
import { api, createShop, db, injectStripeFault, intentIdOf, orderBody, payOrder, placeOrder, stripeGet, type Customer, type TestMerchant } from './helpers/commerce';

let merchant: TestMerchant;
let customer: Customer;
let dish: string;

beforeAll(async () => {
  ({ merchant, customer, product: dish } = await createShop(1200));
});

/** A paid order cancelled while Stripe refused the refund call: our refund row is pending, Stripe has nothing. */
async function cancelledWithPendingRefund() {
  const created = await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: dish, quantity: 1 }]));
  await payOrder(created);
  const intentId = intentIdOf(created.payment!.clientSecret);
  await injectStripeFault({ count: 2, status: 503, path: '/v1/refunds', bodyIncludes: `payment_intent=${intentId}` });
  expect((await api(`/v1/orders/${created.order.id}/cancel`, { method: 'POST', token: customer.token, body: {} })).status).toBe(200);
  const [payment] = await db().select().from(payments).where(eq(payments.orderId, created.order.id));
  const [refund] = await db().select().from(refunds).where(eq(refunds.paymentId, payment!.id));
  expect(refund).toMatchObject({ status: 'pending', providerRefundId: null, amountCents: payment!.amountCents });
  expect(await refundsAtStripe(intentId)).toEqual([]);
  return { intentId, payment: payment!, refundId: refund!.id };
}

const refundsAtStripe = async (intentId: string) => (await stripeGet<{ data: { id: string; amount: number; metadata: Record<string, string> }[] }>(`/v1/refunds?payment_intent=${intentId}&limit=100`)).data;
const refundRow = async (id: string) => (await db().select().from(refunds).where(eq(refunds.id, id)))[0]!;
const paymentRow = async (id: string) => (await db().select().from(payments).where(eq(payments.id, id)))[0]!;

describe('refund retry', () => {
  it('records a refund Stripe already made while we lost its answer, and makes no second one', async () => {
    const { intentId, payment, refundId } = await cancelledWithPendingRefund();
    // Stripe did refund (our request went through; the answer never came back), under a key that no longer replays.
    const made = await fetch(`${env.STRIPE_API_BASE}/v1/refunds`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${env.STRIPE_SECRET_KEY}`, 'Content-Type': 'application/x-www-form-urlencoded', 'Idempotency-Key': `lost-${refundId}` },
      body: new URLSearchParams({ payment_intent: intentId, amount: String(payment.amountCents), 'metadata[refund_id]': refundId, reason: 'requested_by_customer' }),
    });
    expect(made.status).toBe(200);
    const stripeRefund = (await made.json()) as { id: string };

    const run = await retryPendingRefunds(db(), paymentProvider(env), 0, { ids: [refundId] });
    expect(run).toMatchObject({ checked: 1, recovered: 1, requested: 0, failed: 0 });
    expect(await refundRow(refundId)).toMatchObject({ status: 'succeeded', providerRefundId: stripeRefund.id });
    expect(await paymentRow(payment.id)).toMatchObject({ status: 'refunded', refundedCents: payment.amountCents });
    expect((await refundsAtStripe(intentId)).map((r) => r.id)).toEqual([stripeRefund.id]);

    // Settled: later runs have nothing to do.
    expect((await retryPendingRefunds(db(), paymentProvider(env), 0, { ids: [refundId] })).checked).toBe(0);
    expect(await refundsAtStripe(intentId)).toHaveLength(1);
  });

  it('asks Stripe once for a refund it never made, with our row id on it', async () => {
    const { intentId, payment, refundId } = await cancelledWithPendingRefund();
    expect(await retryPendingRefunds(db(), paymentProvider(env), 0, { ids: [refundId] })).toMatchObject({ checked: 1, recovered: 0, requested: 1 });
    const atStripe = await refundsAtStripe(intentId);
    expect(atStripe).toHaveLength(1);
    expect(atStripe[0]).toMatchObject({ amount: payment.amountCents, metadata: { refund_id: refundId } });
    expect(await refundRow(refundId)).toMatchObject({ status: 'succeeded', providerRefundId: atStripe[0]!.id });
    expect(await paymentRow(payment.id)).toMatchObject({ status: 'refunded' });
  });

  it('re-reads a refund Stripe had called pending, and records it once it succeeded', async () => {
    const { intentId, payment, refundId } = await cancelledWithPendingRefund();
    expect((await retryPendingRefunds(db(), paymentProvider(env), 0, { ids: [refundId] })).requested).toBe(1);
    // As if Stripe had answered `pending` and the payment were not rolled up yet.
    await db().update(refunds).set({ status: 'pending' }).where(eq(refunds.id, refundId));
    await db().update(payments).set({ status: 'succeeded', refundedCents: 0 }).where(eq(payments.id, payment.id));
    expect(await retryPendingRefunds(db(), paymentProvider(env), 0, { ids: [refundId] })).toMatchObject({ checked: 1, reread: 1, requested: 0 });
    expect(await refundRow(refundId)).toMatchObject({ status: 'succeeded' });
    expect(await paymentRow(payment.id)).toMatchObject({ status: 'refunded', refundedCents: payment.amountCents });
    expect(await refundsAtStripe(intentId)).toHaveLength(1);
  });
});
