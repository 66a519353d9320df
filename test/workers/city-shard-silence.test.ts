/**
 * A driver who goes silent with an order (ADR 0079), in the shard alone
 * (its orders are answered by the test's OrderCommands substitute): the
 * driver's socket closes for good after the accept, the object's clock moves
 * on, and the alarm pings, then takes the order back and offers it to the
 * next driver, who gets it; the first driver hears it when back. A driver who
 * answers in time keeps the order; after pickup nothing is taken away.
 */
import { evictDurableObject, runDurableObjectAlarm } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { ShardEvent } from '../../durable-objects/city-shard/events';
import { DEFAULT_POLICY } from '../../durable-objects/city-shard/matching';
import { committed, connectDriver, east, freshShard, onlineDriver, order, recordEvents, releases, shiftClock, type Client, type Stub } from './city-shard-helpers';

const PING = DEFAULT_POLICY.silencePingMs;
const RELEASE = DEFAULT_POLICY.silenceReleaseMs;

/** `driver` accepts the order it is offered and hears `assignment`. */
async function accepts(driver: Client, orderId: string): Promise<void> {
  const offer = await driver.next('offer');
  expect(offer.orderId).toBe(orderId);
  driver.send({ type: 'offer.accept', offerId: offer.offerId });
  expect(await driver.next('assignment')).toEqual({ type: 'assignment', orderId });
}

/** A fix from a driver still out there, so the shard counts it as fresh on its moved clock. */
async function fix(stub: Stub, driver: Client, driverId: string, m: number): Promise<void> {
  const before = (await stub.driverState(driverId))!.lastSeenAt;
  driver.send({ type: 'location', ...east(m), at: new Date().toISOString() });
  await expect.poll(async () => (await stub.driverState(driverId))!.lastSeenAt > before).toBe(true);
}

async function gone(stub: Stub, driver: Client, driverId: string): Promise<void> {
  driver.close();
  await driver.closed;
  await expect.poll(async () => (await stub.driverState(driverId))!.connected).toBe(false);
}

const ofType = (events: ShardEvent[], type: ShardEvent['type'], orderId: string) => events.filter((e) => e.type === type && e.orderId === orderId);

describe('CityShard: a driver who goes silent with an order', () => {
  it('is pinged, then the order is taken back and assigned to another driver; the first driver is told when back', async () => {
    const { stub } = freshShard();
    const events = await recordEvents(stub);
    const first = await onlineDriver(stub, 'drv_gone', 300);
    const next = await onlineDriver(stub, 'drv_next', 900);
    await stub.dispatch(order('ord_silent'));
    await accepts(first, 'ord_silent');
    await gone(stub, first, 'drv_gone');

    await shiftClock(stub, PING + 1_000);
    await fix(stub, next, 'drv_next', 900);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await expect.poll(() => ofType(events, 'dispatch.driver_pinged', 'ord_silent').length).toBe(1);
    expect(ofType(events, 'dispatch.driver_pinged', 'ord_silent')[0]).toMatchObject({ driverId: 'drv_gone', silentSeconds: expect.any(Number), releaseAt: expect.any(String) });
    expect((await stub.snapshot()).driverAlerts).toEqual([expect.objectContaining({ orderId: 'ord_silent', driverId: 'drv_gone', kind: 'silent' })]);
    expect((await stub.dispatchLog('ord_silent'))!).toMatchObject({ driverId: 'drv_gone', dispatch: 'assigned' });
    expect(releases.filter((r) => r.orderId === 'ord_silent')).toEqual([]);

    await shiftClock(stub, RELEASE + 2_000);
    await fix(stub, next, 'drv_next', 900);
    await runDurableObjectAlarm(stub);
    await accepts(next, 'ord_silent');

    expect(releases.filter((r) => r.orderId === 'ord_silent')).toEqual([{ orderId: 'ord_silent', driverId: 'drv_gone', reason: 'driver_unresponsive', silentSince: expect.any(String) }]);
    expect(committed.filter((c) => c.orderId === 'ord_silent').map((c) => c.driverId)).toEqual(['drv_gone', 'drv_next']);
    const log = (await stub.dispatchLog('ord_silent'))!;
    expect(log).toMatchObject({ driverId: 'drv_next', dispatch: 'assigned' });
    expect(log.offers.map((o) => [o.driverId, o.status])).toEqual([['drv_gone', 'cancelled'], ['drv_next', 'accepted']]);
    expect(log.offers[0]!.outcome).toMatch(/^released: not heard from for \d+ s$/);
    expect(log.notes.map((n) => n.kind)).toEqual(expect.arrayContaining(['driver_silent', 'driver_unresponsive']));
    await expect.poll(() => ofType(events, 'dispatch.driver_released', 'ord_silent').length).toBe(1);
    expect(ofType(events, 'dispatch.driver_pinged', 'ord_silent')).toHaveLength(1);
    // One driver holds the order; the first is free (and not offered work until they say so).
    expect(await stub.driverState('drv_gone')).toMatchObject({ orderId: null, available: false });
    expect(await stub.driverState('drv_next')).toMatchObject({ orderId: 'ord_silent' });
    expect((await stub.snapshot()).driverAlerts).toEqual([expect.objectContaining({ orderId: 'ord_silent', driverId: 'drv_gone', kind: 'released' })]);

    // Back: the session names no order, and says why, once.
    const back = await connectDriver(stub, 'drv_gone');
    expect(await back.next('session')).toMatchObject({ orderId: null });
    expect(await back.next()).toEqual({ type: 'assignment.released', orderId: 'ord_silent', reason: 'driver_unresponsive', silentSeconds: expect.any(Number) });
    back.close();
    const again = await connectDriver(stub, 'drv_gone');
    await again.next('session');
    await new Promise((r) => setTimeout(r, 100));
    expect(again.all('assignment.released')).toEqual([]);
    // Another run of the alarm changes nothing.
    await runDurableObjectAlarm(stub);
    expect((await stub.dispatchLog('ord_silent'))!.driverId).toBe('drv_next');
    again.close();
    next.close();
  });

  it('survives an eviction between the ping and the release: rebuilt from SQLite, it pings once and releases once', async () => {
    const { stub } = freshShard();
    let events = await recordEvents(stub);
    const first = await onlineDriver(stub, 'drv_evicted', 300);
    const next = await onlineDriver(stub, 'drv_other', 900);
    await stub.dispatch(order('ord_evict'));
    await accepts(first, 'ord_evict');
    await gone(stub, first, 'drv_evicted');
    await shiftClock(stub, PING + 1_000);
    await runDurableObjectAlarm(stub);
    await expect.poll(() => ofType(events, 'dispatch.driver_pinged', 'ord_evict').length).toBe(1);

    await evictDurableObject(stub); // memory, clock and sink gone; SQLite and the other socket kept
    events = await recordEvents(stub);
    await shiftClock(stub, PING + 30_000);
    await runDurableObjectAlarm(stub); // the same silence: no second ping
    await shiftClock(stub, RELEASE + 2_000);
    await fix(stub, next, 'drv_other', 900);
    await runDurableObjectAlarm(stub);
    await accepts(next, 'ord_evict');
    await expect.poll(() => ofType(events, 'dispatch.driver_released', 'ord_evict').length).toBe(1);
    expect(ofType(events, 'dispatch.driver_pinged', 'ord_evict')).toEqual([]);
    expect(releases.filter((r) => r.orderId === 'ord_evict')).toHaveLength(1);

    // The notice waited in SQLite too.
    await evictDurableObject(stub);
    const back = await connectDriver(stub, 'drv_evicted');
    await back.next('session');
    expect(await back.next()).toMatchObject({ type: 'assignment.released', orderId: 'ord_evict' });
    back.close();
    next.close();
  });

  it('leaves the order with a driver who answers the ping in time', async () => {
    const { stub } = freshShard();
    const events = await recordEvents(stub);
    const driver = await onlineDriver(stub, 'drv_back', 300);
    const other = await onlineDriver(stub, 'drv_idle', 900);
    await stub.dispatch(order('ord_kept'));
    await accepts(driver, 'ord_kept');

    await shiftClock(stub, PING + 1_000);
    await runDurableObjectAlarm(stub);
    expect(await driver.next('assignment.ping')).toMatchObject({ orderId: 'ord_kept', releaseAt: expect.any(String) });
    // The app's "I am still here" (the bare ping frame is the runtime's and would not count).
    await shiftClock(stub, PING + 60_000);
    driver.send({ type: 'ping', v: 1 });
    await driver.next('pong');

    await shiftClock(stub, RELEASE + 2_000);
    await fix(stub, other, 'drv_idle', 900);
    await runDurableObjectAlarm(stub);
    await new Promise((r) => setTimeout(r, 200));
    expect(releases.filter((r) => r.orderId === 'ord_kept')).toEqual([]);
    expect(driver.all('assignment.released')).toEqual([]);
    expect(other.all('offer')).toEqual([]);
    expect(await stub.driverState('drv_back')).toMatchObject({ orderId: 'ord_kept' });
    expect(ofType(events, 'dispatch.driver_released', 'ord_kept')).toEqual([]);
    expect((await stub.snapshot()).driverAlerts).toEqual([]);
    driver.close();
    other.close();
  });

  it('after pickup takes nothing away: operators are alerted once', async () => {
    const { stub } = freshShard();
    const events = await recordEvents(stub);
    const driver = await onlineDriver(stub, 'drv_food', 300);
    const other = await onlineDriver(stub, 'drv_free', 900);
    await stub.dispatch(order('ord_food'));
    await accepts(driver, 'ord_food');
    await stub.orderStatusChanged({ orderId: 'ord_food', status: 'in_delivery', dispatch: 'picked_up', seq: 5, driverId: 'drv_food' });
    await gone(stub, driver, 'drv_food');

    await shiftClock(stub, PING + 1_000);
    await runDurableObjectAlarm(stub);
    await shiftClock(stub, RELEASE + 2_000);
    await fix(stub, other, 'drv_free', 900);
    await runDurableObjectAlarm(stub);
    await runDurableObjectAlarm(stub);
    await expect.poll(() => ofType(events, 'dispatch.driver_silent', 'ord_food').length).toBe(1);
    expect(ofType(events, 'dispatch.driver_pinged', 'ord_food')[0]).toMatchObject({ releaseAt: null });
    expect(releases.filter((r) => r.orderId === 'ord_food')).toEqual([]);
    expect(await stub.driverState('drv_food')).toMatchObject({ orderId: 'ord_food' });
    expect((await stub.snapshot()).driverAlerts).toEqual([expect.objectContaining({ orderId: 'ord_food', kind: 'silent_after_pickup' })]);
    expect(other.all('offer')).toEqual([]);
    other.close();
  });
});
