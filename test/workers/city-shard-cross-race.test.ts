/**
 * Cross-shard matching under races and evictions (docs/decisions/0060): a
 * driver near a border is wanted by its own shard and by its neighbours at
 * the same time. It never holds two open offers, and no order is assigned
 * twice.
 */
import { env } from 'cloudflare:workers';
import { evictDurableObject, runDurableObjectAlarm } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { ShardEvent } from '../../durable-objects/city-shard/events';
import { east, onlineDriver, recordEvents, shiftClock } from './city-shard-helpers';
import { dispatchAt, hookPeers, offerRows, pendingCalls, splitCity } from './city-shard-cross-helpers';

const settle = () => new Promise((r) => setTimeout(r, 300));

describe('cross-shard matching races', () => {
  it('the driver taken by its own shard between the search and the placement is refused; the order moves on', async () => {
    const { city, home, next } = splitCity();
    const own = await onlineDriver(home.stub, 'drv_own', 2_000);
    const shared = await onlineDriver(next.stub, 'drv_shared', 4_300);
    let raced = false;
    await hookPeers(home.stub, {
      beforeHost: async (key) => {
        if (raced) return;
        raced = true;
        // The driver's shard offers the driver one of its own orders first.
        await env.CITY_SHARD.getByName(key).dispatch({ orderId: 'ord_next', pickup: east(4_500), dropoff: east(7_000), payoutCents: 500 });
      },
    });

    expect(await dispatchAt(city, 'ord_home')).toMatchObject({ dispatch: 'offered' });
    expect(raced).toBe(true);
    expect(await shared.next('offer')).toMatchObject({ orderId: 'ord_next' });
    expect(await own.next('offer')).toMatchObject({ orderId: 'ord_home' });
    await settle();
    expect(shared.all('offer')).toHaveLength(1);

    const log = (await home.stub.dispatchLog('ord_home'))!;
    expect(log.offers.map((o) => [o.driverId, o.driverShard, o.status])).toEqual([
      ['drv_shared', next.key, 'cancelled'],
      ['drv_own', null, 'pending'],
    ]);
    expect(log.offers[0]!.outcome).toBe(`not placed by shard ${next.key}: the driver is no longer free`);
    // One open offer for the driver in its shard's storage: its own order's.
    expect((await offerRows(next.stub)).filter((r) => r.driver_id === 'drv_shared' && r.status === 'pending').map((r) => r.order_id)).toEqual(['ord_next']);
  });

  it('two shards and the driver own shard want one driver at once: one open offer, one assignment', async () => {
    const { city, home, next, far } = splitCity();
    const recorders = await Promise.all([home, next, far].map((s) => recordEvents(s.stub)));
    const facts = (): ShardEvent[] => recorders.flat();
    // In the middle cell, 4.2 km from both border pickups (west in `home`, east in `far`), 200 m from its own shard's.
    const driver = await onlineDriver(next.stub, 'drv_wanted', 8_000);

    const views = await Promise.all([dispatchAt(city, 'ord_west', 3_800), dispatchAt(city, 'ord_east', 12_200), dispatchAt(city, 'ord_mid', 8_200)]);
    expect(views.filter((v) => v.dispatch === 'offered')).toHaveLength(1);
    const offer = await driver.next('offer');
    await settle();
    expect(driver.all('offer')).toHaveLength(1);
    expect((await offerRows(next.stub)).filter((r) => r.driver_id === 'drv_wanted' && r.status === 'pending')).toHaveLength(1);

    driver.send({ type: 'offer.accept', offerId: offer.offerId });
    expect(await driver.next('assignment')).toEqual({ type: 'assignment', orderId: offer.orderId });
    const logs = await Promise.all([
      home.stub.dispatchLog('ord_west'),
      far.stub.dispatchLog('ord_east'),
      next.stub.dispatchLog('ord_mid'),
    ]);
    expect(logs.filter((l) => l!.driverId === 'drv_wanted').map((l) => l!.orderId)).toEqual([offer.orderId]);
    expect(logs.filter((l) => l!.dispatch === 'assigned')).toHaveLength(1);
    await expect.poll(() => facts().filter((e) => e.type === 'dispatch.accepted').length).toBe(1);
    await settle();
    expect(facts().filter((e) => e.type === 'dispatch.accepted').map((e) => e.orderId)).toEqual([offer.orderId]);
    expect(driver.all('assignment')).toHaveLength(1);
  });

  it('an acceptance reported twice (a retried call) assigns once', async () => {
    const { city, home, next } = splitCity();
    const events = await recordEvents(home.stub);
    const driver = await onlineDriver(next.stub, 'drv_twice', 4_300);
    await dispatchAt(city, 'ord_twice');
    const offer = await driver.next('offer');
    const answer = { offerId: offer.offerId as string, orderId: 'ord_twice', driverId: 'drv_twice', answer: 'accepted' as const, reason: null };
    const replies = await Promise.all([home.stub.remoteOfferAnswer(answer), home.stub.remoteOfferAnswer(answer)]);
    expect(replies).toEqual([{ status: 'accepted' }, { status: 'accepted' }]);
    // Another driver's claim on the offer is answered with how it ended, and changes nothing.
    expect(await home.stub.remoteOfferAnswer({ ...answer, driverId: 'drv_other' })).toEqual({ status: 'cancelled' });
    await expect.poll(() => events.filter((e) => e.type === 'dispatch.accepted').length).toBe(1);
    await settle();
    expect(events.filter((e) => e.type === 'dispatch.accepted')).toHaveLength(1);
    expect((await home.stub.dispatchLog('ord_twice'))!).toMatchObject({ dispatch: 'assigned', driverId: 'drv_twice' });
  });

  it('evictions in the middle of a remote offer: the owner decides from SQLite, the host still keeps the timer', async () => {
    const { city, home, next } = splitCity();
    const first = await onlineDriver(next.stub, 'drv_a', 4_300);
    const second = await onlineDriver(next.stub, 'drv_b', 4_700);

    await dispatchAt(city, 'ord_evict');
    const o1 = await first.next('offer');
    await settle();
    await evictDurableObject(next.stub); // the host forgets its memory; sockets, SQLite and the alarm stay
    // The host's clock just past this offer's expiry (not the next one's, which the host must accept).
    await shiftClock(next.stub, Date.parse(o1.expiresAt as string) - Date.now() + 5);
    expect(await runDurableObjectAlarm(next.stub)).toBe(true);
    expect(await first.next('offer.expired')).toEqual({ type: 'offer.expired', offerId: o1.offerId });
    const o2 = await second.next('offer');
    await shiftClock(next.stub, 0);

    await evictDurableObject(home.stub); // the owner forgets its memory while the second offer is open
    second.send({ type: 'offer.accept', offerId: o2.offerId });
    expect(await second.next('assignment')).toEqual({ type: 'assignment', orderId: 'ord_evict' });
    const log = (await home.stub.dispatchLog('ord_evict'))!;
    expect(log).toMatchObject({ dispatch: 'assigned', driverId: 'drv_b' });
    expect(log.offers.map((o) => [o.driverId, o.status])).toEqual([['drv_a', 'expired'], ['drv_b', 'accepted']]);
    expect(first.all('assignment')).toEqual([]);
    // No open offer and nothing left to send between the two shards.
    for (const s of [home, next]) {
      await expect.poll(async () => (await offerRows(s.stub)).filter((r) => r.status === 'pending').length).toBe(0);
      await expect.poll(() => pendingCalls(s.stub)).toBe(0);
    }
  });
});
