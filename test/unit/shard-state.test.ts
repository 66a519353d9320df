import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../durable-objects/city-shard/matching';
import { ServerToDriverSchema, ServerToWatcherSchema, type ServerToWatcher } from '../../domain/protocol/city-shard';
import type { ShardInput } from '../../durable-objects/city-shard/state';
import { CENTER, T0, east, iso, ShardHarness as Shard } from '../support/shard-harness';

describe('shard state: location ingest', () => {
  it('applies fixes in time order and ignores duplicates and late ones', () => {
    const s = new Shard();
    s.do({ type: 'driver.connected', driverId: 'd1', vehicle: 'bike' }, T0);
    expect(s.move('d1', 100, T0 + 1_000)).toBeUndefined();
    s.move('d1', 150, T0 + 5_000);
    expect(s.state.drivers.get('d1')!.position!.lng).toBeCloseTo(east(150).lng, 9);
    s.move('d1', 150, T0 + 6_000, T0 + 5_000); // duplicate
    s.move('d1', 120, T0 + 6_000, T0 + 3_000); // late
    expect(s.state.drivers.get('d1')!.position!.lng).toBeCloseTo(east(150).lng, 9);
    // Neither is reported to the device: retries and late arrivals are normal.
    expect(s.sentTo('d1')).toEqual([]);

    const summary = s.do({ type: 'driver.locations', driverId: 'd1', vehicle: 'bike', points: [
      { ...east(200), at: iso(T0 + 9_000) },
      { ...east(180), at: iso(T0 + 7_000) },
      { ...east(160), at: iso(T0 + 4_000) },
      { ...east(180), at: iso(T0 + 7_000) },
    ] }, T0 + 10_000);
    expect(summary).toEqual({ accepted: 2, duplicate: 1, outOfOrder: 1, implausibleJump: 0, future: 0, inaccurate: 0 });
    expect(s.state.drivers.get('d1')!.position).toMatchObject({ at: T0 + 9_000, lng: expect.closeTo(east(200).lng, 9) });
  });

  it('flags implausible jumps without applying them, and re-anchors after three consistent fixes', () => {
    const s = new Shard();
    s.do({ type: 'driver.connected', driverId: 'd1', vehicle: 'car' }, T0);
    s.move('d1', 0, T0);
    s.move('d1', 20_000, T0 + 4_000); // 20 km in 4 s
    expect(s.state.drivers.get('d1')!.position!.lng).toBe(CENTER.lng);
    expect(s.sentTo('d1')).toEqual([{ type: 'location.rejected', at: iso(T0 + 4_000), reason: 'implausible_jump' }]);
    expect(s.effects).toContainEqual({ type: 'saveDriver', driverId: 'd1' });
    s.move('d1', 20_040, T0 + 8_000);
    expect(s.state.drivers.get('d1')!.flaggedPoints).toBe(2);
    // The third fix that agrees with the other two wins: the first fix was the bad one.
    s.move('d1', 20_080, T0 + 12_000);
    expect(s.state.drivers.get('d1')!.position!.lng).toBeCloseTo(east(20_080).lng, 9);
    // A normal move afterwards is applied as usual.
    s.move('d1', 20_100, T0 + 16_000);
    expect(s.state.drivers.get('d1')!.position!.lng).toBeCloseTo(east(20_100).lng, 9);
  });

  it('refuses fixes from the future and inaccurate ones', () => {
    const s = new Shard();
    s.do({ type: 'driver.connected', driverId: 'd1', vehicle: 'car' }, T0);
    s.move('d1', 0, T0, T0 + 60_000);
    expect(s.sentTo('d1')).toEqual([{ type: 'location.rejected', at: iso(T0 + 60_000), reason: 'future' }]);
    s.say('d1', { type: 'location', ...east(10), accuracy: 5_000, at: iso(T0) }, T0);
    expect(s.sentTo('d1')[0]).toMatchObject({ reason: 'inaccurate' });
    expect(s.state.drivers.get('d1')!.position).toBeNull();
  });

  it('stops offering work to a silent driver', () => {
    const s = new Shard();
    s.online('quiet', 100, T0);
    s.dispatch('ord_1', T0 + DEFAULT_POLICY.silentAfterMs + 1);
    expect(s.state.jobs.get('ord_1')!.dispatch).toBe('unassigned');
    // Heard from again: the unassigned order nearby is offered at once.
    s.move('quiet', 110, T0 + DEFAULT_POLICY.silentAfterMs + 2_000);
    expect(s.sentTo('quiet')).toContainEqual(expect.objectContaining({ type: 'offer', orderId: 'ord_1' }));
  });
});

describe('shard state: dispatch', () => {
  it('offers to the best driver; decline and timeout move on; accept assigns, with reasons recorded', () => {
    const s = new Shard();
    s.online('d-near', 300, T0);
    s.online('d-mid', 800, T0);
    s.online('d-far', 1_500, T0);
    const view = s.dispatch('ord_1', T0 + 1_000);
    expect(view).toMatchObject({ dispatch: 'offered', round: 1 });
    const first = s.offerOf('ord_1')!;
    expect(first.driverId).toBe('d-near');
    expect(first.candidates.map((c) => c.driverId)).toEqual(['d-near', 'd-mid', 'd-far']);
    expect(first.reason).toMatch(/^lowest score/);
    expect(s.sentTo('d-near')).toEqual([{ type: 'offer', offerId: first.offerId, orderId: 'ord_1', pickup: east(0), dropoff: east(2_000), payoutCents: 500, expiresAt: iso(T0 + 1_000 + 20_000) }]);
    expect(s.effects).toContainEqual({ type: 'setTimer', id: `offer:${first.offerId}`, kind: 'offer_expiry', fireAt: T0 + 21_000, payload: first.offerId });

    s.say('d-near', { type: 'offer.decline', offerId: first.offerId, reason: 'too far' }, T0 + 3_000);
    expect(first).toMatchObject({ status: 'declined', outcomeReason: 'declined: too far' });
    const second = s.offerOf('ord_1')!;
    expect(second.driverId).toBe('d-mid');
    expect(second.candidates.find((c) => c.driverId === 'd-near')?.rejectedBecause).toBe('declined this order');

    s.fire('offer_expiry', second.offerId, second.expiresAt);
    expect(second).toMatchObject({ status: 'expired', outcomeReason: 'no answer within 20 s' });
    expect(s.sentTo('d-mid')).toEqual([{ type: 'offer.expired', offerId: second.offerId }]);
    const third = s.offerOf('ord_1')!;
    expect(third.driverId).toBe('d-far');

    s.say('d-far', { type: 'offer.accept', offerId: third.offerId }, third.expiresAt - 1);
    // Nobody is told before Postgres has the assignment (ADR 0075): the shard asks for the commit.
    expect(s.sentTo('d-far')).toEqual([]);
    expect(s.watchers('ord_1')).toEqual([]);
    expect(s.effects).toContainEqual({ type: 'commitAssignment', orderId: 'ord_1' });
    expect(s.state.jobs.get('ord_1')).toMatchObject({ dispatch: 'assigned', driverId: 'd-far', offerId: null, pendingAssignment: { offerId: third.offerId, driverId: 'd-far' } });
    s.do({ type: 'assignment.committed', orderId: 'ord_1', offerId: third.offerId, outcome: 'assigned', reason: null }, third.expiresAt);
    expect(s.sentTo('d-far')).toEqual([{ type: 'assignment', orderId: 'ord_1' }]);
    expect(s.state.jobs.get('ord_1')!.pendingAssignment).toBeNull();
    // Watchers hear the committed event, with its seq, when the orders domain relays it.
    s.do({ type: 'order.status', orderId: 'ord_1', status: 'preparing', dispatch: 'assigned', seq: 4 }, third.expiresAt + 1);
    expect(s.watchers('ord_1')).toEqual([expect.objectContaining({ type: 'status', dispatch: 'assigned', seq: 4 })]);
    expect(s.events('dispatch.offered').map((e) => e.type === 'dispatch.offered' && e.driverId)).toEqual(['d-near', 'd-mid', 'd-far']);
    expect(s.events('dispatch.offer_resolved').map((e) => e.type === 'dispatch.offer_resolved' && e.status)).toEqual(['declined', 'expired', 'accepted']);
    expect(s.events('dispatch.accepted')).toEqual([expect.objectContaining({ orderId: 'ord_1', driverId: 'd-far', offerId: third.offerId, payoutCents: 500 })]);
    // Event ids are stable keys: one per fact.
    const ids = s.events().map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);

    // The old timer firing late changes nothing.
    s.fire('offer_expiry', third.offerId, third.expiresAt);
    expect(s.effects).toEqual([]);
  });

  it('answers accepts that cannot be honoured with an error, and never assigns twice', () => {
    const s = new Shard();
    s.online('a', 100, T0);
    s.online('b', 200, T0);
    s.dispatch('ord_1', T0);
    const offer = s.offerOf('ord_1')!;
    s.say('b', { type: 'offer.accept', offerId: offer.offerId }, T0 + 1);
    expect(s.sentTo('b')).toEqual([{ type: 'error', code: 'offer_not_found', detail: 'No such offer.' }]);
    s.say('a', { type: 'offer.accept', offerId: offer.offerId }, T0 + 2);
    s.say('a', { type: 'offer.accept', offerId: offer.offerId }, T0 + 3);
    expect(s.sentTo('a')).toEqual([{ type: 'error', code: 'offer_closed', detail: 'The offer is accepted.' }]);
    expect(s.events('dispatch.accepted')).toHaveLength(1);
  });

  it('treats an accept after the expiry time as expired even before the timer runs', () => {
    const s = new Shard();
    s.online('late', 100, T0);
    s.online('next', 900, T0);
    s.dispatch('ord_1', T0);
    const offer = s.offerOf('ord_1')!;
    s.say('late', { type: 'offer.accept', offerId: offer.offerId }, offer.expiresAt);
    expect(s.sentTo('late')).toEqual([{ type: 'offer.expired', offerId: offer.offerId }, { type: 'error', code: 'offer_expired', detail: 'The offer expired.' }]);
    expect(s.offerOf('ord_1')!.driverId).toBe('next');
    expect(s.events('dispatch.accepted')).toHaveLength(0);
  });

  it('never gives one driver two open offers: the second order waits unassigned, then gets the driver when free', () => {
    const s = new Shard();
    s.online('only', 100, T0);
    s.dispatch('ord_1', T0);
    s.dispatch('ord_2', T0 + 1);
    expect(s.state.jobs.get('ord_2')).toMatchObject({ dispatch: 'unassigned', offerId: null });
    expect(s.effects).toContainEqual(expect.objectContaining({ type: 'note', orderId: 'ord_2', kind: 'no_driver' }));
    expect(s.effects).toContainEqual({ type: 'setTimer', id: 'retry:ord_2', kind: 'dispatch_retry', fireAt: T0 + 1 + DEFAULT_POLICY.retryUnassignedMs, payload: 'ord_2' });
    expect(s.events('dispatch.unassigned')).toHaveLength(1);
    // Declining the first frees the driver, who is offered the second at once.
    s.say('only', { type: 'offer.decline', offerId: s.offerOf('ord_1')!.offerId }, T0 + 2);
    expect(s.offerOf('ord_2')?.driverId).toBe('only');
    expect(s.state.jobs.get('ord_1')!.dispatch).toBe('unassigned');
  });

  it('dispatch is idempotent per order', () => {
    const s = new Shard();
    s.online('a', 100, T0);
    s.online('b', 200, T0);
    const first = s.dispatch('ord_1', T0);
    const again = s.dispatch('ord_1', T0 + 1);
    expect(again).toEqual(first);
    expect(s.effects).toEqual([]);
    expect(s.state.offers.size).toBe(1);
  });

  it('widens the radius, then marks the order unassigned and retries on its timer', () => {
    const s = new Shard();
    s.online('far', 7_000, T0);
    s.say('far', { type: 'availability', available: false }, T0);
    s.dispatch('ord_1', T0);
    expect(s.state.jobs.get('ord_1')!.dispatch).toBe('unassigned');
    const note = s.effects.find((e) => e.type === 'note');
    expect(note).toMatchObject({ kind: 'no_driver', detail: { searches: [{ radiusM: 3_000 }, { radiusM: 6_000 }, { radiusM: 10_000 }] } });
    // Changed behind the shard's back: only the retry timer can notice.
    s.state.drivers.get('far')!.available = true;
    s.state.index.setAvailable('far', true);
    s.fire('dispatch_retry', 'ord_1', T0 + DEFAULT_POLICY.retryUnassignedMs);
    expect(s.offerOf('ord_1')).toMatchObject({ driverId: 'far', radiusM: 10_000, reason: expect.stringMatching(/^nobody free within 6000 m, widened to 10000 m; lowest score/) });
    expect(s.effects).toContainEqual({ type: 'clearTimer', id: 'retry:ord_1' });
  });

  it('a driver going unavailable with an open offer declines it; reconnecting resends the offer', () => {
    const s = new Shard();
    s.online('a', 100, T0);
    s.online('b', 500, T0);
    s.dispatch('ord_1', T0);
    const offer = s.offerOf('ord_1')!;
    s.do({ type: 'driver.disconnected', driverId: 'a' }, T0 + 1_000);
    s.do({ type: 'driver.connected', driverId: 'a', vehicle: 'scooter' }, T0 + 2_000);
    expect(s.sentTo('a')).toEqual([
      { type: 'session', v: 1, driverId: 'a', status: 'busy', available: true, orderId: null, stacked: null },
      { type: 'offer', offerId: offer.offerId, orderId: 'ord_1', pickup: east(0), dropoff: east(2_000), payoutCents: 500, expiresAt: iso(offer.expiresAt) },
    ]);
    s.say('a', { type: 'availability', available: false }, T0 + 3_000);
    expect(offer).toMatchObject({ status: 'declined', outcomeReason: 'declined: went unavailable' });
    expect(s.offerOf('ord_1')!.driverId).toBe('b');
  });

  it('streams position and a falling ETA to the watchers during the trip, and frees the driver at the end', () => {
    const s = new Shard();
    s.online('d', 1_000, T0, 'bike');
    s.dispatch('ord_1', T0);
    s.say('d', { type: 'offer.accept', offerId: s.offerOf('ord_1')!.offerId }, T0 + 1_000);
    const etas: number[] = [];
    for (let i = 1; i <= 5; i++) {
      s.move('d', 1_000 - i * 100, T0 + 1_000 + i * 4_000);
      const w = s.watchers('ord_1');
      expect(w.map((m) => m.type)).toEqual(['location', 'eta']);
      expect(s.effects).toContainEqual(expect.objectContaining({ type: 'breadcrumb', orderId: 'ord_1', driverId: 'd' }));
      expect(s.effects.filter((e) => e.type === 'watchers').every((e) => e.type === 'watchers' && e.coalesce)).toBe(true);
      etas.push((w[1] as Extract<ServerToWatcher, { type: 'eta' }>).seconds);
    }
    expect(etas).toEqual([...etas].sort((a, b) => b - a));
    expect(etas[0]).toBeGreaterThan(etas[4]!);
    s.do({ type: 'order.status', orderId: 'ord_1', status: 'in_delivery', dispatch: 'picked_up' }, T0 + 30_000);
    expect(s.watchers('ord_1')).toEqual([{ type: 'status', orderId: 'ord_1', status: 'in_delivery', dispatch: 'picked_up', at: iso(T0 + 30_000) }]);
    s.do({ type: 'order.status', orderId: 'ord_1', status: 'delivered', dispatch: 'dropped_off' }, T0 + 60_000);
    expect(s.state.drivers.get('d')).toMatchObject({ orderId: null, idleSince: T0 + 60_000 });
    expect(s.state.jobs.get('ord_1')!.endedAt).toBe(T0 + 60_000);
    expect(s.effects).toContainEqual({ type: 'setTimer', id: 'housekeeping', kind: 'housekeeping', fireAt: T0 + 60_000 + 3_600_000, payload: '' });
    // An hour later the job leaves memory (its log stays in SQLite for a day).
    s.fire('housekeeping', '', T0 + 60_000 + 3_600_001);
    expect(s.state.jobs.has('ord_1')).toBe(false);
    expect(s.effects).toContainEqual({ type: 'purge', memoryBefore: T0 + 60_001, storageBefore: T0 + 60_000 + 3_600_001 - 86_400_000 });
  });

  it('cancelling withdraws an open offer, or tells the assigned driver', () => {
    const s = new Shard();
    s.online('a', 100, T0);
    s.online('b', 200, T0);
    s.dispatch('ord_1', T0);
    s.dispatch('ord_2', T0);
    const offer1 = s.offerOf('ord_1')!;
    const offer2 = s.offerOf('ord_2')!;
    s.say(offer2.driverId, { type: 'offer.accept', offerId: offer2.offerId }, T0 + 1);
    s.do({ type: 'assignment.committed', orderId: 'ord_2', offerId: offer2.offerId, outcome: 'assigned', reason: null }, T0 + 1);
    s.do({ type: 'dispatch.cancelled', orderId: 'ord_1', reason: 'customer cancelled' }, T0 + 2);
    expect(offer1).toMatchObject({ status: 'cancelled', outcomeReason: 'customer cancelled' });
    expect(s.sentTo(offer1.driverId)).toContainEqual({ type: 'offer.expired', offerId: offer1.offerId });
    s.do({ type: 'dispatch.cancelled', orderId: 'ord_2', reason: 'could not be persisted' }, T0 + 3);
    expect(s.sentTo('b')).toContainEqual({ type: 'assignment.cancelled', orderId: 'ord_2' });
    expect(s.state.drivers.get('b')!.orderId).toBeNull();
    expect(s.do({ type: 'dispatch.cancelled', orderId: 'ord_unknown', reason: 'x' }, T0 + 4)).toBeNull();
  });
});

describe('shard state: the assignment is committed before anyone is told (ADR 0075)', () => {
  const accepted = () => {
    const s = new Shard();
    s.online('a', 100, T0);
    s.dispatch('ord_1', T0);
    const offer = s.offerOf('ord_1')!;
    s.say('a', { type: 'offer.accept', offerId: offer.offerId }, T0 + 1_000);
    return { s, offer };
  };

  it('a refused commit tells the driver the offer is gone, never `assignment`, and frees the driver', () => {
    const { s, offer } = accepted();
    s.do({ type: 'assignment.committed', orderId: 'ord_1', offerId: offer.offerId, outcome: 'refused', reason: 'order is cancelled' }, T0 + 1_100);
    expect(s.sentTo('a')).toEqual([{ type: 'offer.expired', offerId: offer.offerId }, expect.objectContaining({ type: 'error', code: 'offer_closed' })]);
    expect(s.state.jobs.get('ord_1')!.endedAt).not.toBeNull();
    expect(s.state.drivers.get('a')).toMatchObject({ orderId: null, offerId: null });
  });

  it('a commit that does not answer is asked again from the alarm, backing off; a reconnect is not told `assignment` meanwhile', () => {
    const { s, offer } = accepted();
    const timer = s.effects.find((e) => e.type === 'setTimer' && e.kind === 'assignment_commit');
    expect(timer).toMatchObject({ fireAt: T0 + 1_000 + 2_000 });
    s.fire('assignment_commit', 'ord_1', T0 + 3_000);
    expect(s.effects).toContainEqual({ type: 'commitAssignment', orderId: 'ord_1' });
    expect(s.effects.find((e) => e.type === 'setTimer')).toMatchObject({ kind: 'assignment_commit', fireAt: T0 + 3_000 + 4_000 });
    s.do({ type: 'driver.disconnected', driverId: 'a' }, T0 + 3_100);
    s.do({ type: 'driver.connected', driverId: 'a', vehicle: 'bike' }, T0 + 3_200);
    expect(s.sentTo('a')).toEqual([expect.objectContaining({ type: 'session', orderId: null })]);
    s.do({ type: 'assignment.committed', orderId: 'ord_1', offerId: offer.offerId, outcome: 'duplicate', reason: null }, T0 + 5_000);
    expect(s.sentTo('a')).toEqual([{ type: 'assignment', orderId: 'ord_1' }]);
    // A late timer after the answer does nothing.
    s.fire('assignment_commit', 'ord_1', T0 + 7_000);
    expect(s.effects).toEqual([]);
  });

  it('an order without a job yet is told each committed event once, and a job started later does not repeat it', () => {
    const s = new Shard();
    s.online('a', 100, T0);
    s.do({ type: 'order.status', orderId: 'ord_1', status: 'placed', dispatch: 'unassigned', seq: 2 }, T0);
    expect(s.watchers('ord_1')).toEqual([expect.objectContaining({ status: 'placed', seq: 2 })]);
    s.do({ type: 'order.status', orderId: 'ord_1', status: 'placed', dispatch: 'unassigned', seq: 2 }, T0 + 1);
    expect(s.watchers('ord_1')).toEqual([]);
    s.do({ type: 'order.status', orderId: 'ord_1', status: 'preparing', dispatch: 'unassigned', seq: 3 }, T0 + 2);
    expect(s.watchers('ord_1')).toEqual([expect.objectContaining({ status: 'preparing', seq: 3 })]);
    s.dispatch('ord_1', T0 + 3);
    // A watcher connecting now is greeted with the committed event it would have heard, seq included.
    expect(s.state.jobs.get('ord_1')!.timeline).toMatchObject({ seq: 3, status: 'preparing' });
    // The queue's backstop repeats seq 3 once the job exists: not sent again.
    s.do({ type: 'order.status', orderId: 'ord_1', status: 'preparing', dispatch: 'unassigned', seq: 3 }, T0 + 4);
    expect(s.watchers('ord_1')).toEqual([]);
  });

  it('watchers never see an older committed event after a newer one', () => {
    const { s, offer } = accepted();
    s.do({ type: 'assignment.committed', orderId: 'ord_1', offerId: offer.offerId, outcome: 'assigned', reason: null }, T0 + 1_100);
    s.do({ type: 'order.status', orderId: 'ord_1', status: 'ready', dispatch: 'assigned', seq: 6 }, T0 + 1_200);
    expect(s.watchers('ord_1')).toEqual([expect.objectContaining({ status: 'ready', seq: 6 })]);
    s.do({ type: 'order.status', orderId: 'ord_1', status: 'preparing', dispatch: 'assigned', seq: 5 }, T0 + 1_300);
    expect(s.watchers('ord_1')).toEqual([]);
    expect(s.state.jobs.get('ord_1')!.orderStatus).toBe('ready');
    s.do({ type: 'order.status', orderId: 'ord_1', status: 'ready', dispatch: 'assigned', seq: 6 }, T0 + 1_400);
    expect(s.watchers('ord_1')).toEqual([]);
  });
});

describe('shard state: invariants under random interleavings', () => {
  it('never two open offers to one driver, never one order to two drivers (5,000 random steps)', () => {
    let seed = 12345;
    const r = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const s = new Shard();
    const drivers = Array.from({ length: 8 }, (_, i) => `d${i}`);
    const orders = Array.from({ length: 60 }, (_, i) => `ord_${i}`);
    let now = T0;
    drivers.forEach((d, i) => s.online(d, i * 400, now));
    const accepted = new Map<string, string>();
    for (let i = 0; i < 5_000; i++) {
      now += Math.floor(r() * 3_000);
      s.effects = [];
      const d = drivers[Math.floor(r() * drivers.length)]!;
      const o = orders[Math.floor(r() * orders.length)]!;
      const x = r();
      const offerOfD = s.state.drivers.get(d)!.offerId;
      if (x < 0.15) s.dispatch(o, now, Math.floor(r() * 4_000));
      else if (x < 0.35 && offerOfD) s.say(d, { type: 'offer.accept', offerId: r() < 0.9 ? offerOfD : `ofr_${Math.floor(r() * 50)}` }, now);
      else if (x < 0.5 && offerOfD) s.say(d, { type: 'offer.decline', offerId: offerOfD }, now);
      else if (x < 0.6) s.say(d, { type: 'availability', available: r() < 0.7 }, now);
      else if (x < 0.7) {
        const pending = [...s.state.offers.values()].filter((of) => of.status === 'pending');
        const of = pending[Math.floor(r() * pending.length)];
        if (of) s.fire('offer_expiry', of.offerId, Math.max(now, of.expiresAt));
      } else if (x < 0.75) s.do({ type: 'order.status', orderId: o, status: r() < 0.5 ? 'delivered' : 'cancelled', dispatch: null }, now);
      else if (x < 0.8) s.fire('dispatch_retry', o, now);
      else if (x < 0.85) s.do({ type: r() < 0.5 ? 'driver.disconnected' : 'driver.connected', driverId: d, vehicle: 'car' } as ShardInput, now);
      else s.move(d, Math.floor(r() * 4_000), now);

      // Invariants, after every step.
      const pendingByDriver = new Map<string, number>();
      const liveByOrder = new Map<string, number>();
      for (const of of s.state.offers.values()) {
        if (of.status === 'pending') pendingByDriver.set(of.driverId, (pendingByDriver.get(of.driverId) ?? 0) + 1);
        if (of.status === 'pending' || (of.status === 'accepted' && s.state.jobs.get(of.orderId)!.endedAt === null)) liveByOrder.set(of.orderId, (liveByOrder.get(of.orderId) ?? 0) + 1);
      }
      for (const n of pendingByDriver.values()) expect(n).toBe(1);
      for (const n of liveByOrder.values()) expect(n).toBe(1);
      for (const dr of s.state.drivers.values()) {
        if (dr.offerId) expect(s.state.offers.get(dr.offerId)).toMatchObject({ status: 'pending', driverId: dr.driverId });
        expect(dr.offerId !== null && dr.orderId !== null).toBe(false);
      }
      for (const e of s.effects) {
        if (e.type === 'emit' && e.event.type === 'dispatch.accepted') {
          expect(accepted.has(e.event.orderId)).toBe(false);
          accepted.set(e.event.orderId, e.event.driverId);
        }
        if (e.type === 'send') expect(ServerToDriverSchema.safeParse(e.message).success, JSON.stringify(e.message)).toBe(true);
        if (e.type === 'watchers') expect(ServerToWatcherSchema.safeParse(e.message).success, JSON.stringify(e.message)).toBe(true);
      }
    }
    // The random walk did exercise the paths it guards.
    expect(accepted.size).toBeGreaterThan(3);
    expect(s.events('dispatch.offer_resolved').length).toBeGreaterThan(50);
  });
});
