/**
 * A scheduled order in real Chromium against the whole platform (ADR 0108):
 * the customer picks a delivery window at checkout and pays; the customer's
 * page and the merchant's board say "Scheduled for …" and the board offers
 * no Accept while the order is held; then the release time comes (the
 * order's release_at is moved to now in Postgres — the clock jumps — and the
 * minute cron is triggered as the local cron service does), the board shows
 * it as new work with Accept, and the merchant accepts it.
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
const HOME = '8 Rue de Turenne, 75004 Paris';

describe('a scheduled order', () => {
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

  it('is placed and paid for a later window, held from the merchant, then released by the cron and accepted', async () => {
    const base = platform!.baseUrl;

    // The customer orders for a later window and pays with the test card.
    const customer = await openPage(browser!, 'customer', DESKTOP);
    await signIn(customer.page, base, 'customer', DEMO_CUSTOMER.email);
    await customer.page.getByLabel('Choose an address').selectOption({ label: HOME });
    await customer.page.getByRole('link', { name: bistro.name }).first().click();
    await customer.page.getByRole('heading', { name: bistro.name }).waitFor();
    await customer.page.getByRole('button', { name: 'Add Croque-monsieur to the cart' }).click();
    await customer.page.getByRole('link', { name: 'Go to checkout' }).click();
    await customer.page.getByLabel('Schedule for later').check();
    const windowLabel = (await customer.page.getByLabel('Window').locator('option:checked').textContent())!.trim();
    expect(windowLabel).toMatch(/^\w{3} \d{1,2} \w{3}, \d{2}:\d{2}–\d{2}:\d{2}$/);
    await screenshot(customer.page, 'scheduled-checkout');
    await customer.page.getByRole('button', { name: 'Place order', exact: true }).click();
    await customer.page.locator('form[data-checkout="test-card"]').waitFor({ timeout: 15_000 });
    await customer.page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await customer.page.getByLabel('CVC').fill('123');
    await customer.page.getByRole('button', { name: /^Pay / }).click();
    await customer.page.waitForURL(/\/customer\/orders\/ord_[0-9a-z]+$/, { timeout: 20_000 });
    const orderId = new URL(customer.page.url()).pathname.split('/').pop()!;
    await customer.page.getByTestId('delivery-pin').waitFor({ timeout: 20_000 });
    const scheduled = customer.page.getByTestId('scheduled-for');
    await scheduled.waitFor();
    expect(await scheduled.textContent()).toContain(`Scheduled for ${windowLabel}`);
    expect(await scheduled.getAttribute('data-held')).toBe('true');
    expect(await scheduled.textContent()).toContain('goes to the shop at');
    expect(await customer.page.getByTestId('tracking-headline').textContent()).toContain('Paid and scheduled');
    await screenshot(customer.page, 'scheduled-customer-held');

    // The merchant sees it on the board, scheduled, held: no Accept, not counted as new.
    const merchant = await openPage(browser!, 'merchant', DESKTOP);
    await signIn(merchant.page, base, 'merchant', bistro.ownerEmail);
    const card = merchant.page.locator(`[data-order-id="${orderId}"]`);
    await card.waitFor({ timeout: 15_000 });
    expect(await card.getAttribute('data-status')).toBe('placed');
    expect(await card.getByTestId('scheduled-for').textContent()).toContain(`Scheduled for ${windowLabel}`);
    expect(await card.getByRole('button', { name: 'Accept' }).count()).toBe(0);
    expect(await merchant.page.getByTestId('new-orders-badge').count()).toBe(0);
    await screenshot(merchant.page, 'scheduled-merchant-held');

    // The release time comes: the clock jumps (release_at moved to now), and the minute cron runs.
    const [row] = await sql!`update orders set release_at = now() - interval '1 second' where id = ${orderId} and released_at is null returning release_at`;
    expect(row).toBeDefined();
    const cron = await fetch(`${base}/cdn-cgi/local/scheduled?cron=${encodeURIComponent('* * * * *')}`);
    expect(cron.ok).toBe(true);
    await expect.poll(async () => (await sql!`select released_at from orders where id = ${orderId}`)[0]?.released_at ?? null, { timeout: 20_000 }).not.toBeNull();

    // The board follows without a reload: Accept appears, the order counts as new, and the merchant accepts.
    await card.getByRole('button', { name: 'Accept' }).waitFor({ timeout: 15_000 });
    await expect.poll(() => merchant.page.getByTestId('new-orders-badge').textContent(), { timeout: 10_000 }).toContain('1 new');
    await expect.poll(() => card.getByTestId('scheduled-for').getAttribute('data-held'), { timeout: 10_000 }).toBe('false');
    await screenshot(merchant.page, 'scheduled-merchant-released');
    await card.getByRole('button', { name: 'Accept' }).click();
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 10_000 }).toBe('preparing');

    // The customer's page shows it released and being prepared.
    await customer.page.reload();
    await expect.poll(() => customer.page.getByTestId('scheduled-for').getAttribute('data-held'), { timeout: 15_000 }).toBe('false');
    expect(await customer.page.getByTestId('scheduled-for').textContent()).toContain('with the shop since');
    await screenshot(customer.page, 'scheduled-customer-released');

    // Its history has the release, by the platform, between placement and acceptance.
    const events = await sql!`select type, actor_type from order_status_events where order_id = ${orderId} order by seq`;
    expect(events.map((e) => `${e.type}/${e.actor_type}`)).toEqual(['order.created/customer', 'order.placed/stripe', 'order.released/system', 'order.preparing/merchant']);
  }, 180_000);
});
