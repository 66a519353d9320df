/**
 * Cross-shard matching in workerd (docs/decisions/0060): a city split into
 * 8 km cells, an order 200 m from a border, drivers on both sides. The
 * order's shard ranks both sides' drivers, the driver's shard places the offer
 * and reports the answer, and the order's shard decides.
 */
import { env } from 'cloudflare:workers';
import { runDurableObjectAlarm } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { newId } from '../../db/ids';
import { REMOTE_GRACE_MS } from '../../durable-objects/city-shard/offers';
import { dispatchOrder } from '../../workers/services/city-shard-client';
import { neighbourShards, shardFor, type CityGeometry } from '../../domain/shard-keys';
import { CENTER, east, onlineDriver, recordEvents, shiftClock, watchOrder } from './city-shard-helpers';
import { BORDER_PICKUP_M, dispatchAt, hookPeers, offerRows, splitCity } from './city-shard-cross-helpers';

const OFFER_TTL = 20_000;

describe('cross-shard matching', () => {
  it('offers a border order to the nearer driver of the neighbouring shard; its acceptance assigns the order once, logged with the shard', async () => {
    const { city, home, next } = splitCity();
    expect(shardFor(city, east(BORDER_PICKUP_M)).key).toBe(home.key);
    expect(neighbourShards(city, east(BORDER_PICKUP_M), 10_000)[0]!.key).toBe(next.key);
    const events = await recordEvents(home.stub);
    const local = await onlineDriver(home.stub, 'drv_local', 2_800); // 1 km from the pickup
    const remote = await onlineDriver(next.stub, 'drv_remote', 4_300); // 500 m, across the border

    expect(await dispatchAt(city, 'ord_border')).toMatchObject({ orderId: 'ord_border', dispatch: 'offered', driverId: null });
    const offer = await remote.next('offer');
    expect(offer).toMatchObject({ orderId: 'ord_border', payoutCents: 700, pickup: east(BORDER_PICKUP_M) });
    remote.send({ type: 'offer.accept', offerId: offer.offerId });
    expect(await remote.next('assignment')).toEqual({ type: 'assignment', orderId: 'ord_border' });

    const log = (await home.stub.dispatchLog('ord_border'))!;
    expect(log).toMatchObject({ shardKey: home.key, dispatch: 'assigned', driverId: 'drv_remote' });
    expect(log.offers).toHaveLength(1);
    expect(log.offers[0]).toMatchObject({ offerId: offer.offerId, driverId: 'drv_remote', driverShard: next.key, status: 'accepted', outcome: 'accepted by driver' });
    expect(log.offers[0]!.reason).toContain(`a driver of neighbouring shard ${next.key}`);
    // Both sides ranked by the same score; the remote candidate names its shard, the local one none.
    const [first, second] = log.offers[0]!.candidates;
    expect(first).toMatchObject({ driverId: 'drv_remote', shardKey: next.key, rejectedBecause: null, distanceM: expect.closeTo(500, -1) });
    expect(second).toMatchObject({ driverId: 'drv_local', distanceM: expect.closeTo(1_000, -1), rejectedBecause: expect.stringMatching(/^score .* is worse than/) });
    expect(second).not.toHaveProperty('shardKey');
    expect(log.notes).toContainEqual(expect.objectContaining({ kind: 'assigned', detail: { offerId: offer.offerId, driverId: 'drv_remote', shardKey: next.key } }));

    // Postgres hears of the assignment once, from the order's shard; nobody else was offered it.
    await expect.poll(() => events.filter((e) => e.type === 'dispatch.accepted').length).toBe(1);
    expect(events.find((e) => e.type === 'dispatch.accepted')).toMatchObject({ shardKey: home.key, orderId: 'ord_border', driverId: 'drv_remote', payoutCents: 700 });
    expect(local.all('offer')).toEqual([]);
    expect(await next.stub.driverState('drv_remote')).toMatchObject({ orderId: 'ord_border', orderShard: home.key, offerId: null });
    expect((await offerRows(next.stub)).map((r) => [r.order_id, r.driver_id, r.status, r.owner_shard])).toEqual([['ord_border', 'drv_remote', 'accepted', home.key]]);

    // The order's watchers (on its shard) follow the driver, whose positions go to the driver's shard.
    const watcher = await watchOrder(home.stub, 'ord_border');
    expect(await watcher.next('status')).toMatchObject({ dispatch: 'assigned' });
    remote.send({ type: 'location', ...east(4_100), at: new Date(Date.now() + 1_000).toISOString() });
    expect(await watcher.next('location')).toMatchObject({ orderId: 'ord_border', lng: expect.closeTo(east(4_100).lng, 9) });
    expect(await watcher.next('eta')).toMatchObject({ seconds: expect.any(Number) });
    expect((await home.stub.tracking('ord_border'))!.driver).toMatchObject({ driverId: 'drv_remote', location: { lng: expect.closeTo(east(4_100).lng, 9) } });
    expect((await home.stub.breadcrumbs('ord_border')).points).toHaveLength(1);

    // Delivered: the order's shard tells the driver's shard, which frees the driver.
    await home.stub.orderStatusChanged({ orderId: 'ord_border', status: 'delivered', dispatch: 'dropped_off' });
    await expect.poll(async () => (await next.stub.driverState('drv_remote'))?.orderId).toBeNull();
    expect(await next.stub.driverState('drv_remote')).toMatchObject({ orderShard: null, offerId: null });
  });

  it('keeps the one-shard path free of RPC: a city of one cell, and a split city whose pickup is far from any border', async () => {
    const whole: CityGeometry = { id: newId('cty'), center: CENTER, serviceRadiusKm: 12 };
    const split: CityGeometry = { id: newId('cty'), center: CENTER, serviceRadiusKm: 12, cellKm: 30 };
    for (const city of [whole, split]) {
      expect(neighbourShards(city, CENTER, 10_000)).toEqual([]);
      const stub = env.CITY_SHARD.getByName(shardFor(city, CENTER).key);
      const calls: string[] = [];
      await hookPeers(stub, { calls });
      const driver = await onlineDriver(stub, 'drv_only', 300);
      const view = await dispatchOrder(env, city, { id: 'ord_alone', pickup: CENTER, dropoff: east(2_000), payoutCents: 500 });
      expect(view).toMatchObject({ dispatch: 'offered' });
      expect(await driver.next('offer')).toMatchObject({ orderId: 'ord_alone' });
      expect(calls).toEqual([]);
    }
  });

  it('a decline and a timeout of remote offers move on to the next candidate, across shards', async () => {
    const { city, home, next } = splitCity();
    const events = await recordEvents(home.stub);
    const r1 = await onlineDriver(next.stub, 'drv_r1', 4_300); // 500 m
    const r2 = await onlineDriver(next.stub, 'drv_r2', 4_900); // 1.1 km
    const own = await onlineDriver(home.stub, 'drv_own', 2_000); // 1.8 km

    await dispatchAt(city, 'ord_moves');
    const o1 = await r1.next('offer');
    r1.send({ type: 'offer.decline', offerId: o1.offerId, reason: 'too far' });
    const o2 = await r2.next('offer');
    expect(o2).toMatchObject({ orderId: 'ord_moves' });

    // Nobody answers: the driver's shard keeps the timer, expires the offer, and tells the order's shard.
    await shiftClock(next.stub, OFFER_TTL + 1_000);
    expect(await runDurableObjectAlarm(next.stub)).toBe(true);
    expect(await r2.next('offer.expired')).toEqual({ type: 'offer.expired', offerId: o2.offerId });
    const o3 = await own.next('offer');
    own.send({ type: 'offer.accept', offerId: o3.offerId });
    await own.next('assignment');

    const log = (await home.stub.dispatchLog('ord_moves'))!;
    expect(log.offers.map((o) => [o.driverId, o.driverShard, o.status, o.outcome])).toEqual([
      ['drv_r1', next.key, 'declined', 'declined: too far'],
      ['drv_r2', next.key, 'expired', 'no answer within 20 s'],
      ['drv_own', null, 'accepted', 'accepted by driver'],
    ]);
    expect(log.offers[1]!.candidates.find((c) => c.driverId === 'drv_r1')).toMatchObject({ shardKey: next.key, rejectedBecause: 'declined this order' });
    expect(log.offers[2]!.candidates.find((c) => c.driverId === 'drv_r2')).toMatchObject({ shardKey: next.key, rejectedBecause: 'let an offer for this order expire' });
    // Both remote drivers are free again in their shard; each fact reached the outbox once.
    for (const id of ['drv_r1', 'drv_r2']) expect(await next.stub.driverState(id)).toMatchObject({ offerId: null, orderId: null });
    await expect.poll(() => events.filter((e) => e.type === 'dispatch.offer_resolved').length).toBe(3);
    expect(events.filter((e) => e.type === 'dispatch.accepted')).toHaveLength(1);
    expect(r1.all('assignment').concat(r2.all('assignment'))).toEqual([]);
  });

  it('a placement that never reached the driver is given up by the order shard after the grace, and withdrawn there', async () => {
    const { city, home, next } = splitCity();
    await onlineDriver(next.stub, 'drv_lost', 4_300);
    const own = await onlineDriver(home.stub, 'drv_own', 2_000);
    // The driver's shard "answers" without ever seeing the placement (as if the call was lost on its way).
    await hookPeers(home.stub, { beforeHost: async () => ({ placed: true }) });
    expect(await dispatchAt(city, 'ord_lost')).toMatchObject({ dispatch: 'offered' });

    await shiftClock(home.stub, OFFER_TTL + REMOTE_GRACE_MS + 1_000);
    await runDurableObjectAlarm(home.stub);
    expect(await own.next('offer')).toMatchObject({ orderId: 'ord_lost' });
    const log = (await home.stub.dispatchLog('ord_lost'))!;
    expect(log.offers[0]).toMatchObject({ driverId: 'drv_lost', driverShard: next.key, status: 'expired', outcome: `no answer from shard ${next.key} within 30 s` });
    // The withdrawal leaves a tombstone there, so the lost placement, arriving late, is refused.
    await expect.poll(async () => (await offerRows(next.stub)).map((r) => [r.offer_id, r.status])).toEqual([[log.offers[0]!.offerId, 'cancelled']]);
    const late = await next.stub.hostOffer({
      offerId: log.offers[0]!.offerId, orderId: 'ord_lost', driverId: 'drv_lost', ownerShard: home.key,
      pickup: east(BORDER_PICKUP_M), dropoff: east(0), payoutCents: 700, expiresAt: Date.now() + 60_000,
    });
    expect(late).toEqual({ placed: false, reason: 'the offer is already cancelled' });
    expect(await next.stub.driverState('drv_lost')).toMatchObject({ offerId: null });
  });

  it('cancelling the order withdraws an open remote offer, and tells an assigned remote driver', async () => {
    const { city, home, next } = splitCity();
    const driver = await onlineDriver(next.stub, 'drv_there', 4_300);

    await dispatchAt(city, 'ord_cancel_open');
    const open = await driver.next('offer');
    await home.stub.cancelDispatch('ord_cancel_open', 'customer cancelled');
    expect(await driver.next('offer.expired')).toEqual({ type: 'offer.expired', offerId: open.offerId });
    await expect.poll(async () => (await next.stub.driverState('drv_there'))?.offerId).toBeNull();
    driver.send({ type: 'offer.accept', offerId: open.offerId });
    expect(await driver.next('error')).toMatchObject({ code: 'offer_closed' });

    await dispatchAt(city, 'ord_cancel_assigned');
    const offer = await driver.next('offer');
    driver.send({ type: 'offer.accept', offerId: offer.offerId });
    await driver.next('assignment');
    await home.stub.cancelDispatch('ord_cancel_assigned', 'merchant cancelled');
    expect(await driver.next('assignment.cancelled')).toEqual({ type: 'assignment.cancelled', orderId: 'ord_cancel_assigned' });
    await expect.poll(async () => (await next.stub.driverState('drv_there'))?.orderId).toBeNull();
    expect(driver.all('assignment')).toHaveLength(1);
  });
});
