/**
 * The payment reconciliation sweep (services/payments/reconcile.ts): a
 * customer paid but the webhook never reached us; the cron re-reads the
 * PaymentIntent from Stripe (the fake, through the real SDK) and places the
 * order exactly once, however often it runs and even if the webhook comes late.
 */
import { env } from 'cloudflare:workers';
import { asc, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { orders, orderStatusEvents, payments } from '../../db/schema/index';
import { paymentProvider } from '../../workers/providers/payments/index';
import { reconcilePendingPayments } from '../../workers/services/payments/reconcile';
import { createShop, db, deliverAll, intentIdOf, orderBody, payWithCard, placeOrder, type Customer, type TestMerchant } from './helpers/commerce';

let merchant: TestMerchant;
let customer: Customer;
let dish: string;

beforeAll(async () => {
  ({ merchant, customer, product: dish } = await createShop(1500));
});

const logOf = (orderId: string) => db().select().from(orderStatusEvents).where(eq(orderStatusEvents.orderId, orderId)).orderBy(asc(orderStatusEvents.seq));
const statusOf = async (orderId: string) => (await db().select({ status: orders.status }).from(orders).where(eq(orders.id, orderId)))[0]!.status;

describe('payment reconciliation', () => {
  it('places a paid order whose webhook was lost, once, and a late webhook changes nothing', async () => {
    const created = await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: dish, quantity: 1 }]));
    const clientSecret = created.payment!.clientSecret;
    // Paid at Stripe; the webhook is never delivered.
    expect((await payWithCard(clientSecret)).status).toBe(200);
    const orderId = created.order.id;
    expect(await statusOf(orderId)).toBe('pending_payment');

    // Too young for the sweep: left alone.
    expect((await reconcilePendingPayments(db(), paymentProvider(env), { olderThanMs: 60 * 60_000 })).checked).toBe(0);

    const run = await reconcilePendingPayments(db(), paymentProvider(env), { olderThanMs: 0 });
    expect(run.placed).toBeGreaterThanOrEqual(1);
    expect(await statusOf(orderId)).toBe('placed');
    const [payment] = await db().select().from(payments).where(eq(payments.orderId, orderId));
    expect(payment).toMatchObject({ status: 'succeeded', providerPaymentId: intentIdOf(clientSecret) });
    const log = await logOf(orderId);
    expect(log.map((e) => [e.seq, e.type, e.actorType])).toEqual([[1, 'order.created', 'customer'], [2, 'order.placed', 'stripe']]);

    // Again, and then the real webhook arriving late: nothing more.
    await reconcilePendingPayments(db(), paymentProvider(env), { olderThanMs: 0 });
    await deliverAll(intentIdOf(clientSecret));
    expect((await logOf(orderId)).length).toBe(2);
    expect(await statusOf(orderId)).toBe('placed');
  });

  it('leaves an order whose customer has not paid yet, and one whose payment was declined', async () => {
    const unpaid = await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: dish, quantity: 1 }]));
    const declined = await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: dish, quantity: 2 }]));
    await payWithCard(declined.payment!.clientSecret, '4000 0000 0000 0002');
    await reconcilePendingPayments(db(), paymentProvider(env), { olderThanMs: 0 });
    expect(await statusOf(unpaid.order.id)).toBe('pending_payment');
    expect(await statusOf(declined.order.id)).toBe('pending_payment');
    expect((await logOf(declined.order.id)).length).toBe(1);
  });
});
