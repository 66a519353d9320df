import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { drivers } from '../../db/schema/index';
import { shardFor } from '../../domain/shard-keys';
import { call, callJson, createCity, createOps, register, testDb, type Account } from './auth-helpers';
import { CENTER, Client, east } from './city-shard-helpers';

let cityId: string;
let driver: Account;
let customer: Account;
let ops: Account;

beforeAll(async () => {
  cityId = await createCity();
  [driver, customer, ops] = await Promise.all([register('driver', cityId), register('customer', cityId), createOps()]);
});

const shardOfCity = () => env.CITY_SHARD.getByName(shardFor({ id: cityId, center: CENTER, serviceRadiusKm: 12 }, null).key);

describe('GET (WebSocket) /v1/drivers/me/live', () => {
  it('forwards a driver’s upgrade to its city shard, with ?access_token= for browsers', async () => {
    const res = await call(`/v1/drivers/me/live?access_token=${driver.accessToken}`, { headers: { Upgrade: 'websocket' } });
    expect(res.status).toBe(101);
    const c = new Client(res.webSocket!);
    expect(await c.next()).toEqual({ type: 'session', v: 1, driverId: driver.user.driverId, status: 'online', available: false, orderId: null, stacked: null });
    c.send({ type: 'availability', available: true });
    await c.next('session');
    // The shard of the driver's city holds it, with the vehicle from Postgres.
    expect(await shardOfCity().driverState(driver.user.driverId!)).toMatchObject({ vehicle: 'bike', available: true, connected: true });
    c.close();
  });

  it('refuses callers who are not drivers, and plain requests', async () => {
    expect((await call('/v1/drivers/me/live', { headers: { Upgrade: 'websocket' } })).status).toBe(401);
    expect((await call(`/v1/drivers/me/live?access_token=${customer.accessToken}`, { headers: { Upgrade: 'websocket' } })).status).toBe(403);
    expect((await call(`/v1/drivers/me/live?access_token=not-a-token`, { headers: { Upgrade: 'websocket' } })).status).toBe(401);
    const plain = await call('/v1/drivers/me/live', { token: driver.accessToken });
    expect(plain.status).toBe(426);
    expect(plain.headers.get('content-type')).toBe('application/problem+json');
  });

  it('refuses a deactivated driver', async () => {
    const other = await register('driver', cityId);
    await testDb().update(drivers).set({ active: false }).where(eq(drivers.id, other.user.driverId!));
    const res = await call(`/v1/drivers/me/live?access_token=${other.accessToken}`, { headers: { Upgrade: 'websocket' } });
    expect(res.status).toBe(403);
  });
});

describe('POST /v1/drivers/me/locations', () => {
  it('applies a batch oldest first and says what became of each fix', async () => {
    const t = Date.now() - 60_000;
    const at = (s: number) => new Date(t + s * 1_000).toISOString();
    const { body } = await callJson('/v1/drivers/me/locations', {
      token: driver.accessToken,
      body: { points: [{ ...east(300), at: at(8) }, { ...east(100), at: at(0) }, { ...east(200), at: at(4) }, { ...east(200), at: at(4) }, { ...east(30_000), at: at(9) }] },
    }, 200);
    expect(body).toEqual({ accepted: 3, duplicate: 1, outOfOrder: 0, implausibleJump: 1, future: 0, inaccurate: 0 });
    expect(await shardOfCity().driverState(driver.user.driverId!)).toMatchObject({ position: { lng: expect.closeTo(east(300).lng, 9), at: t + 8_000 } });
  });

  it('answers invalid bodies with 422 and field paths, and other roles with 403', async () => {
    const bad = await callJson<{ errors: { path: string }[] }>('/v1/drivers/me/locations', { token: driver.accessToken, body: { points: [{ lat: 95, lng: 2, at: 'now' }] } }, 422);
    expect(bad.body.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['json.points.0.lat', 'json.points.0.at']));
    await callJson('/v1/drivers/me/locations', { token: driver.accessToken, body: { points: [] } }, 422);
    await callJson('/v1/drivers/me/locations', { token: customer.accessToken, body: { points: [{ lat: 48, lng: 2, at: new Date().toISOString() }] } }, 403);
    await callJson('/v1/drivers/me/locations', { body: { points: [{ lat: 48, lng: 2, at: new Date().toISOString() }] } }, 401);
  });
});

describe('GET /v1/cities/{id}/live', () => {
  it('gives operators the city’s drivers, open offers and unassigned orders', async () => {
    const shard = shardOfCity();
    await shard.upsertDriver({ driverId: 'drv_snapshot', lat: east(500).lat, lng: east(500).lng, heading: null, speed: null, available: false, updatedAt: Date.now() });
    // 11 km west: beyond the last search radius (10 km) of every driver placed in this file.
    await shard.dispatch({ orderId: 'ord_nobody', pickup: east(-11_000), dropoff: east(-10_000), payoutCents: 500 });
    const { body } = await callJson<{ counts: Record<string, number>; drivers: { driverId: string }[]; unassignedOrders: { orderId: string }[]; shards: string[] }>(`/v1/cities/${cityId}/live`, { token: ops.accessToken }, 200);
    expect(body.shards).toEqual([shardFor({ id: cityId, center: CENTER, serviceRadiusKm: 12 }, null).key]);
    expect(body.drivers.map((d) => d.driverId)).toContain('drv_snapshot');
    expect(body.counts.online).toBeGreaterThanOrEqual(1);
    expect(body.unassignedOrders.map((o) => o.orderId)).toContain('ord_nobody');
  });

  it('is for operators only, and 404 for an unknown city', async () => {
    await callJson(`/v1/cities/${cityId}/live`, { token: driver.accessToken }, 403);
    await callJson(`/v1/cities/${cityId}/live`, {}, 401);
    await callJson('/v1/cities/cty_doesnotexist00000000/live', { token: ops.accessToken }, 404);
  });
});
