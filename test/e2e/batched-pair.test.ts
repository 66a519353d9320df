/**
 * A batched pair in real Chromium against the whole platform (ADR 0105): one
 * driver on the phone layout takes an order from the bistro; a second order
 * from the same shop, heading the same way, comes as one stacked offer
 * naming both shops with the pay of both; once accepted the route panel
 * shows the four stops and the next one's order on top, and the driver
 * delivers both, each with its own code. The customer and shop side are
 * driven through the API (the journey test covers their pages).
 */
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMER, DEMO_DRIVERS, DEMO_MERCHANTS, DEMO_PASSWORD } from '../../scripts/lib/demo-city';
import type { RunningPlatform } from '../../scripts/lib/platform';
import { SimAccount, SimApi } from '../../scripts/lib/simulator/client';
import { signIn } from './support/apps';
import { launchChromium, openPage, PHONE, screenshot, type WatchedPage } from './support/browser';
import { startTestPlatform } from './support/platform';

const bistro = DEMO_MERCHANTS.find((m) => m.kind === 'restaurant')!;
const DRIVER = DEMO_DRIVERS.at(-2)!;
/** Both customers live ~1.2 km east of the bistro: the two trips head the same way. */
const east = (m: number, north = 0) => ({ lat: bistro.location.lat + north / 111_195, lng: bistro.location.lng + m / (111_195 * Math.cos((bistro.location.lat * Math.PI) / 180)) });

describe('a batched pair', () => {
  let platform: RunningPlatform | undefined;
  let browser: Browser | undefined;
  let api: SimApi | undefined;

  beforeAll(async () => {
    platform = await startTestPlatform();
    browser = await launchChromium();
    api = new SimApi(platform.baseUrl, 60, undefined);
  }, 240_000);

  afterAll(async () => {
    api?.stop();
    await browser?.close().catch(() => undefined);
    await platform?.stop();
  }, 60_000);

  /** An order from the bistro, paid with the test card at the Stripe fake and accepted by its owner; its delivery code. */
  async function acceptedOrder(customer: SimAccount, owner: SimAccount, dropoff: { lat: number; lng: number }): Promise<{ id: string; pin: string }> {
    const merchants = await customer.call<{ items: { id: string; name: string }[] }>(`/v1/merchants?limit=100`);
    const shop = merchants.items.find((m) => m.name === bistro.name)!;
    const products = await customer.call<{ items: { id: string; available?: boolean }[] }>(`/v1/merchants/${shop.id}/products?limit=100`);
    const created = await customer.call<{ order: { id: string }; payment?: { clientSecret: string; apiBase?: string; publishableKey?: string } }>('/v1/orders', {
      method: 'POST',
      json: { merchantId: shop.id, items: [{ productId: products.items[0]!.id, quantity: 1 }], dropoff: { address: '12 Rue de Bretagne, Paris', location: dropoff } },
      headers: { 'Idempotency-Key': randomUUID() },
    });
    const id = created.order.id;
    const payment = created.payment!;
    const confirm = await fetch(`${payment.apiBase!.replace(/\/$/, '')}/v1/payment_intents/${payment.clientSecret.split('_secret_')[0]}/confirm`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ key: payment.publishableKey ?? 'pk_test_local', client_secret: payment.clientSecret, 'payment_method_data[type]': 'card', 'payment_method_data[card][number]': '4242424242424242', 'payment_method_data[card][exp_month]': '12', 'payment_method_data[card][exp_year]': '2030', 'payment_method_data[card][cvc]': '123' }),
    });
    expect(confirm.ok).toBe(true);
    let pin = '';
    await expect.poll(async () => (pin = (await customer.call<{ deliveryPin?: string }>(`/v1/orders/${id}`)).deliveryPin ?? ''), { timeout: 20_000 }).not.toBe('');
    await owner.call(`/v1/orders/${id}/accept`, { method: 'POST' });
    return { id, pin };
  }

  async function deliverNext(driver: WatchedPage, orderId: string, pin: string): Promise<void> {
    const job = driver.page.locator(`section.job[data-order-id="${orderId}"]`).first();
    await job.getByLabel('Delivery code').fill(pin);
    await job.getByRole('button', { name: 'Confirm delivery' }).click();
  }

  it('one driver gets both orders on one stacked offer, follows the route and delivers both with their own codes', async () => {
    const base = platform!.baseUrl;
    const customer = new SimAccount(api!, DEMO_CUSTOMER.email, DEMO_PASSWORD);
    const owner = new SimAccount(api!, bistro.ownerEmail, DEMO_PASSWORD);

    const driver = await openPage(browser!, 'driver-batch', { ...PHONE, geolocation: { latitude: bistro.location.lat + 0.001, longitude: bistro.location.lng }, permissions: ['geolocation'] });
    await signIn(driver.page, base, 'driver', DRIVER.email);
    await driver.page.getByRole('button', { name: 'Go online' }).click();
    await expect.poll(() => driver.page.getByText('Connection: Live').count(), { timeout: 15_000 }).toBe(1);

    // The first order: a normal offer.
    const first = await acceptedOrder(customer, owner, east(1_200, 100));
    const offer1 = driver.page.locator('[data-offer-id]');
    await offer1.waitFor({ timeout: 20_000 });
    expect(await offer1.getByTestId('offer-batch').count()).toBe(0);
    await offer1.getByRole('button', { name: 'Accept' }).click();
    await driver.page.locator(`section.job[data-order-id="${first.id}"]`).waitFor({ timeout: 15_000 });

    // The second, from the same shop the same way: stacked on the first, both named, the pay of both.
    const second = await acceptedOrder(customer, owner, east(1_400, -100));
    const offer2 = driver.page.locator('[data-offer-id]');
    await offer2.waitFor({ timeout: 20_000 });
    await offer2.getByTestId('offer-batch').waitFor();
    expect(await offer2.getByRole('heading').first().textContent()).toBe('Add a second order to your trip');
    expect(await offer2.getByTestId('offer-batch').textContent()).toContain(bistro.name);
    expect(await offer2.getByTestId('offer-pay').textContent()).toMatch(/\d/);
    expect(await offer2.textContent()).toContain('for both orders');
    await screenshot(driver.page, 'batch-offer');
    await offer2.getByRole('button', { name: 'Accept' }).click();

    // The route: four stops, the next one's order on top.
    const route = driver.page.getByTestId('batch-route');
    await route.waitFor({ timeout: 15_000 });
    expect(await route.locator('li').count()).toBe(4);
    await screenshot(driver.page, 'batch-route');

    // The shop is done with both; the driver follows the route: at each stop the panel on screen is that stop's order.
    for (const o of [first, second]) await owner.call(`/v1/orders/${o.id}/ready`, { method: 'POST' });
    const stops = await route.locator('li').evaluateAll((items) => items.map((li) => li.getAttribute('data-stop')!));
    expect(stops.slice(0, 2).every((s) => s.startsWith('pickup:'))).toBe(true);
    const pins = new Map([first, second].map((o) => [o.id, o.pin]));
    for (const stop of stops) {
      const [kind, orderId] = stop.split(':') as ['pickup' | 'dropoff', string];
      const job = driver.page.locator(`section.job[data-order-id="${orderId}"]`).first();
      await job.waitFor({ state: 'visible', timeout: 15_000 });
      if (kind === 'pickup') {
        const arrived = job.getByRole('button', { name: 'I have arrived' });
        if (await arrived.isVisible().catch(() => false)) await arrived.click();
        await job.getByRole('button', { name: 'Picked up' }).click();
      } else {
        await job.getByLabel('Delivery code').waitFor({ state: 'visible', timeout: 15_000 });
        await deliverNext(driver, orderId, pins.get(orderId)!);
        await expect.poll(async () => (await customer.call<{ status: string }>(`/v1/orders/${orderId}`)).status, { timeout: 15_000 }).toBe('delivered');
      }
      await expect.poll(() => route.locator(`[data-stop="${stop}"]`).getAttribute('data-done').catch(() => 'true'), { timeout: 15_000 }).toBe('true');
    }
    await screenshot(driver.page, 'batch-delivered');
  }, 240_000);
});
