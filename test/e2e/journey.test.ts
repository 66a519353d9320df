/**
 * One order across the apps, in real Chromium against the whole platform
 * (Postgres, workerd, the Stripe fake): a customer orders and pays with the
 * test card, the merchant accepts and marks ready, a driver gets the offer,
 * accepts, picks up and hands over with the customer's PIN, while the
 * customer's map shows the driver moving and the status reaches delivered.
 * Operators see it on the city map. Every page is served with the security
 * headers and fires no CSP violation, and the apps hold their sessions in
 * HttpOnly cookies (ADR 0086, 0087). Screenshots of each app go to
 * test-results/screenshots/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMER, DEMO_DRIVERS, DEMO_MERCHANTS, DEMO_PASSWORD } from '../../scripts/lib/demo-city';
import type { RunningPlatform } from '../../scripts/lib/platform';
import { driverMarker, signIn } from './support/apps';
import { DESKTOP, launchChromium, openPage, PHONE, screenshot, type WatchedPage } from './support/browser';
import { startTestPlatform } from './support/platform';
import { expectPageHeaders, expectPrivateMarkup } from './support/security';

const bistro = DEMO_MERCHANTS.find((m) => m.kind === 'restaurant')!;
/** The customer's address: one of the app's sample addresses, ~400 m east of the bistro. */
const HOME = { label: '8 Rue de Turenne, 75004 Paris', lat: 48.8553, lng: 2.3634 };
/** A driver waiting a few streets from the bistro (the last demo driver). */
const DRIVER = DEMO_DRIVERS.at(-1)!;
const DRIVER_EMAIL = DRIVER.email;
const DRIVER_START = { latitude: bistro.location.lat + 0.002, longitude: bistro.location.lng + 0.001 };
/** Typed at checkout over the chosen sample address (issue 15): the order carries it, with the sample's pin (no geocoder offline). */
const TYPED_ADDRESS = '99 Avenue des Champs-Élysées, 75008 Paris';

/** The element lies wholly inside the page's viewport: on screen without scrolling. */
async function expectOnScreen(page: Page, what: string, box: { x: number; y: number; width: number; height: number } | null): Promise<void> {
  const viewport = page.viewportSize()!;
  expect(box, `${what}: not rendered`).not.toBeNull();
  expect(box!.x, `${what}: left edge`).toBeGreaterThanOrEqual(0);
  expect(box!.y, `${what}: top edge`).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width, `${what}: right edge (viewport ${viewport.width} px)`).toBeLessThanOrEqual(viewport.width);
  expect(box!.y + box!.height, `${what}: bottom edge (viewport ${viewport.height} px)`).toBeLessThanOrEqual(viewport.height);
}

/**
 * What the public tracking page and the API behind it must never show: the customer's name, phone, email
 * and address (nor a drop-off marker at it), and the driver's full name, phone and email.
 */
async function expectNothingPersonal(page: Page, trackingUrl: string): Promise<void> {
  const [first, last] = DRIVER.name.split(' ') as [string, string];
  const forbidden = [
    DEMO_CUSTOMER.name, DEMO_CUSTOMER.name.split(' ')[0]!, DEMO_CUSTOMER.email, DEMO_CUSTOMER.phone, DEMO_CUSTOMER.phone.slice(3),
    HOME.label.split(',')[0]!, 'Turenne', TYPED_ADDRESS.split(',')[0]!,
    DRIVER.name, DRIVER.email, DRIVER.phone, DRIVER.phone.slice(3),
  ];
  const html = await page.content();
  const res = await fetch(trackingUrl.replace('/track/', '/v1/track/'));
  expect(res.status).toBe(200);
  const api = await res.text();
  for (const text of forbidden) {
    expect(html, `the public page shows "${text}"`).not.toContain(text);
    expect(api, `GET /v1/track/{token} answers "${text}"`).not.toContain(text);
  }
  // The driver is named by the first name alone, never followed by the last.
  expect(html).not.toMatch(new RegExp(`${first}\\s*(<[^>]*>\\s*)*${last}`));
  const answer = JSON.parse(api) as { driver?: { name: string | null } };
  if (answer.driver) expect(answer.driver.name).toBe(first);
  expect(Object.keys(answer).sort()).toEqual(expect.arrayContaining(['status', 'trackingUrl']));
  for (const key of ['dropoff', 'customer', 'deliveryPin', 'items']) expect(answer).not.toHaveProperty(key);
  // No drop-off on the public map: it would be the customer's address.
  expect(await page.locator('[data-map="order"] [data-marker-id="dropoff"]').count()).toBe(0);
  // A fresh browser: nobody is signed in.
  expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('dp.session.') || k === 'dp.accessToken'))).toEqual([]);
}

describe('an order across the apps', () => {
  let platform: RunningPlatform | undefined;
  let browser: Browser | undefined;
  const pages: WatchedPage[] = [];
  /** What the first part leaves for the second: the people's pages, the order and its code. */
  let journey: { driver: WatchedPage; customer: WatchedPage; merchant: WatchedPage; orderId: string; pin: string } | undefined;

  beforeAll(async () => {
    platform = await startTestPlatform();
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    // Everything this file started stops, whatever happened above.
    await browser?.close().catch(() => undefined);
    await platform?.stop();
  }, 60_000);

  const open = async (name: string, options: Parameters<typeof openPage>[2]) => {
    const p = await openPage(browser!, name, options);
    pages.push(p);
    return p;
  };

  it('is ordered and paid by the customer, and accepted by the merchant from the live board', async () => {
    const base = platform!.baseUrl;

    // The driver goes online first, a few streets from the bistro, position shared by the phone.
    const driver = await open('driver', { ...PHONE, geolocation: DRIVER_START, permissions: ['geolocation'] });
    await signIn(driver.page, base, 'driver', DRIVER_EMAIL);
    await driver.page.getByRole('button', { name: 'Go online' }).click();
    await expect.poll(() => driver.page.getByText('Connection: Live').count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => driver.page.getByText('Sharing your position').count(), { timeout: 15_000 }).toBe(1);
    // A 390 px phone: the site menu is folded behind its button, the app's content comes first.
    expect(await driver.page.getByRole('button', { name: 'Menu' }).isVisible()).toBe(true);
    expect(await driver.page.locator('#site-nav-list').isVisible()).toBe(false);
    await screenshot(driver.page, 'driver-online');

    // The customer chooses an address, two dishes, and pays with the test card.
    const customer = await open('customer', DESKTOP);
    const toStripe: string[] = [];
    customer.page.on('request', (r) => {
      if (/(^|\.)stripe\.com$/.test(new URL(r.url()).hostname)) toStripe.push(r.url());
    });
    await signIn(customer.page, base, 'customer', DEMO_CUSTOMER.email);
    await customer.page.getByLabel('Choose an address').selectOption({ label: HOME.label });
    // Search, accents folded: typed without them, the dish is found and leads to its shop.
    await customer.page.getByLabel('Search shops and dishes').fill('creme brulee');
    await customer.page.getByRole('button', { name: 'Search', exact: true }).click();
    const results = customer.page.getByTestId('search-results');
    await results.waitFor({ timeout: 10_000 });
    await results.locator('li', { hasText: bistro.name }).getByRole('link', { name: 'Crème brûlée' }).click();
    await customer.page.getByRole('heading', { name: bistro.name }).waitFor();
    // The delivery fee before checkout, and whether the shop is open.
    expect(await customer.page.getByTestId('shop-open-state').textContent()).toContain('Open');
    await expect.poll(() => customer.page.getByTestId('delivery-fee').first().textContent(), { timeout: 10_000 }).toMatch(/Delivery \(.+\)€\d+\.\d{2}/);
    const feeShown = (await customer.page.getByTestId('delivery-fee').first().textContent())!.replace(/^.*€/, '€');
    await customer.page.getByRole('button', { name: 'Add Croque-monsieur to the cart' }).click();
    await customer.page.getByRole('button', { name: 'Add Crème brûlée to the cart' }).click();
    await screenshot(customer.page, 'customer-menu');
    await customer.page.getByRole('link', { name: 'Go to checkout' }).click();
    // The address typed over the chosen one is the one delivered to (it was silently dropped: issue 15).
    await customer.page.getByRole('button', { name: /^Change/ }).click();
    expect(await customer.page.getByRole('button', { name: 'Place order', exact: true }).isEnabled()).toBe(false);
    await customer.page.getByLabel('Your address').fill(TYPED_ADDRESS);
    await customer.page.getByRole('button', { name: 'Deliver to this address' }).click();
    await customer.page.getByRole('button', { name: 'Place order', exact: true }).click();
    // Local run: the order's answer names the Stripe fake, so the test-card checkout (never Stripe.js, which cannot load offline).
    await customer.page.locator('form[data-checkout="test-card"]').waitFor({ timeout: 15_000 });
    expect(await customer.page.getByTestId('delivery-address').textContent()).toBe(TYPED_ADDRESS);
    // The fee the shop page showed is the one charged.
    expect(await customer.page.locator('aside .cart__line', { hasText: 'Delivery' }).textContent()).toContain(feeShown);
    await customer.page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await customer.page.getByLabel('CVC').fill('123');
    await screenshot(customer.page, 'customer-checkout');
    await customer.page.getByRole('button', { name: /^Pay / }).click();
    await customer.page.waitForURL(/\/customer\/orders\/ord_[0-9a-z]+$/, { timeout: 20_000 });
    const orderId = new URL(customer.page.url()).pathname.split('/').pop()!;
    // The code appears once the payment webhook has placed the order.
    const pinLocator = customer.page.getByTestId('delivery-pin');
    await pinLocator.waitFor({ timeout: 20_000 });
    const pin = (await pinLocator.textContent())!.trim();
    expect(pin).toMatch(/^\d{4}$/);
    expect(toStripe).toEqual([]);
    await screenshot(customer.page, 'customer-order-placed');

    // The merchant sees it arrive on the live board without a reload, and accepts.
    const merchant = await open('merchant', DESKTOP);
    await signIn(merchant.page, base, 'merchant', bistro.ownerEmail);
    const card = merchant.page.locator(`[data-order-id="${orderId}"]`);
    await card.waitFor({ timeout: 15_000 });
    expect(await card.getAttribute('data-status')).toBe('placed');
    await expect.poll(() => merchant.page.getByTestId('new-orders-badge').textContent()).toContain('1 new');
    await screenshot(merchant.page, 'merchant-board-new-order');
    await card.getByRole('button', { name: 'Accept' }).click();
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 10_000 }).toBe('preparing');

    // Operators see the driver on the city map.
    const ops = await open('ops', DESKTOP);
    await signIn(ops.page, base, 'ops', 'ops@demo.delivery');
    // Available, or already busy with the offer that the accept started.
    await expect.poll(() => ops.page.locator('[data-map="city"] [data-kind^="driver-"]').count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => ops.page.getByTestId('count-online').textContent()).toBe('1');
    await screenshot(ops.page, 'ops-city');
    await ops.context.close();

    // The public page behind the order's tracking link, in a fresh browser (no sign-in): the status, no driver yet.
    const trackingUrl = await customer.page.getByRole('link', { name: /\/track\// }).getAttribute('href');
    expect(trackingUrl).toMatch(new RegExp(`^${base}/track/[^/]+$`));
    const visitor = await open('public', PHONE);
    await expectPageHeaders(await visitor.page.goto(trackingUrl!), 'tracking');
    await visitor.page.getByRole('heading', { name: 'Track your delivery' }).waitFor();
    await expectPrivateMarkup(visitor.page);
    await visitor.page.locator('main [role="status"] [data-status="preparing"]').waitFor({ timeout: 10_000 });
    expect(await visitor.page.locator('main [role="status"]').first().textContent()).toContain('Preparing');
    expect(await visitor.page.getByTestId('public-driver-name').count()).toBe(0);
    await expectNothingPersonal(visitor.page, trackingUrl!);
    await screenshot(visitor.page, 'public-tracking-preparing');
    await visitor.context.close();

    journey = { driver, customer, merchant, orderId, pin };
  }, 120_000);

  it('is offered to the driver, picked up and delivered with the PIN, the customer watching the driver move', async () => {
    const base = platform!.baseUrl;
    if (!journey) throw new Error('the first part of the journey did not complete');
    const { driver, customer, merchant, orderId, pin } = journey;

    // The driver is offered the order (dispatch starts on accept), with a countdown, and accepts.
    const offer = driver.page.locator('[data-offer-id]');
    await offer.waitFor({ timeout: 30_000 });
    await expect.poll(() => offer.getByText(/\d+ s left/).count()).toBe(1);
    await screenshot(driver.page, 'driver-offer');
    // The offer names the shop; on the 390 px phone its Accept button is on screen, wherever the page is scrolled.
    expect(await offer.getByTestId('offer-shop').textContent()).toContain(bistro.name);
    await driver.page.evaluate('window.scrollTo(0, 0)');
    await expectOnScreen(driver.page, 'Accept (page top)', await offer.getByRole('button', { name: 'Accept' }).boundingBox());
    await driver.page.evaluate('window.scrollTo(0, document.body.scrollHeight)');
    await expectOnScreen(driver.page, 'Accept (page bottom)', await offer.getByRole('button', { name: 'Accept' }).boundingBox());
    await offer.getByRole('button', { name: 'Accept' }).click();
    const job = driver.page.locator(`section.job[data-order-id="${orderId}"]`);
    await job.waitFor({ timeout: 15_000 });
    await job.getByRole('button', { name: 'I have arrived' }).waitFor({ timeout: 15_000 });
    await driver.page.evaluate('window.scrollTo(0, 0)');
    await expectOnScreen(driver.page, 'Picked up', await job.getByRole('button', { name: 'Picked up' }).boundingBox());
    await screenshot(driver.page, 'driver-job-pickup');

    // Operators see the driver busy on the city map.
    const ops = await open('ops', DESKTOP);
    await signIn(ops.page, base, 'ops', 'ops@demo.delivery');
    await expect.poll(() => ops.page.locator('[data-map="city"] [data-kind="driver-busy"]').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    // By name, not by id.
    await expect.poll(() => ops.page.getByTestId('ops-driver-name').first().textContent(), { timeout: 10_000 }).toBe(DRIVER.name);
    await screenshot(ops.page, 'ops-city-delivery-under-way');

    // The kitchen is done; the driver arrives, picks up.
    await merchant.page.locator(`[data-order-id="${orderId}"]`).getByRole('button', { name: 'Mark ready' }).click();
    await driver.context.setGeolocation({ latitude: bistro.location.lat, longitude: bistro.location.lng });
    await driver.page.getByRole('button', { name: 'I have arrived' }).click();
    const pickedUp = driver.page.getByRole('button', { name: 'Picked up' });
    await expect.poll(() => pickedUp.isEnabled(), { timeout: 15_000 }).toBe(true);
    await pickedUp.click();
    await driver.page.getByLabel('Delivery code').waitFor({ timeout: 15_000 });
    await driver.page.evaluate('window.scrollTo(0, 0)');
    await expectOnScreen(driver.page, 'Confirm delivery', await driver.page.getByRole('button', { name: 'Confirm delivery' }).boundingBox());

    // The public tracking page behind the order's link, in a fresh browser (no sign-in): the status, the driver's
    // first name, the driver on the map at the shop and the ETA, and nothing else about anyone.
    const trackingUrl = await customer.page.getByRole('link', { name: /\/track\// }).getAttribute('href');
    const publicPage = await open('public', PHONE);
    await expectPageHeaders(await publicPage.page.goto(trackingUrl!), 'tracking');
    await publicPage.page.getByRole('heading', { name: 'Track your delivery' }).waitFor();
    await expectPrivateMarkup(publicPage.page);
    await publicPage.page.locator('main [role="status"] [data-status="in_delivery"]').waitFor({ timeout: 10_000 });
    expect(await publicPage.page.locator('main [role="status"]').first().textContent()).toContain('On the way');
    await expect.poll(() => publicPage.page.getByTestId('public-driver-name').textContent(), { timeout: 10_000 }).toBe(DRIVER.name.split(' ')[0]);
    await expect.poll(async () => {
      const at = await driverMarker(publicPage.page);
      return at ? Math.abs(at.lng - bistro.location.lng) < 0.0005 && Math.abs(at.lat - bistro.location.lat) < 0.0005 : false;
    }, { timeout: 10_000 }).toBe(true);
    // About 400 m from the door: a real estimate, in seconds or minutes.
    await expect.poll(() => publicPage.page.getByTestId('public-eta').textContent(), { timeout: 10_000 }).toMatch(/arriving in about \d+ (s|min)/);
    await expectNothingPersonal(publicPage.page, trackingUrl!);
    await screenshot(publicPage.page, 'public-tracking-on-the-way');

    // On the way: the customer's map follows the driver, and the ETA the customer reads falls with each move
    // (recomputed by the shard on every fix, counted down in between: ADR 0076).
    const customerEta = async () => {
      const v = await customer.page.getByTestId('tracking-headline').getAttribute('data-eta-seconds');
      return v === null ? null : Number(v);
    };
    await expect.poll(customerEta, { timeout: 10_000 }).not.toBeNull();
    const etas: number[] = [(await customerEta())!];
    const seen: { lat: number; lng: number }[] = [];
    const steps = 6;
    for (let i = 1; i <= steps; i++) {
      const f = i / steps;
      await driver.context.setGeolocation({
        latitude: bistro.location.lat + (HOME.lat - bistro.location.lat) * f,
        longitude: bistro.location.lng + (HOME.lng - bistro.location.lng) * f,
      });
      // Wait for the customer's map to show a position it has not shown yet (up to 6 s: the
      // machine may be busy), rather than sampling after a fixed pause and missing it.
      const deadline = Date.now() + 6_000;
      while (Date.now() < deadline) {
        const at = await driverMarker(customer.page);
        if (at && !seen.some((p) => p.lat === at.lat && p.lng === at.lng)) {
          seen.push(at);
          break;
        }
        await customer.page.waitForTimeout(250);
      }
      // The ETA of that position (its frame follows the position's), lower than the last one read.
      const before = etas.at(-1)!;
      if (before > 0) {
        await expect.poll(async () => (await customerEta()) ?? Infinity, { timeout: 6_000 }).toBeLessThan(before);
        etas.push((await customerEta())!);
      }
      if (i === 3 && etas.at(-1)! > 3) {
        // Between fixes the customer sees it count down.
        const a = (await customerEta())!;
        await customer.page.waitForTimeout(2_500);
        expect(await customerEta()).toBeLessThan(a);
      }
    }
    console.info(`e2e: customer's ETA at the shop and after each move (s): ${etas.join(', ')}`);
    expect(etas.length).toBeGreaterThanOrEqual(4);
    // Falling with the distance, not only the clock: well over the time the moves took.
    expect(etas[0]! - etas.at(-1)!).toBeGreaterThan(20);
    await expect.poll(async () => {
      const at = await driverMarker(customer.page);
      return at ? Math.abs(at.lng - HOME.lng) < 0.0005 && Math.abs(at.lat - HOME.lat) < 0.0005 : false;
    }, { timeout: 15_000 }).toBe(true);
    // At least three distinct positions, moving east towards the customer.
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.at(-1)!.lng).toBeGreaterThan(seen[0]!.lng);
    await expect.poll(() => customer.page.getByTestId('tracking-headline').textContent()).toContain('On the way');
    await screenshot(customer.page, 'customer-tracking-driver-moving');

    // The public page follows the driver to the door too.
    await expect.poll(async () => {
      const at = await driverMarker(publicPage.page);
      return at ? Math.abs(at.lng - HOME.lng) < 0.0005 && Math.abs(at.lat - HOME.lat) < 0.0005 : false;
    }, { timeout: 15_000 }).toBe(true);
    await expect.poll(() => publicPage.page.getByTestId('public-eta').textContent(), { timeout: 10_000 }).toMatch(/arriving (now|in about \d+ s)/);
    await expectNothingPersonal(publicPage.page, trackingUrl!);
    await screenshot(publicPage.page, 'public-tracking-at-the-door');

    // At the door: a wrong code is refused, the customer's code delivers.
    await driver.page.getByLabel('Delivery code').fill(pin === '0000' ? '1111' : '0000');
    await driver.page.getByRole('button', { name: 'Confirm delivery' }).click();
    await expect.poll(() => driver.page.getByText('The code does not match').count(), { timeout: 10_000 }).toBe(1);
    // The phone's camera works too: a photo taken at the door is uploaded at once (here the code is the proof used).
    await driver.page.getByLabel('A photo at the door').check();
    await driver.page.getByLabel('Photo of the delivery').setInputFiles({ name: 'door.png', mimeType: 'image/png', buffer: await customer.page.screenshot() });
    await expect.poll(() => driver.page.locator('[data-photo-state]').getAttribute('data-photo-state'), { timeout: 15_000 }).toBe('uploaded');
    expect(await driver.page.getByRole('button', { name: 'Confirm delivery' }).isEnabled()).toBe(true);
    await screenshot(driver.page, 'driver-proof-photo');
    await driver.page.getByLabel('The customer’s 4-digit code').check();
    await driver.page.getByLabel('Delivery code').fill(pin);
    await driver.page.getByRole('button', { name: 'Confirm delivery' }).click();
    await driver.page.getByText('Delivered.').waitFor({ timeout: 15_000 });
    await screenshot(driver.page, 'driver-delivered');

    await expect.poll(() => customer.page.getByTestId('tracking-headline').textContent(), { timeout: 15_000 }).toContain('Delivered');
    await expect.poll(() => customer.page.locator('.timeline [data-status="delivered"]').count()).toBe(1);
    await screenshot(customer.page, 'customer-delivered');

    // The public page, still open, says delivered (it polls every 3 s and stops once the order has ended).
    await publicPage.page.locator('main [role="status"] [data-status="delivered"]').waitFor({ timeout: 15_000 });
    expect(await publicPage.page.locator('main [role="status"]').first().textContent()).toContain('Delivered');
    expect(await publicPage.page.getByTestId('public-eta').count()).toBe(0);
    // The map is gone once the order has ended: the driver's last position would point at the door.
    expect(await publicPage.page.locator('[data-map="order"]').count()).toBe(0);
    await expectNothingPersonal(publicPage.page, trackingUrl!);
    await screenshot(publicPage.page, 'public-tracking-delivered');
    await publicPage.context.close();

    // A deep link of the single-page app (the assets' SPA fallback) carries the page headers too.
    await expectPageHeaders(await merchant.page.goto(`${base}/merchant/orders/${orderId}`));
    await merchant.page.getByTestId('payment-status').waitFor();
    expect(await merchant.page.getByTestId('payment-status').textContent()).toBe('succeeded');
    // How the handover was proven: the customer's code (the photo taken at the door was not the proof).
    await merchant.page.getByTestId('delivery-proof').waitFor();
    expect(await merchant.page.getByTestId('delivery-proof').textContent()).toContain('The customer’s code');
    await screenshot(merchant.page, 'merchant-order-detail');

    expect(pages.flatMap((p) => p.errors)).toEqual([]);
    // Not one CSP violation in any page of the journey, from each page's first script (ADR 0086).
    expect(pages.flatMap((p) => p.cspViolations)).toEqual([]);
  }, 150_000);

  it('shows a cancelled order to the merchant with no live dispatch, no ETA and nobody looked for', async () => {
    const base = platform!.baseUrl;
    const post = async <T>(path: string, token: string, body: unknown, headers: Record<string, string> = {}): Promise<T> => {
      const auth: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...auth, ...headers }, body: JSON.stringify(body) });
      expect(res.status, `${path}: ${await res.clone().text()}`).toBeLessThan(300);
      return (await res.json()) as T;
    };
    // An order paid off-platform, created with the bistro's API key (as a till would).
    const owner = await post<{ accessToken: string; user: { merchantId: string } }>('/v1/auth/login', '', { email: bistro.ownerEmail, password: DEMO_PASSWORD });
    const merchantId = owner.user.merchantId;
    const { key } = await post<{ key: string }>(`/v1/merchants/${merchantId}/api-keys`, owner.accessToken, { name: 'e2e till' });
    const products = (await (await fetch(`${base}/v1/merchants/${merchantId}/products`)).json()) as { items: { id: string }[] };
    const { order } = await post<{ order: { id: string } }>(
      '/v1/orders',
      key,
      { merchantId, items: [{ productId: products.items[0]!.id, quantity: 1 }], dropoff: { address: HOME.label, location: { lat: HOME.lat, lng: HOME.lng } }, customer: { name: 'Walk-in', phone: '+33612345678' }, paid: true },
      { 'Idempotency-Key': `e2e-cancel-${Date.now()}` },
    );

    const merchant = await open('merchant-cancel', DESKTOP);
    await signIn(merchant.page, base, 'merchant', bistro.ownerEmail);
    await merchant.page.goto(`${base}/merchant/orders/${order.id}`);
    await merchant.page.getByRole('button', { name: 'Accept' }).click();
    // Dispatch has started: the page says so, live.
    const line = merchant.page.getByTestId('dispatch-line');
    await expect.poll(() => line.textContent(), { timeout: 15_000 }).toMatch(/Looking for a driver|Offered to a driver/);
    await merchant.page.getByRole('button', { name: 'Cancel order' }).click();
    await merchant.page.getByRole('button', { name: 'Yes, cancel order' }).click();

    const nothingLive = async () => {
      await expect.poll(() => line.textContent(), { timeout: 15_000 }).toMatch(/^Cancelled/);
      const text = (await merchant.page.locator('main').textContent()) ?? '';
      for (const live of ['Looking for a driver', 'Offered to a driver', 'Driver assigned', 'arrives in', 'at the shop in']) expect(text, `the cancelled order's page says "${live}"`).not.toContain(live);
      expect(await line.getAttribute('data-eta-seconds')).toBeNull();
      expect(await merchant.page.getByText('Live position').count()).toBe(0);
    };
    await nothingLive();
    await screenshot(merchant.page, 'merchant-order-cancelled');
    // Opened afresh (the shard's job has ended; its log says unassigned): the same.
    await merchant.page.reload();
    await line.waitFor({ timeout: 15_000 });
    await nothingLive();
    expect(merchant.errors).toEqual([]);
    expect(merchant.cspViolations).toEqual([]);
  }, 90_000);

  it('keeps a driver’s positions while the phone is offline and sends them when it is back', async () => {
    const base = platform!.baseUrl;
    const driver = await openPage(browser!, 'driver-offline', { ...PHONE, geolocation: { latitude: 48.857, longitude: 2.354 }, permissions: ['geolocation'] });
    pages.push(driver);
    await signIn(driver.page, base, 'driver', 'driver19@demo.delivery');
    await driver.page.getByRole('button', { name: 'Go online' }).click();
    await expect.poll(() => driver.page.getByText('Connection: Live').count(), { timeout: 15_000 }).toBe(1);

    await driver.context.setOffline(true);
    const last = { latitude: 48.857 + 5 * 0.0003, longitude: 2.354 };
    for (let i = 1; i <= 5; i++) {
      await driver.context.setGeolocation({ latitude: 48.857 + i * 0.0003, longitude: 2.354 });
      await driver.page.waitForTimeout(1_500);
    }
    await expect.poll(() => driver.page.locator('[data-connection]').first().textContent(), { timeout: 15_000 }).toContain('Offline');
    const queued = await driver.page.evaluate(() => (JSON.parse(localStorage.getItem('dp.driver.outbox') ?? '[]') as unknown[]).length);
    expect(queued).toBeGreaterThanOrEqual(5);
    await screenshot(driver.page, 'driver-offline-queue');

    await driver.context.setOffline(false);
    await expect.poll(() => driver.page.evaluate(() => (JSON.parse(localStorage.getItem('dp.driver.outbox') ?? '[]') as unknown[]).length), { timeout: 30_000 }).toBe(0);
    await expect.poll(() => driver.page.getByText('Connection: Live').count(), { timeout: 30_000 }).toBe(1);

    // The platform holds the last position taken while offline.
    const login = (await (await fetch(`${base}/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'ops@demo.delivery', password: DEMO_PASSWORD }) })).json()) as { accessToken: string };
    const cities = (await (await fetch(`${base}/v1/cities`)).json()) as { items: { id: string }[] };
    await expect.poll(async () => {
      const live = (await (await fetch(`${base}/v1/cities/${cities.items[0]!.id}/live`, { headers: { Authorization: `Bearer ${login.accessToken}` } })).json()) as { drivers: { location: { lat: number; lng: number } | null }[] };
      return live.drivers.some((d) => d.location && Math.abs(d.location.lat - last.latitude) < 1e-6 && Math.abs(d.location.lng - last.longitude) < 1e-6);
    }, { timeout: 15_000 }).toBe(true);
    expect(driver.errors).toEqual([]);
    expect(driver.cspViolations).toEqual([]);
  }, 90_000);
});

