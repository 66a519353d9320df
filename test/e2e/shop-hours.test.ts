/**
 * Open/closed, the fee and the ETA before checkout, in real Chromium against
 * the whole platform (issue 15, item 3; ADR 0110, 0111). The demo bakery is
 * given hours that start three hours from now (Paris time), so the test does
 * not depend on the hour it runs at: its page says "Closed · Opens at …" and
 * an order there is refused with the reason; the bistro, open around the
 * clock, shows "Open", the delivery fee and an ETA for the chosen address.
 */
import postgres from 'postgres';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMER, DEMO_MERCHANTS } from '../../scripts/lib/demo-city';
import type { RunningPlatform } from '../../scripts/lib/platform';
import { signIn } from './support/apps';
import { DESKTOP, launchChromium, openPage, screenshot } from './support/browser';
import { startTestPlatform } from './support/platform';

const bistro = DEMO_MERCHANTS.find((m) => m.kind === 'restaurant')!;
const bakery = DEMO_MERCHANTS.find((m) => m.openingHours)!;
const HOME = '8 Rue de Turenne, 75004 Paris';

/** Every day open 01:00 long from Paris's hour + 3. */
function hoursFromNow(): { opens: string; hours: unknown } {
  const parisHour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', hourCycle: 'h23' }).format(new Date()));
  const hh = (h: number) => `${String(h % 24).padStart(2, '0')}:00`;
  const day = [{ open: hh(parisHour + 3), close: hh(parisHour + 4) }];
  return { opens: hh(parisHour + 3), hours: { weekly: Object.fromEntries(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((d) => [d, day])) } };
}

describe('shop hours, fee and ETA before checkout', () => {
  let platform: RunningPlatform | undefined;
  let browser: Browser | undefined;
  let sql: ReturnType<typeof postgres> | undefined;

  beforeAll(async () => {
    platform = await startTestPlatform();
    browser = await launchChromium();
    sql = postgres(platform.databaseUrl, { max: 1 });
  }, 240_000);

  afterAll(async () => {
    await sql?.end().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await platform?.stop();
  }, 60_000);

  it('shows a closed shop with its next opening and refuses its order; an open one with the fee and an ETA', async () => {
    const { opens, hours } = hoursFromNow();
    await sql!`update merchants set opening_hours = ${sql!.json(hours as never)} where name = ${bakery.name}`;
    const base = platform!.baseUrl;
    const customer = await openPage(browser!, 'customer', DESKTOP);
    await signIn(customer.page, base, 'customer', DEMO_CUSTOMER.email);
    await customer.page.getByLabel('Choose an address').selectOption({ label: HOME });

    // The bakery: closed by its hours, with when it opens, before any checkout.
    await customer.page.getByRole('link', { name: bakery.name }).first().click();
    await customer.page.getByRole('heading', { name: bakery.name }).waitFor();
    const state = customer.page.getByTestId('shop-open-state');
    await expect.poll(() => state.textContent(), { timeout: 10_000 }).toMatch(new RegExp(`Closed.*Opens (\\w+ )?at ${opens}`));
    await expect.poll(() => customer.page.getByTestId('delivery-eta').textContent(), { timeout: 10_000 }).toMatch(new RegExp(`Opens (\\w+ )?at ${opens}`));
    await screenshot(customer.page, 'shop-closed-by-hours');

    // Ordering anyway: the checkout shows the refusal, and no payment step comes.
    await customer.page.getByRole('button', { name: 'Add Croissant au beurre to the cart' }).click();
    await customer.page.getByRole('link', { name: 'Go to checkout' }).click();
    await customer.page.getByRole('button', { name: 'Place order', exact: true }).click();
    await expect.poll(() => customer.page.getByRole('alert').first().textContent(), { timeout: 15_000 }).toMatch(new RegExp(`is closed; it opens at ${opens}`));
    expect(await customer.page.locator('form[data-checkout="test-card"]').count()).toBe(0);
    await screenshot(customer.page, 'checkout-refused-closed');

    // The bistro: open, the fee and an ETA for the chosen address.
    await customer.page.goto(`${base}/customer`);
    await customer.page.getByRole('link', { name: bistro.name }).first().click();
    await customer.page.getByRole('heading', { name: bistro.name }).waitFor();
    await expect.poll(() => customer.page.getByTestId('shop-open-state').textContent(), { timeout: 10_000 }).toMatch(/^Open Taking orders · ready in about \d+ min/);
    await expect.poll(() => customer.page.getByTestId('delivery-fee').first().textContent(), { timeout: 10_000 }).toMatch(/Delivery \(.+\)€\d+\.\d{2}/);
    expect(await customer.page.getByTestId('delivery-eta').first().textContent()).toMatch(/^Arrives in about \d+ min \(around \d{2}:\d{2}\)/);
    await screenshot(customer.page, 'shop-open-fee-eta');
  }, 120_000);
});
