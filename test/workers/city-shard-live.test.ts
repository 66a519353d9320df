import { env } from 'cloudflare:workers';
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { CityShard } from '../../durable-objects/city-shard/CityShard';
import { connectDriver, east, freshShard, onlineDriver, order, watchOrder, type Client, type Message } from './city-shard-helpers';

describe('CityShard live channels: drivers', () => {
  it('opens with a session, keeps availability and position in the shard', async () => {
    const { stub } = freshShard();
    const c = await connectDriver(stub, 'drv_a', 'bike');
    expect(await c.next()).toEqual({ type: 'session', v: 1, driverId: 'drv_a', status: 'online', available: false, orderId: null, stacked: null });
    c.send({ type: 'availability', available: true, v: 1 });
    expect(await c.next('session')).toMatchObject({ status: 'available', available: true });
    const at = new Date().toISOString();
    c.send({ type: 'location', ...east(250), heading: 90, speed: 4, at });
    await expect.poll(() => stub.driverState('drv_a')).toMatchObject({ vehicle: 'bike', available: true, connected: true, position: { lat: east(250).lat, heading: 90, at: Date.parse(at) } });
  });

  it('answers a bad frame with an error and keeps serving the socket and the object', async () => {
    const { stub } = freshShard();
    const c = await connectDriver(stub, 'drv_bad');
    await c.next('session');
    c.send('{"type":"location",');
    expect(await c.next()).toEqual({ type: 'error', code: 'malformed_json', detail: 'The frame is not valid JSON.' });
    c.send({ type: 'location', lat: 200, lng: 2, at: new Date().toISOString() });
    expect(await c.next()).toMatchObject({ type: 'error', code: 'invalid_message', detail: expect.stringMatching(/^lat: /) });
    c.send({ type: 'warp', to: 'mars' });
    expect(await c.next()).toMatchObject({ type: 'error', code: 'invalid_message' });
    c.send({ type: 'ping', v: 7 });
    expect(await c.next()).toMatchObject({ type: 'error', code: 'unsupported_version' });
    c.ws.send(new Uint8Array([1, 2, 3]));
    expect(await c.next()).toMatchObject({ type: 'error', code: 'binary_unsupported' });
    c.send({ type: 'offer.accept', offerId: 'ofr_nobody' });
    expect(await c.next()).toMatchObject({ type: 'error', code: 'offer_not_found' });
    // Still alive: the same socket works, and the object answers RPC.
    c.send({ type: 'availability', available: true });
    expect(await c.next('session')).toMatchObject({ available: true });
    expect(await stub.ping()).toBe('pong');
  });

  it('closes the socket with 1009 on an oversized frame, and only that socket', async () => {
    const { stub } = freshShard();
    const big = await connectDriver(stub, 'drv_big');
    const other = await connectDriver(stub, 'drv_other');
    await big.next('session');
    await other.next('session');
    big.send({ type: 'offer.decline', offerId: 'x', reason: 'y'.repeat(20_000) });
    expect(await big.closed).toMatchObject({ code: 1009 });
    other.send({ type: 'availability', available: true });
    expect(await other.next('session')).toMatchObject({ available: true });
  });

  it('answers pings without waking the object (runtime auto-response)', async () => {
    const { stub } = freshShard();
    const c = await connectDriver(stub, 'drv_ping');
    await c.next('session');
    c.send('{"type":"ping"}');
    expect(await c.next()).toEqual({ type: 'pong' });
    // The runtime records the auto-response on the socket; webSocketMessage never ran for it.
    await runInDurableObject(stub, (_instance: CityShard, state) => {
      const [ws] = state.getWebSockets('driver:drv_ping');
      expect(state.getWebSocketAutoResponseTimestamp(ws!)).toBeInstanceOf(Date);
    });
    // A ping the runtime does not recognise byte for byte still gets a pong from the object.
    c.send('{ "type": "ping" }');
    expect(await c.next()).toEqual({ type: 'pong' });
  });

  it('keeps socket attachments small and versioned (ids only)', async () => {
    const { stub } = freshShard();
    const c = await connectDriver(stub, 'drv_att', 'car');
    await c.next('session');
    await runInDurableObject(stub, (_instance: CityShard, state) => {
      const [ws] = state.getWebSockets('driver:drv_att');
      expect(ws!.deserializeAttachment()).toEqual({ v: 1, role: 'driver', driverId: 'drv_att', vehicle: 'car' });
    });
  });

  it('a reconnecting driver finds its state and open offer as they were, even after an eviction', async () => {
    const { stub } = freshShard();
    const first = await onlineDriver(stub, 'drv_r', 100);
    await stub.dispatch(order('ord_resume'));
    const offer = await first.next('offer');
    first.close();
    await first.closed;
    await expect.poll(async () => (await stub.driverState('drv_r'))?.connected).toBe(false);

    await evictDurableObject(stub);
    const again = await connectDriver(stub, 'drv_r');
    expect(await again.next()).toEqual({ type: 'session', v: 1, driverId: 'drv_r', status: 'busy', available: true, orderId: null, stacked: null });
    expect(await again.next()).toEqual(offer);
    again.send({ type: 'offer.accept', offerId: offer.offerId });
    expect(await again.next('assignment')).toEqual({ type: 'assignment', orderId: 'ord_resume' });

    // Reconnecting once assigned: the assignment comes back.
    const third = await connectDriver(stub, 'drv_r');
    expect(await again.closed).toMatchObject({ code: 4001 }); // the newer connection replaces the older
    expect(await third.next()).toMatchObject({ type: 'session', status: 'busy', orderId: 'ord_resume' });
    expect(await third.next()).toEqual({ type: 'assignment', orderId: 'ord_resume' });
  });

  it('keeps track of its sockets across an eviction (no runtime lookups on the hot path)', async () => {
    const { stub } = freshShard();
    const driver = await connectDriver(stub, 'drv_reg');
    await driver.next('session');
    const watcher = await watchOrder(stub, 'ord_reg');
    expect((await stub.stats()).sockets).toEqual({ drivers: 1, watchers: 1 });
    await evictDurableObject(stub);
    // Rebuilt from the runtime's list on wake; the same sockets still get their messages.
    expect((await stub.stats()).sockets).toEqual({ drivers: 1, watchers: 1 });
    driver.send({ type: 'availability', available: true });
    expect(await driver.next('session')).toMatchObject({ available: true });
    driver.close();
    watcher.close();
    await expect.poll(async () => (await stub.stats()).sockets).toEqual({ drivers: 0, watchers: 0 });
    expect((await stub.driverState('drv_reg'))?.connected).toBe(false);
  });

  it('refuses upgrades without a role or identity, and plain requests', async () => {
    const { stub } = freshShard();
    expect((await stub.fetch('http://shard/live')).status).toBe(426);
    expect((await stub.fetch('http://shard/live', { headers: { Upgrade: 'websocket' } })).status).toBe(400);
    expect((await stub.fetch('http://shard/live', { headers: { Upgrade: 'websocket', 'X-Shard-Role': 'driver' } })).status).toBe(400);
  });
});

describe('CityShard live channels: watchers of an order', () => {
  it('greets a watcher with status, position and ETA, then streams the trip', async () => {
    const { stub } = freshShard();
    const driver = await onlineDriver(stub, 'drv_w', 1_000, 'bike');
    await stub.dispatch(order('ord_watch'));
    driver.send({ type: 'offer.accept', offerId: (await driver.next('offer')).offerId });
    await driver.next('assignment');

    const watcher = await watchOrder(stub, 'ord_watch');
    expect(await watcher.next()).toMatchObject({ type: 'status', orderId: 'ord_watch', status: 'preparing', dispatch: 'assigned' });
    expect(await watcher.next()).toMatchObject({ type: 'location', orderId: 'ord_watch', lat: east(1_000).lat });
    const firstEta = (await watcher.next()) as { type: string; seconds: number };
    expect(firstEta.type).toBe('eta');

    // Several fixes in one frame: the watcher gets the latest position (coalesced), and a smaller ETA.
    const t = Date.now();
    driver.send({ type: 'locations', points: [600, 500, 400].map((m, i) => ({ ...east(m), at: new Date(t + i * 1_000).toISOString() })) });
    const loc = await watcher.next('location');
    expect(loc).toMatchObject({ lng: expect.closeTo(east(400).lng, 9), at: new Date(t + 2_000).toISOString() });
    const eta = (await watcher.next('eta')) as unknown as { seconds: number };
    expect(eta.seconds).toBeLessThan(firstEta.seconds);
    expect(watcher.all('location')).toHaveLength(2);

    await stub.orderStatusChanged({ orderId: 'ord_watch', status: 'in_delivery', dispatch: 'picked_up' });
    expect(await watcher.next('status')).toMatchObject({ status: 'in_delivery', dispatch: 'picked_up' });
    // Watchers only listen.
    watcher.send({ type: 'availability', available: true });
    expect(await watcher.next('error')).toMatchObject({ code: 'invalid_message' });
    watcher.send('{ "type":"ping" }');
    expect(await watcher.next()).toEqual({ type: 'pong' });
  });

  it('sends watchers an ETA that falls as the driver nears the dropoff, the same as the tracking view, and none once delivered (ADR 0076)', async () => {
    const { stub } = freshShard();
    const driver = await onlineDriver(stub, 'drv_eta', 250, 'bike');
    await stub.dispatch(order('ord_eta'));
    driver.send({ type: 'offer.accept', offerId: (await driver.next('offer')).offerId });
    await driver.next('assignment');
    const watcher = await watchOrder(stub, 'ord_eta');
    const greeting = (await watcher.next('eta')) as Message & { seconds: number; pickupSeconds?: number; at?: string };
    // On the way to the pickup: to the door through the shop, and to the shop.
    expect(greeting.pickupSeconds).toBeGreaterThan(0);
    expect(greeting.seconds).toBeGreaterThan(greeting.pickupSeconds!);
    expect(Date.parse(greeting.at!)).not.toBeNaN();

    let last = 0;
    const fix = (m: number) => {
      last = Math.max(Date.now(), last + 1);
      driver.send({ type: 'location', ...east(m), at: new Date(last).toISOString() });
    };
    fix(0);
    await watcher.next('eta');
    await stub.orderStatusChanged({ orderId: 'ord_eta', status: 'in_delivery', dispatch: 'picked_up' });
    await watcher.next('status');
    const seen: { seconds: number; pickupSeconds?: number; at?: string }[] = [];
    for (const m of [250, 500, 750, 1_000, 1_250, 1_500, 1_750]) {
      fix(m);
      seen.push((await watcher.next('eta')) as Message & { seconds: number });
    }
    const seconds = seen.map((e) => e.seconds);
    for (let i = 1; i < seconds.length; i++) expect(seconds[i], `ETA after fix ${i}: ${seconds.join(', ')}`).toBeLessThan(seconds[i - 1]!);
    expect(seen.every((e) => e.pickupSeconds === undefined && e.at === new Date(Date.parse(e.at!)).toISOString())).toBe(true);
    // GET /tracking reads the same ETA, counted down to now (within the second this test takes).
    const view = (await stub.tracking('ord_eta'))!;
    expect(view.etaSeconds).toBeLessThanOrEqual(seconds.at(-1)!);
    expect(view.etaSeconds).toBeGreaterThanOrEqual(seconds.at(-1)! - 2);

    await stub.orderStatusChanged({ orderId: 'ord_eta', status: 'delivered', dispatch: 'dropped_off' });
    expect(await watcher.next('status')).toMatchObject({ status: 'delivered' });
    fix(1_900);
    await stub.ping();
    await new Promise((r) => setTimeout(r, 200));
    expect(watcher.all('eta')).toHaveLength(1 + 1 + seen.length);
    expect((await stub.tracking('ord_eta'))!.etaSeconds).toBeNull();
    const late = await watchOrder(stub, 'ord_eta');
    expect(await late.next()).toMatchObject({ type: 'status', status: 'delivered' });
    await stub.ping();
    expect(late.all('eta')).toEqual([]);
  });

  it('caps the watchers of one order', async () => {
    const { stub } = freshShard();
    const clients: Client[] = [];
    for (let i = 0; i < 20; i++) clients.push(await watchOrder(stub, 'ord_busy'));
    const res = await stub.fetch('http://shard/live', { headers: { Upgrade: 'websocket', 'X-Shard-Role': 'watcher', 'X-Watch-Order': 'ord_busy' } });
    expect(res.status).toBe(429);
    expect((await stub.stats()).sockets.watchers).toBe(20);
  });
});

describe('CityShard storage', () => {
  it('upgrades its SQLite schema in steps and keeps the first one as it shipped', async () => {
    const { stub } = freshShard();
    expect((await stub.stats()).schemaVersion).toBe(4);
    await runInDurableObject(stub, (_i: CityShard, state) => {
      const tables = state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").toArray().map((r) => r.name);
      expect(tables).toEqual(expect.arrayContaining(['drivers', 'timers', 'fired_timers', 'driver_presence', 'dispatch_jobs', 'offers', 'dispatch_notes', 'breadcrumbs', 'event_outbox', 'shard_meta', 'remote_calls']));
    });
  });

  it('persists trip breadcrumbs in batches, not one row per fix', async () => {
    const { stub } = freshShard();
    const driver = await onlineDriver(stub, 'drv_crumbs', 500);
    await stub.dispatch(order('ord_crumbs'));
    driver.send({ type: 'offer.accept', offerId: (await driver.next('offer')).offerId });
    await driver.next('assignment');
    const t = Date.now();
    for (let i = 1; i <= 12; i++) driver.send({ type: 'location', ...east(500 - i * 20), at: new Date(t + i * 1_000).toISOString() });
    await expect.poll(async () => (await stub.driverState('drv_crumbs'))?.position?.at).toBe(t + 12_000);
    const before = await runInDurableObject(stub, (_i: CityShard, state) => state.storage.sql.exec('SELECT COUNT(*) AS n FROM breadcrumbs').one().n);
    expect(before).toBe(0); // nothing written per fix
    const crumbs = await stub.breadcrumbs('ord_crumbs'); // flushes the batch
    expect(crumbs.points).toHaveLength(12);
    expect(crumbs.batches).toBe(1);
    expect(crumbs.points.map((p) => p[0])).toEqual(Array.from({ length: 12 }, (_, i) => t + (i + 1) * 1_000));
  });

  it('is reachable under its key from the namespace (the key names its origin)', async () => {
    const { stub, key } = freshShard();
    expect((await stub.stats()).shardKey).toBe(key);
    expect(env.CITY_SHARD.idFromName(key).equals(env.CITY_SHARD.getByName(key).id)).toBe(true);
  });
});
