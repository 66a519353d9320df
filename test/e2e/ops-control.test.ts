/**
 * Operators in control and order chat (issue 15 items 4, 5), in real Chromium
 * against the whole platform: an order taken by one driver is reassigned by
 * an operator from the ops page, the first driver's app drops it and the
 * second's shows it; then the customer and the driver exchange a message each
 * way in their apps. The order itself is placed, paid and accepted through
 * the API (the journey test covers those screens).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMER, DEMO_DRIVERS, DEMO_MERCHANTS, DEMO_OPS, DEMO_PASSWORD } from '../../scripts/lib/demo-city';
import type { RunningPlatform } from '../../scripts/lib/platform';
import { signIn } from './support/apps';
import { DESKTOP, launchChromium, openPage, PHONE, type WatchedPage } from './support/browser';
import { startTestPlatform } from './support/platform';

const bistro = DEMO_MERCHANTS.find((m) => m.kind === 'restaurant')!;
const [FIRST, SECOND] = [DEMO_DRIVERS.at(-1)!, DEMO_DRIVERS.at(-2)!];
const near = (dLat: number) => ({ latitude: bistro.location.lat + dLat, longitude: bistro.location.lng + 0.001 });

describe('an operator reassigns a stuck order; customer and driver chat', () => {
  let platform: RunningPlatform | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    platform = await startTestPlatform();
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await platform?.stop();
  }, 60_000);

  async function call<T>(path: string, init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
    const res = await fetch(`${platform!.baseUrl}${path}`, {
      method: init.method ?? (init.body ? 'POST' : 'GET'),
      headers: { 'Content-Type': 'application/json', ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}), ...init.headers },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
    expect(res.status, `${path}: ${res.status}`).toBeLessThan(300);
    return (await res.json()) as T;
  }
  const tokenOf = async (email: string) => (await call<{ accessToken: string }>('/v1/auth/login', { body: { email, password: DEMO_PASSWORD } })).accessToken;

  async function driverOnline(email: string, at: { latitude: number; longitude: number }): Promise<WatchedPage> {
    const driver = await openPage(browser!, `driver-${email}`, { ...PHONE, geolocation: at, permissions: ['geolocation'] });
    await signIn(driver.page, platform!.baseUrl, 'driver', email);
    await driver.page.getByRole('button', { name: 'Go online' }).click();
    await expect.poll(() => driver.page.getByText('Sharing your position').count(), { timeout: 15_000 }).toBe(1);
    return driver;
  }

  /** Placed, paid with the test card at the local Stripe fake and accepted by the bistro: dispatch starts. */
  async function acceptedOrder(customerToken: string): Promise<string> {
    const shops = await call<{ items: { id: string; name: string }[] }>('/v1/merchants');
    const shop = shops.items.find((m) => m.name === bistro.name)!;
    const products = await call<{ items: { id: string; available: boolean }[] }>(`/v1/merchants/${shop.id}/products`);
    const product = products.items.find((p) => p.available)!;
    const created = await call<{ order: { id: string }; payment: { clientSecret: string; apiBase: string } }>('/v1/orders', {
      token: customerToken,
      headers: { 'Idempotency-Key': crypto.randomUUID() },
      body: { merchantId: shop.id, items: [{ productId: product.id, quantity: 1 }], dropoff: { address: '8 Rue de Turenne, 75004 Paris', location: { lat: 48.8553, lng: 2.3634 } } },
    });
    const { clientSecret, apiBase } = created.payment;
    const form = new URLSearchParams({ key: 'pk_test_local', client_secret: clientSecret, 'payment_method_data[type]': 'card', 'payment_method_data[card][number]': '4242424242424242', 'payment_method_data[card][exp_month]': '12', 'payment_method_data[card][exp_year]': '2035' });
    const confirmed = await fetch(`${apiBase}/v1/payment_intents/${clientSecret.split('_secret_')[0]}/confirm`, { method: 'POST', body: form });
    expect(confirmed.status).toBe(200);
    const orderId = created.order.id;
    await expect.poll(async () => (await call<{ status: string }>(`/v1/orders/${orderId}`, { token: customerToken })).status, { timeout: 15_000 }).toBe('placed');
    await call(`/v1/orders/${orderId}/accept`, { method: 'POST', token: await tokenOf(bistro.ownerEmail), body: {} });
    return orderId;
  }

  it('follows the reassignment in both drivers’ apps, and carries a chat message each way', async () => {
    const base = platform!.baseUrl;
    const first = await driverOnline(FIRST.email, near(0.001));
    const customerToken = await tokenOf(DEMO_CUSTOMER.email);
    const orderId = await acceptedOrder(customerToken);

    // The first driver takes it.
    const offer = first.page.locator(`[data-offer-id]`);
    await offer.getByRole('button', { name: 'Accept' }).click({ timeout: 20_000 });
    await first.page.locator(`section.job[data-order-id="${orderId}"]`).waitFor({ timeout: 15_000 });

    // A second driver comes online; the operator gives the order to them from the order's page.
    const second = await driverOnline(SECOND.email, near(0.002));
    const ops = await openPage(browser!, 'ops-control', DESKTOP);
    await signIn(ops.page, base, 'ops', DEMO_OPS.email);
    await ops.page.goto(`${base}/ops/orders/${orderId}`);
    const control = ops.page.getByTestId('order-control');
    await control.getByLabel('Reason (kept in the audit log)').fill('first driver stuck in traffic');
    await control.getByLabel('Reassign to').selectOption({ label: `${SECOND.name} (${await vehicleOf(SECOND.email)})` });
    await control.getByRole('button', { name: 'Reassign' }).click();
    await control.getByText('Assigned.').waitFor({ timeout: 15_000 });

    await expect.poll(() => first.page.getByText('An operator gave this order to another driver').count(), { timeout: 15_000 }).toBe(1);
    expect(await first.page.locator(`section.job[data-order-id="${orderId}"]`).count()).toBe(0);
    const job = second.page.locator(`section.job[data-order-id="${orderId}"]`);
    await job.waitFor({ timeout: 15_000 });

    // Chat: the customer writes to the driver, the driver answers, each sees the other's message live.
    const customer = await openPage(browser!, 'customer-chat', PHONE);
    await signIn(customer.page, base, 'customer', DEMO_CUSTOMER.email);
    await customer.page.goto(`${base}/customer/orders/${orderId}`);
    const customerChat = customer.page.getByTestId('chat-customer_driver');
    await customerChat.getByLabel('Your message').fill('Please ring twice');
    await customerChat.getByRole('button', { name: 'Send' }).click();
    const driverChat = job.getByTestId('chat-customer_driver');
    await driverChat.getByText('Please ring twice').waitFor({ timeout: 15_000 });
    await driverChat.getByLabel('Your message').fill('On my way, 5 minutes');
    await driverChat.getByRole('button', { name: 'Send' }).click();
    await customerChat.getByText('On my way, 5 minutes').waitFor({ timeout: 15_000 });
    // The phone numbers are never on either page.
    expect(await customer.page.content()).not.toContain(SECOND.phone);
    expect(await second.page.content()).not.toContain(DEMO_CUSTOMER.phone);

    async function vehicleOf(email: string): Promise<string> {
      const roster = await call<{ items: { name: string | null; vehicle: string }[] }>(`/v1/ops/drivers?cityId=${await cityOf()}`, { token: await tokenOf(DEMO_OPS.email) });
      return roster.items.find((d) => d.name === DEMO_DRIVERS.find((x) => x.email === email)!.name)!.vehicle;
    }
    async function cityOf(): Promise<string> {
      return (await call<{ items: { id: string }[] }>('/v1/cities')).items[0]!.id;
    }
  }, 180_000);
});
