/**
 * The shard's `order.arriving_soon` fact in workerd: emitted once when the
 * driver of an order in delivery nears the dropoff, and never again after an
 * eviction or a reconnect (the job remembers it in SQLite).
 */
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { CityShard } from '../../durable-objects/city-shard/CityShard';
import { connectDriver, east, freshShard, order, recordEvents, watchOrder, type Client, type Stub } from './city-shard-helpers';

const MIN = 60_000;

/** A fix `m` metres east of the centre, `ago` ms in the past (fixes a minute apart are plausible moves). */
const fix = (c: Client, m: number, ago: number) => c.send({ type: 'location', ...east(m), at: new Date(Date.now() - ago).toISOString() });

/** Sends a fix and answers the ETA the watcher then receives (proof the shard handled it). */
async function moveAndWatch(c: Client, watcher: Client, m: number, ago: number): Promise<number> {
  const before = watcher.all('eta').length;
  fix(c, m, ago);
  await expect.poll(() => watcher.all('eta').length).toBeGreaterThan(before);
  return watcher.all('eta').at(-1)!.seconds as number;
}

const jobRow = (stub: Stub, orderId: string) =>
  runInDurableObject(stub, (_i: CityShard, state) => {
    const row = state.storage.sql.exec<{ data: string }>('SELECT data FROM dispatch_jobs WHERE order_id = ?', orderId).toArray()[0];
    return row ? (JSON.parse(row.data) as { arrivingSoonAt?: number | null }) : null;
  });

describe('CityShard: arriving soon', () => {
  it('emits the fact once, and neither an eviction nor a reconnect emits it again', async () => {
    const { stub } = freshShard();
    let events = await recordEvents(stub);
    const driver = await connectDriver(stub, 'drv_soon', 'bike');
    await driver.next('session');
    driver.send({ type: 'availability', available: true });
    await driver.next('session');
    fix(driver, 0, 10 * MIN);
    await expect.poll(async () => (await stub.driverState('drv_soon'))?.position !== null).toBe(true);

    // Pickup at the centre, dropoff 2 km east.
    await stub.dispatch(order('ord_soon'));
    const offer = await driver.next('offer');
    driver.send({ type: 'offer.accept', offerId: offer.offerId });
    await driver.next('assignment');
    const watcher = await watchOrder(stub, 'ord_soon');

    // On the way to the merchant, past nothing: no fact. Picked up: still far.
    await stub.orderStatusChanged({ orderId: 'ord_soon', status: 'in_delivery', dispatch: 'picked_up' });
    await moveAndWatch(driver, watcher, 600, 8 * MIN);
    expect(events.filter((e) => e.type === 'order.arriving_soon')).toEqual([]);

    // 400 m from the dropoff (a bike: about two minutes).
    const eta = await moveAndWatch(driver, watcher, 1_600, 6 * MIN);
    expect(eta).toBeLessThanOrEqual(180);
    await expect.poll(() => events.filter((e) => e.type === 'order.arriving_soon').length).toBe(1);
    expect(events.find((e) => e.type === 'order.arriving_soon')).toMatchObject({ id: 'ord_soon:order.arriving_soon', orderId: 'ord_soon', driverId: 'drv_soon', etaSeconds: eta });
    expect((await jobRow(stub, 'ord_soon'))?.arrivingSoonAt).toEqual(expect.any(Number));

    // Memory gone (sockets and SQLite kept), then a reconnect: closer fixes emit nothing new.
    await evictDurableObject(stub);
    events = await recordEvents(stub);
    await moveAndWatch(driver, watcher, 1_700, 5 * MIN);
    driver.close();
    await expect.poll(async () => (await stub.stats()).sockets.drivers).toBe(0);
    const again = await connectDriver(stub, 'drv_soon', 'bike');
    expect(await again.next('session')).toMatchObject({ orderId: 'ord_soon' });
    await moveAndWatch(again, watcher, 1_900, 4 * MIN);
    expect(events.filter((e) => e.type === 'order.arriving_soon')).toEqual([]);
    const pending = await runInDurableObject(stub, (_i: CityShard, state) => state.storage.sql.exec<{ id: string }>('SELECT id FROM event_outbox').toArray());
    expect(pending.filter((r) => r.id.endsWith('arriving_soon'))).toEqual([]);
    watcher.close();
    again.close();
  });
});
