import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { CityShard } from '../../durable-objects/city-shard/CityShard';
import type { TestCityShard } from '../support/test-city-shard';
import { freshShard, onlineDriver, order, recordEvents, shiftClock, type Client, type Stub } from './city-shard-helpers';

const OFFER_TTL = 20_000;

/** Makes the offer timers due by moving the object's clock past their expiry, then runs the alarm. */
async function expireByAlarm(stub: Stub, afterMs = OFFER_TTL + 1_000): Promise<boolean> {
  await shiftClock(stub, afterMs);
  return runDurableObjectAlarm(stub);
}

const offerRows = (stub: Stub) =>
  runInDurableObject(stub, (_i: CityShard, state) =>
    state.storage.sql.exec<{ order_id: string; driver_id: string; status: string }>('SELECT order_id, driver_id, status FROM offers ORDER BY offered_at, round').toArray(),
  );

describe('CityShard dispatch', () => {
  it('full dispatch with three drivers: the first declines, the second times out, the third accepts', async () => {
    const { stub } = freshShard();
    const events = await recordEvents(stub);
    const near = await onlineDriver(stub, 'drv_near', 300);
    const mid = await onlineDriver(stub, 'drv_mid', 900);
    const far = await onlineDriver(stub, 'drv_far', 1_600);

    const started = Date.now();
    expect(await stub.dispatch(order('ord_full'))).toMatchObject({ orderId: 'ord_full', dispatch: 'offered', round: 1, driverId: null });
    const o1 = await near.next('offer');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(o1).toMatchObject({ orderId: 'ord_full', payoutCents: 650 });
    expect(Date.parse(o1.expiresAt as string) - started).toBeGreaterThan(OFFER_TTL - 1_000);

    near.send({ type: 'offer.decline', offerId: o1.offerId, reason: 'bike broken' });
    const o2 = await mid.next('offer');

    // Nobody answers: the offer's timer on the alarm expires it.
    expect(await expireByAlarm(stub)).toBe(true);
    expect(await mid.next('offer.expired')).toEqual({ type: 'offer.expired', offerId: o2.offerId });
    const o3 = await far.next('offer');
    far.send({ type: 'offer.accept', offerId: o3.offerId });
    expect(await far.next('assignment')).toEqual({ type: 'assignment', orderId: 'ord_full' });

    const log = (await stub.dispatchLog('ord_full'))!;
    expect(log).toMatchObject({ orderId: 'ord_full', dispatch: 'assigned', driverId: 'drv_far' });
    expect(log.offers.map((o) => [o.driverId, o.status, o.outcome])).toEqual([
      ['drv_near', 'declined', 'declined: bike broken'],
      ['drv_mid', 'expired', 'no answer within 20 s'],
      ['drv_far', 'accepted', 'accepted by driver'],
    ]);
    expect(log.offers[0]!.candidates.map((c) => c.driverId)).toEqual(['drv_near', 'drv_mid', 'drv_far']);
    expect(log.offers[0]!.candidates[0]).toMatchObject({ distanceM: expect.closeTo(300, -1), etaSeconds: expect.any(Number), score: expect.any(Number), rejectedBecause: null });
    expect(log.offers[0]!.reason).toMatch(/^lowest score .* for 30\d m by scooter/);
    expect(log.offers[1]!.candidates.find((c) => c.driverId === 'drv_near')?.rejectedBecause).toBe('declined this order');
    expect(log.offers[2]!.candidates.find((c) => c.driverId === 'drv_mid')?.rejectedBecause).toBe('let an offer for this order expire');

    // What goes to Postgres (through the queue): each fact once, acceptance once.
    await expect.poll(() => events.filter((e) => e.type === 'dispatch.accepted').length).toBe(1);
    expect(events.filter((e) => e.type === 'dispatch.offered').map((e) => e.type === 'dispatch.offered' && e.driverId)).toEqual(['drv_near', 'drv_mid', 'drv_far']);
    expect(events.find((e) => e.type === 'dispatch.accepted')).toMatchObject({ orderId: 'ord_full', driverId: 'drv_far', offerId: o3.offerId, payoutCents: 650 });
  });

  it('eviction in the middle of an offer: its timer still fires, and the order is never assigned twice', async () => {
    const { stub } = freshShard();
    const first = await onlineDriver(stub, 'drv_1', 200);
    const second = await onlineDriver(stub, 'drv_2', 700);
    await stub.dispatch(order('ord_evict'));
    const offer = await first.next('offer');

    await evictDurableObject(stub); // memory gone, sockets and SQLite kept
    expect(await stub.stats()).toMatchObject({ openOffers: 1, jobs: 1 });
    expect(await expireByAlarm(stub)).toBe(true);
    expect(await first.next('offer.expired')).toEqual({ type: 'offer.expired', offerId: offer.offerId });
    const next = await second.next('offer');

    // The first driver answers late, on the socket that survived the eviction.
    first.send({ type: 'offer.accept', offerId: offer.offerId });
    expect(await first.next('error')).toMatchObject({ code: 'offer_closed' });
    second.send({ type: 'offer.accept', offerId: next.offerId });
    await second.next('assignment');
    expect(first.all('assignment')).toEqual([]);
    expect((await offerRows(stub)).map((r) => [r.driver_id, r.status])).toEqual([['drv_1', 'expired'], ['drv_2', 'accepted']]);
    // A second run of the alarm finds nothing to do.
    await runDurableObjectAlarm(stub);
    expect((await stub.dispatchLog('ord_evict'))!.driverId).toBe('drv_2');
  });

  it('alarm-driven expiry: with nobody else, the order becomes unassigned and is retried when a driver frees up', async () => {
    const { stub } = freshShard();
    const only = await onlineDriver(stub, 'drv_only', 400);
    await stub.dispatch(order('ord_alone'));
    await only.next('offer');
    expect(await runDurableObjectAlarm(stub)).toBe(true); // early run: not due yet, nothing changes
    expect((await stub.dispatchLog('ord_alone'))!.offers[0]!.status).toBe('pending');
    expect(await expireByAlarm(stub)).toBe(true);
    await only.next('offer.expired');
    expect(await stub.snapshot()).toMatchObject({ openOffers: [], unassignedOrders: [{ orderId: 'ord_alone' }] });
    expect((await stub.dispatchLog('ord_alone'))!.notes.map((n) => n.kind)).toContain('no_driver');
    // A new driver comes online nearby: offered at once.
    const fresh = await onlineDriver(stub, 'drv_new', 800);
    expect(await fresh.next('offer')).toMatchObject({ orderId: 'ord_alone' });
  });
});

describe('CityShard dispatch under concurrency', () => {
  it('never two open offers to one driver: ten orders dispatched at once with one free driver', async () => {
    const { stub } = freshShard();
    const driver = await onlineDriver(stub, 'drv_single', 100);
    const views = await Promise.all(Array.from({ length: 10 }, (_, i) => stub.dispatch(order(`ord_c${i}`, i * 50))));
    expect(views.filter((v) => v.dispatch === 'offered')).toHaveLength(1);
    expect(views.filter((v) => v.dispatch === 'unassigned')).toHaveLength(9);
    const stats = await stub.stats();
    expect(stats.openOffers).toBe(1);
    await driver.next('offer');
    // Give any stray second offer time to arrive.
    await new Promise((r) => setTimeout(r, 200));
    expect(driver.all('offer')).toHaveLength(1);
    const pending = (await offerRows(stub)).filter((r) => r.status === 'pending');
    expect(pending).toHaveLength(1);
  });

  it('never one order to two drivers: the same order dispatched ten times at once has one offer loop', async () => {
    const { stub } = freshShard();
    const clients = await Promise.all(['a', 'b', 'c', 'd'].map((id, i) => onlineDriver(stub, `drv_${id}`, 100 + i * 100)));
    const views = await Promise.all(Array.from({ length: 10 }, () => stub.dispatch(order('ord_same'))));
    expect(new Set(views.map((v) => v.offerId)).size).toBe(1);
    expect((await offerRows(stub)).filter((r) => r.order_id === 'ord_same')).toHaveLength(1);
    // Every driver tries to accept the one offer id at the same time; only its addressee can.
    const offer = await clients[0]!.next('offer');
    for (const c of clients) c.send({ type: 'offer.accept', offerId: offer.offerId });
    await clients[0]!.next('assignment');
    for (const c of clients.slice(1)) expect(await c.next('error')).toMatchObject({ code: 'offer_not_found' });
    expect((await stub.dispatchLog('ord_same'))!.offers.filter((o) => o.status === 'accepted')).toHaveLength(1);
  });

  it('an accept racing the expiry alarm ends one way only', async () => {
    const { stub } = freshShard();
    const events = await recordEvents(stub);
    const racer = await onlineDriver(stub, 'drv_racer', 100);
    const backup = await onlineDriver(stub, 'drv_backup', 900);
    await stub.dispatch(order('ord_race'));
    const offer = await racer.next('offer');
    await shiftClock(stub, OFFER_TTL - 5); // 5 ms before expiry, on the object's clock
    racer.send({ type: 'offer.accept', offerId: offer.offerId });
    await shiftClock(stub, OFFER_TTL + 1_000);
    await runDurableObjectAlarm(stub);
    const log = (await stub.dispatchLog('ord_race'))!;
    const first = log.offers[0]!;
    if (first.status === 'accepted') {
      expect(log.offers).toHaveLength(1);
      expect(backup.all('offer')).toEqual([]);
    } else {
      expect(first.status).toBe('expired');
      expect(log.offers[1]).toMatchObject({ driverId: 'drv_backup', status: 'pending' });
      expect(racer.all('assignment')).toEqual([]);
    }
    await expect.poll(() => events.filter((e) => e.type === 'dispatch.offer_resolved' && e.offerId === offer.offerId).length).toBe(1);
    expect(events.filter((e) => e.type === 'dispatch.accepted').length).toBeLessThanOrEqual(1);
  });

  it('twenty drivers and twenty orders at once, everyone accepting: one driver per order, one order per driver', async () => {
    const { stub } = freshShard();
    const drivers: Client[] = [];
    for (let i = 0; i < 20; i++) drivers.push(await onlineDriver(stub, `drv_${String(i).padStart(2, '0')}`, (i % 5) * 300, ['bike', 'scooter', 'car'][i % 3]));
    // Every driver accepts whatever it is offered, as soon as it arrives.
    for (const c of drivers) c.ws.addEventListener('message', (e) => {
      const m = JSON.parse(e.data as string) as { type: string; offerId?: string };
      if (m.type === 'offer') c.send({ type: 'offer.accept', offerId: m.offerId });
    });
    await Promise.all(Array.from({ length: 20 }, (_, i) => stub.dispatch(order(`ord_m${i}`, (i % 4) * 400))));
    await expect.poll(async () => (await stub.snapshot()).counts.busy, { timeout: 5_000 }).toBe(20);
    const rows = await offerRows(stub);
    const accepted = rows.filter((r) => r.status === 'accepted');
    expect(accepted).toHaveLength(20);
    expect(new Set(accepted.map((r) => r.order_id)).size).toBe(20);
    expect(new Set(accepted.map((r) => r.driver_id)).size).toBe(20);
    const assignments = drivers.flatMap((c) => c.all('assignment'));
    expect(assignments).toHaveLength(20);
  });

  it('storage refuses a second open offer for a driver even if the logic did not (unique index)', async () => {
    const { stub } = freshShard();
    await runInDurableObject(stub, (_i: CityShard, state) => {
      const insert = (offerId: string, orderId: string) =>
        state.storage.sql.exec(
          "INSERT INTO offers (offer_id, order_id, driver_id, round, status, offered_at, expires_at, radius_m, reason, candidates) VALUES (?, ?, 'drv_x', 1, 'pending', 0, 1, 3000, '', '[]')",
          offerId,
          orderId,
        );
      insert('ofr_1', 'ord_1');
      expect(() => insert('ofr_2', 'ord_2')).toThrow(/UNIQUE/);
    });
  });
});

describe('CityShard outbox to Postgres', () => {
  it('keeps undelivered events and publishes them from the alarm', async () => {
    const { stub } = freshShard();
    const delivered: string[] = [];
    let fail = true;
    await runInDurableObject(stub, (instance: TestCityShard) => {
      instance.setEventSink({
        publish: async (batch) => {
          if (fail) throw new Error('queue unavailable');
          delivered.push(...batch.map((e) => e.type));
        },
      });
    });
    const d = await onlineDriver(stub, 'drv_out', 100);
    await stub.dispatch(order('ord_out'));
    await d.next('offer');
    const pending = () => runInDurableObject(stub, (_i: CityShard, state) => state.storage.sql.exec('SELECT COUNT(*) AS n FROM event_outbox').one().n);
    await expect.poll(pending).toBe(1);
    expect(delivered).toEqual([]);
    fail = false;
    await shiftClock(stub, 10_000); // past the first retry (5 s), before the offer's expiry (20 s)
    await runDurableObjectAlarm(stub);
    expect(delivered).toEqual(['dispatch.offered']);
    expect(await pending()).toBe(0);
  });

  it('publishes through the EVENTS queue by default', async () => {
    const { stub } = freshShard();
    const d = await onlineDriver(stub, 'drv_q', 100);
    await stub.dispatch(order('ord_q'));
    await d.next('offer');
    const pending = () => runInDurableObject(stub, (_i: CityShard, state) => state.storage.sql.exec('SELECT COUNT(*) AS n FROM event_outbox').one().n);
    await expect.poll(pending).toBe(0);
  });
});
