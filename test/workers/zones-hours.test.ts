/**
 * Zones and hours (issue 15, item 3; ADR 0110, 0111) in workerd against
 * Postgres: operators set a city's zones and fee schedule (audited, staff
 * only); the delivery quote shows the zone, fee, open/closed and ETA; order
 * creation refuses drop-offs in no-go and pickup-only areas, outside every
 * zone or past the schedule's reach, and shops closed by their hours, each
 * with its own 422 problem and nothing written; busy mode lengthens the prep.
 */
import { and, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditLog, merchants } from '../../db/schema/index';
import { localDateTime } from '../../domain/opening-hours';
import { api, createCity, createCustomer, createDriver, createMerchant, createOps, createProduct, db, json, newKey, NEAR, orderBody, placeOrder, type Customer, type TestMerchant } from './helpers/commerce';

const square = (x0: number, y0: number, x1: number, y1: number) => [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]];
const ZONES = {
  type: 'FeatureCollection',
  features: [
    { type: 'Feature', id: 'centre', properties: { name: 'Centre', kind: 'delivery', feeCents: 249 }, geometry: { type: 'Polygon', coordinates: square(2.3, 48.83, 2.4, 48.88) } },
    { type: 'Feature', id: 'stade', properties: { name: 'Stade', kind: 'no_go' }, geometry: { type: 'Polygon', coordinates: square(2.345, 48.87, 2.35, 48.875) } },
    { type: 'Feature', id: 'ile', properties: { name: 'Île', kind: 'pickup_only' }, geometry: { type: 'Polygon', coordinates: square(2.4, 48.83, 2.45, 48.88) } },
  ],
};
const NO_GO = { lat: 48.872, lng: 2.347 };
const PICKUP_ONLY = { lat: 48.85, lng: 2.42 };
/** Inside the city's 12 km radius, outside every zone: zones decide once set. */
const OUTSIDE = { lat: 48.9, lng: 2.35 };

interface Quote {
  deliveryFeeCents: number;
  deliverable: boolean;
  orderable: boolean;
  refusal: string | null;
  area: string;
  zone: { id: string; kind: string } | null;
  openNow: boolean;
  opensAtLocal: { date: string; time: string } | null;
  prepMinutes: number;
  busy: boolean;
  etaMinutes: number;
  etaAt: string;
}

let cityId: string;
let shop: TestMerchant;
let product: string;
let customer: Customer;
let ops: string;

const setZones = (body: unknown, token = ops) => api(`/v1/ops/cities/${cityId}/zones`, { method: 'PUT', token, body });
const quote = async (to: { lat: number; lng: number }) => {
  const res = await api(`/v1/merchants/${shop.merchantId}/delivery-quote?lat=${to.lat}&lng=${to.lng}`);
  expect(res.status).toBe(200);
  return json<Quote>(res);
};
const ordersOf = async (merchantId: string) => ((await db().execute(sql`select count(*)::int as n from orders where merchant_id = ${merchantId}`)) as unknown as { n: number }[])[0]!.n;
const order = (to: { lat: number; lng: number }) =>
  api('/v1/orders', { token: customer.token, idempotencyKey: newKey(), body: orderBody(shop.merchantId, [{ productId: product, quantity: 1 }], { dropoff: { address: 'Somewhere', location: to } }) });

async function expectRefused(to: { lat: number; lng: number }, slug: string, path: string) {
  const before = await ordersOf(shop.merchantId);
  const res = await order(to);
  expect(res.status).toBe(422);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const problem = await json<{ type: string; detail: string; errors: { path: string }[]; [k: string]: unknown }>(res);
  expect(problem.type).toBe(`https://delivery.example.com/problems/${slug}`);
  expect(problem.errors.map((e) => e.path)).toContain(path);
  expect(await ordersOf(shop.merchantId)).toBe(before);
  return problem;
}

beforeAll(async () => {
  cityId = await createCity();
  shop = await createMerchant(cityId);
  product = await createProduct(shop.merchantId, 1000);
  customer = await createCustomer();
  ops = await createOps();
});

describe('the ops zone API', () => {
  it('is for operators only', async () => {
    const driver = await createDriver(cityId);
    const put = { zones: ZONES, feeSchedule: { type: 'zone', defaultFeeCents: 399 } };
    expect((await api(`/v1/ops/cities/${cityId}/zones`)).status).toBe(401);
    for (const token of [customer.token, shop.ownerToken, driver.token]) {
      expect((await api(`/v1/ops/cities/${cityId}/zones`, { token })).status).toBe(403);
      expect((await setZones(put, token)).status).toBe(403);
    }
    expect((await api('/v1/ops/cities/cty_nosuchcity0000000000/zones', { token: ops })).status).toBe(404);
    const none = await json<{ zones: unknown; feeSchedule: unknown }>(await api(`/v1/ops/cities/${cityId}/zones`, { token: ops }));
    expect(none).toMatchObject({ zones: null, feeSchedule: null });
  });

  it('refuses an open ring, a repeated zone id and a zone schedule without delivery zones, with the field named', async () => {
    const open = structuredClone(ZONES);
    open.features[0]!.geometry.coordinates[0]!.pop();
    const bad = await setZones({ zones: open, feeSchedule: null });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(await bad.json())).toMatch(/closed|at least four/);
    const twice = { ...ZONES, features: [ZONES.features[0], ZONES.features[0]] };
    expect((await setZones({ zones: twice, feeSchedule: null })).status).toBe(422);
    const onlyNoGo = { ...ZONES, features: [ZONES.features[1]] };
    const res = await setZones({ zones: onlyNoGo, feeSchedule: { type: 'zone', defaultFeeCents: 100 } });
    expect(res.status).toBe(422);
    expect((await json<{ errors: { path: string }[] }>(res)).errors[0]!.path).toBe('json.feeSchedule');
  });

  it('sets zones and a schedule by zone, audited with the zones before and after', async () => {
    const res = await setZones({ zones: ZONES, feeSchedule: { type: 'zone', defaultFeeCents: 399 } });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ cityId, zones: { features: [{ id: 'centre' }, { id: 'stade' }, { id: 'ile' }] }, feeSchedule: { type: 'zone' } });
    const rows = await db().select().from(auditLog).where(and(eq(auditLog.action, 'city.zones_set'), eq(auditLog.targetId, cityId)));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.actorType).toBe('ops');
    expect(rows[0]!.metadata).toEqual({ before: null, after: ['centre:delivery', 'stade:no_go', 'ile:pickup_only'], feeSchedule: 'zone' });
  });
});

describe('quotes and refusals by zone', () => {
  it('quotes the zone’s fee inside the delivery zone, and the order charges it', async () => {
    const q = await quote(NEAR);
    expect(q).toMatchObject({ deliverable: true, orderable: true, refusal: null, area: 'delivery', zone: { id: 'centre', kind: 'delivery' }, deliveryFeeCents: 249, openNow: true });
    const created = await placeOrder(customer.token, orderBody(shop.merchantId, [{ productId: product, quantity: 1 }]));
    expect(created.order.totals.deliveryFeeCents).toBe(249);
  });

  it('refuses a drop-off in a no-go area cut out of the delivery zone', async () => {
    expect(await quote(NO_GO)).toMatchObject({ deliverable: false, orderable: false, area: 'no_go', refusal: 'no-go-area' });
    const problem = await expectRefused(NO_GO, 'no-go-area', 'json.dropoff.location');
    expect(problem.zone).toEqual({ id: 'stade', name: 'Stade' });
  });

  it('refuses a drop-off in a pickup-only area', async () => {
    expect(await quote(PICKUP_ONLY)).toMatchObject({ deliverable: false, area: 'pickup_only', refusal: 'pickup-only-area' });
    await expectRefused(PICKUP_ONLY, 'pickup-only-area', 'json.dropoff.location');
  });

  it('refuses a drop-off outside every zone, even inside the old radius', async () => {
    expect(await quote(OUTSIDE)).toMatchObject({ deliverable: false, area: 'outside', zone: null, refusal: 'outside-service-area' });
    await expectRefused(OUTSIDE, 'outside-service-area', 'json.dropoff.location');
  });

  it('prices by distance bands and refuses past the last band', async () => {
    expect((await setZones({ zones: ZONES, feeSchedule: { type: 'distance', bands: [{ upToM: 500, feeCents: 150 }, { upToM: 3000, feeCents: 350 }] } })).status).toBe(200);
    // NEAR is about 1.6 km from the shop: the second band.
    expect(await quote(NEAR)).toMatchObject({ deliveryFeeCents: 350, deliverable: true });
    expect((await setZones({ zones: ZONES, feeSchedule: { type: 'distance', bands: [{ upToM: 500, feeCents: 150 }] } })).status).toBe(200);
    expect(await quote(NEAR)).toMatchObject({ deliverable: false, area: 'delivery', refusal: 'outside-service-area' });
    const problem = await expectRefused(NEAR, 'outside-service-area', 'json.dropoff.location');
    expect(problem.detail).toMatch(/0\.5 km/);
    expect((await setZones({ zones: ZONES, feeSchedule: null })).status).toBe(200);
  });
});

describe('opening hours and busy mode', () => {
  /** Every day open for one hour, starting `hoursAhead` hours after Paris's current hour. */
  const hoursFromNow = (hoursAhead: number) => {
    const hour = (Number(localDateTime(new Date(), 'Europe/Paris').time.slice(0, 2)) + hoursAhead) % 24;
    const hh = (h: number) => `${String(h % 24).padStart(2, '0')}:00`;
    const day = [{ open: hh(hour), close: hh(hour + 1) }];
    return { time: hh(hour), hours: { weekly: Object.fromEntries(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((d) => [d, day])) } };
  };

  it('only the owner sets the hours; staff 403, another business 404, a customer 403', async () => {
    const body = { openingHours: null };
    const other = await createMerchant(cityId);
    expect((await api(`/v1/merchants/${shop.merchantId}/hours`, { method: 'PUT', token: await shop.memberToken('staff'), body })).status).toBe(403);
    expect((await api(`/v1/merchants/${shop.merchantId}/hours`, { method: 'PUT', token: other.ownerToken, body })).status).toBe(404);
    expect((await api(`/v1/merchants/${shop.merchantId}/hours`, { method: 'PUT', token: customer.token, body })).status).toBe(403);
    const bad = await api(`/v1/merchants/${shop.merchantId}/hours`, { method: 'PUT', token: shop.ownerToken, body: { openingHours: { weekly: { mon: [{ open: '25:00', close: '26:00' }] } }, timezone: 'Mars/Olympus' } });
    expect(bad.status).toBe(422);
  });

  it('a shop closed by its hours: the quote says when it opens and the order is refused with opensAt', async () => {
    const { time, hours } = hoursFromNow(3);
    const res = await api(`/v1/merchants/${shop.merchantId}/hours`, { method: 'PUT', token: shop.ownerToken, body: { openingHours: hours } });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ timezone: 'Europe/Paris', openNow: false, opensAtLocal: { time } });
    const q = await quote(NEAR);
    expect(q).toMatchObject({ openNow: false, orderable: false, refusal: 'outside-opening-hours', opensAtLocal: { time } });
    const problem = await expectRefused(NEAR, 'outside-opening-hours', 'json.merchantId');
    expect(problem.timezone).toBe('Europe/Paris');
    expect(new Date(problem.opensAt as string).getTime()).toBeGreaterThan(Date.now() + 2 * 3_600_000 - 60_000);
    expect(problem.detail).toContain(`opens at ${time}`);
  });

  it('the same hours read in a zone where the shop is open now take orders', async () => {
    // Open from Paris's hour + 3: in a zone 3 hours later than Paris, that is now (Asia/Dubai is UTC+4; Paris UTC+1 in winter, +2 in summer).
    const { hours } = hoursFromNow(3);
    const parisOffset = Number(new Intl.DateTimeFormat('en', { timeZone: 'Europe/Paris', timeZoneName: 'shortOffset' }).formatToParts(new Date()).find((p) => p.type === 'timeZoneName')!.value.replace('GMT', '') || 0);
    const zone = `Etc/GMT-${parisOffset + 3}`; // Etc/GMT-4 is UTC+4 (POSIX sign)
    const res = await api(`/v1/merchants/${shop.merchantId}/hours`, { method: 'PUT', token: shop.ownerToken, body: { openingHours: hours, timezone: zone } });
    expect(await json(res)).toMatchObject({ timezone: zone, openNow: true });
    expect((await order(NEAR)).status).toBe(201);
    await api(`/v1/merchants/${shop.merchantId}/hours`, { method: 'PUT', token: shop.ownerToken, body: { openingHours: null, timezone: null } });
  });

  it('busy mode: staff turn it on, the prep estimate and the ETA grow, and it ends when turned off', async () => {
    await db().update(merchants).set({ prepMinutes: 10 }).where(eq(merchants.id, shop.merchantId));
    const calm = await quote(NEAR);
    expect(calm).toMatchObject({ prepMinutes: 10, busy: false });
    expect((await api(`/v1/merchants/${shop.merchantId}/busy`, { method: 'PUT', token: customer.token, body: { busy: true } })).status).toBe(403);
    const staff = await shop.memberToken('staff');
    const on = await api(`/v1/merchants/${shop.merchantId}/busy`, { method: 'PUT', token: staff, body: { busy: true, forMinutes: 30, extraMinutes: 20 } });
    expect(on.status).toBe(200);
    const view = await json<{ busy: boolean; busyUntil: string; prepMinutesNow: number }>(on);
    expect(view).toMatchObject({ busy: true, prepMinutesNow: 30 });
    expect(Math.abs(new Date(view.busyUntil).getTime() - Date.now() - 30 * 60_000)).toBeLessThan(60_000);
    const busy = await quote(NEAR);
    expect(busy).toMatchObject({ prepMinutes: 30, busy: true });
    expect(busy.etaMinutes - calm.etaMinutes).toBe(20);
    const off = await api(`/v1/merchants/${shop.merchantId}/busy`, { method: 'PUT', token: staff, body: { busy: false } });
    expect(await json(off)).toMatchObject({ busy: false, busyUntil: null, prepMinutesNow: 10 });
  });
});
