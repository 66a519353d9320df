/**
 * What POST /v1/orders tells the customer app about paying (ADR 0054, 0071):
 * in local mode where the Stripe fake is and the key it accepts (the
 * test-card checkout); in production Stripe's publishable key for the
 * Payment Element, and never an API base to post card numbers to.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import worker from '../support/worker-entry';
import { createCity, createCustomer, createMerchant, createProduct, newKey, orderBody, type Customer } from './helpers/commerce';

let customer: Customer;
let body: ReturnType<typeof orderBody>;

beforeAll(async () => {
  const cityId = await createCity();
  const merchant = await createMerchant(cityId);
  customer = await createCustomer();
  body = orderBody(merchant.merchantId, [{ productId: await createProduct(merchant.merchantId, 1200), quantity: 1 }]);
});

async function paymentWith(vars: Partial<Env>): Promise<Record<string, unknown>> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request('http://platform.test/v1/orders', {
      method: 'POST',
      headers: { Authorization: `Bearer ${customer.token}`, 'Content-Type': 'application/json', 'Idempotency-Key': newKey() },
      body: JSON.stringify(body),
    }),
    { ...env, ...vars } as Env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { payment: Record<string, unknown> }).payment;
}

describe('the payment part of POST /v1/orders', () => {
  it('in production: the client secret and Stripe’s publishable key, no API base', async () => {
    const payment = await paymentWith({ APP_ENV: 'production', STRIPE_PUBLISHABLE_KEY: 'pk_live_51Example' });
    expect(payment.clientSecret).toMatch(/^pi_.+_secret_.+$/);
    expect(payment.publishableKey).toBe('pk_live_51Example');
    expect(payment).not.toHaveProperty('apiBase');
  });

  it('in production without a configured key: the client secret alone', async () => {
    const payment = await paymentWith({ APP_ENV: 'production', STRIPE_PUBLISHABLE_KEY: '' });
    expect(Object.keys(payment)).toEqual(['clientSecret']);
  });

  it('in local mode: the Stripe fake and the key it accepts, whatever the configured key', async () => {
    const payment = await paymentWith({ APP_ENV: 'local', STRIPE_PUBLISHABLE_KEY: 'pk_live_51Example' });
    expect(payment).toMatchObject({ apiBase: env.STRIPE_API_BASE, publishableKey: 'pk_test_local' });
  });
});
