/**
 * Batching in the shard's reducer (batch-dispatch.ts, ADR 0105): a driver on
 * one order is offered a second from a nearby shop heading the same way,
 * sees both on one offer, carries both, and each order keeps its own
 * watchers; the decision log says why a batch was or was not made.
 */
import { describe, expect, it } from 'vitest';
import type { Effect } from '../../durable-objects/city-shard/model';
import { snapshotOf } from '../../durable-objects/city-shard/views';
import { ShardHarness, T0, east } from '../support/shard-harness';

const ON = { enabled: true, maxAddedDetourSeconds: 420, maxAddedDetourM: 2_500 };

function dispatch(s: ShardHarness, orderId: string, pickupM: number, dropoffM: number, now: number, batching = ON, payoutCents = 500) {
  return s.do({ type: 'dispatch.requested', request: { orderId, pickup: east(pickupM), dropoff: east(dropoffM), payoutCents, shop: { name: `Shop ${orderId}`, address: `${pickupM} m east` }, batching, promisedBy: T0 + 45 * 60_000 } }, now);
}

const batchNotes = (effects: Effect[], orderId: string) =>
  effects.flatMap((e) => (e.type === 'note' && e.kind === 'batch' && e.orderId === orderId ? (e.detail.batch ?? []) : []));

/** d1 carries ord_1 (pickup at the centre, dropoff 2 km east); d2 is free 2.5 km away. */
function carrying(): ShardHarness {
  const s = new ShardHarness();
  s.online('d1', 200, T0);
  dispatch(s, 'ord_1', 0, 2_000, T0 + 1_000, ON, 600);
  s.assign('ord_1', 'd1', T0 + 2_000);
  s.online('d2', 2_500, T0 + 3_000);
  return s;
}

describe('shard: batching', () => {
  it('offers the carrier a second order from a nearby shop heading the same way, both on one offer', () => {
    const s = carrying();
    dispatch(s, 'ord_2', 150, 2_300, T0 + 10_000);
    const offer = s.offerOf('ord_2')!;
    expect(offer.driverId).toBe('d1');
    expect(offer.batch).toMatchObject({ withOrderId: 'ord_1' });
    expect(offer.reason).toMatch(/^stacked on order ord_1: pickups 150 m apart/);
    const [message] = s.sentTo('d1');
    expect(message).toMatchObject({
      type: 'offer',
      orderId: 'ord_2',
      shop: { name: 'Shop ord_2' },
      batch: {
        withOrderId: 'ord_1',
        // What both assignments credit: 600 committed for ord_1, 500 for this one.
        totalPayoutCents: 1_100,
        with: { orderId: 'ord_1', payoutCents: 600, pickedUp: false, shop: { name: 'Shop ord_1' } },
      },
    });
    // Both pickups (in either order: from 200 m east the two are as short), then the dropoffs in the order they lie.
    const stops = message!.type === 'offer' ? message.batch!.stops : [];
    expect(stops.slice(0, 2).map((x) => x.kind)).toEqual(['pickup', 'pickup']);
    expect(stops.slice(2)).toEqual([
      { orderId: 'ord_1', kind: 'dropoff' },
      { orderId: 'ord_2', kind: 'dropoff' },
    ]);
    expect(s.sentTo('d2')).toEqual([]);
    expect(batchNotes(s.effects, 'ord_2')).toEqual([expect.objectContaining({ driverId: 'd1', withOrderId: 'ord_1', reason: 'batched' })]);
  });

  it('carries both: the driver keeps the first order, each order its own watchers; the second moves up when the first is delivered', () => {
    const s = carrying();
    dispatch(s, 'ord_2', 150, 2_300, T0 + 10_000);
    s.assign('ord_2', 'd1', T0 + 11_000);
    expect(s.sentTo('d1')).toContainEqual({ type: 'assignment', orderId: 'ord_2' });
    const d1 = s.state.drivers.get('d1')!;
    expect(d1.orderId).toBe('ord_1');
    expect(s.state.jobs.get('ord_1')!.batchWith).toBe('ord_2');
    expect(s.state.jobs.get('ord_2')!.batchWith).toBe('ord_1');
    // Operators' map names both orders the driver carries.
    expect(snapshotOf(s.state, T0 + 12_000, 10).drivers.find((d) => d.driverId === 'd1')).toMatchObject({ orderId: 'ord_1', batchOrderId: 'ord_2' });
    // The driver's app reloads: the session names both orders and the route, not only the first.
    s.do({ type: 'driver.connected', driverId: 'd1', vehicle: 'scooter' }, T0 + 12_500);
    const session = s.sentTo('d1').filter((m) => m.type === 'session').at(-1);
    expect(session).toMatchObject({ orderId: 'ord_1', stacked: { orderId: 'ord_2' } });
    expect(session!.type === 'session' ? session!.stacked!.stops.map((x) => x.kind) : []).toEqual(['pickup', 'pickup', 'dropoff', 'dropoff']);
    // One fix: both orders' watchers see the driver.
    s.move('d1', 100, T0 + 20_000);
    expect(s.watchers('ord_1').map((m) => m.type)).toEqual(['location', 'eta']);
    expect(s.watchers('ord_2').map((m) => m.type)).toEqual(['location', 'eta']);
    // A third order is not stacked on a driver who already carries two.
    dispatch(s, 'ord_3', 100, 2_200, T0 + 21_000);
    expect(s.offerOf('ord_3')!.driverId).toBe('d2');
    expect(batchNotes(s.effects, 'ord_3')).toEqual([]);

    s.do({ type: 'order.status', orderId: 'ord_1', status: 'in_delivery', dispatch: 'picked_up', seq: 5 }, T0 + 30_000);
    s.do({ type: 'order.status', orderId: 'ord_2', status: 'in_delivery', dispatch: 'picked_up', seq: 5 }, T0 + 31_000);
    s.do({ type: 'order.status', orderId: 'ord_1', status: 'delivered', dispatch: 'dropped_off', seq: 6 }, T0 + 60_000);
    // Not freed: on to the second order, which the session now names alone.
    expect(d1.orderId).toBe('ord_2');
    s.do({ type: 'driver.connected', driverId: 'd1', vehicle: 'scooter' }, T0 + 61_000);
    expect(s.sentTo('d1').filter((m) => m.type === 'session').at(-1)).toMatchObject({ orderId: 'ord_2', stacked: null });
    expect(s.state.index.has('d1')).toBe(true);
    s.move('d1', 2_000, T0 + 70_000);
    expect(s.watchers('ord_2').map((m) => m.type)).toEqual(['location', 'eta']);
    expect(s.watchers('ord_1')).toEqual([]);
    expect(snapshotOf(s.state, T0 + 70_000, 10).drivers.find((d) => d.driverId === 'd1')).not.toHaveProperty('batchOrderId');
    s.do({ type: 'order.status', orderId: 'ord_2', status: 'delivered', dispatch: 'dropped_off', seq: 6 }, T0 + 90_000);
    expect(d1.orderId).toBeNull();
  });

  it('records why no batch was made: heading, pickup gap, detour, the city switched off', () => {
    const s = carrying();
    dispatch(s, 'ord_w', 100, -2_000, T0 + 10_000);
    expect(s.offerOf('ord_w')!.driverId).toBe('d2');
    expect(batchNotes(s.effects, 'ord_w')).toEqual([expect.objectContaining({ driverId: 'd1', reason: 'heading_differs' })]);

    const t = carrying();
    dispatch(t, 'ord_far', 1_200, 3_200, T0 + 10_000);
    expect(batchNotes(t.effects, 'ord_far')).toEqual([expect.objectContaining({ reason: 'pickup_too_far' })]);

    const u = carrying();
    dispatch(u, 'ord_long', 100, 6_000, T0 + 10_000);
    expect(batchNotes(u.effects, 'ord_long')).toEqual([expect.objectContaining({ reason: 'detour_too_long_m' })]);
    expect(u.offerOf('ord_long')!.driverId).toBe('d2');

    const v = carrying();
    dispatch(v, 'ord_off', 150, 2_300, T0 + 10_000, { ...ON, enabled: false });
    expect(v.offerOf('ord_off')!.driverId).toBe('d2');
    expect(batchNotes(v.effects, 'ord_off')).toEqual([expect.objectContaining({ reason: 'batching_off' })]);
  });

  it('a stacked offer resting on an order that ends is withdrawn, and its order searched again', () => {
    const s = carrying();
    dispatch(s, 'ord_2', 150, 2_300, T0 + 10_000);
    const offer = s.offerOf('ord_2')!;
    s.do({ type: 'order.status', orderId: 'ord_1', status: 'cancelled', dispatch: null, seq: 9 }, T0 + 12_000);
    expect(offer.status).toBe('cancelled');
    expect(s.sentTo('d1')).toContainEqual({ type: 'offer.expired', offerId: offer.offerId });
    // Searched again at once, as a single order (d1 was still on ord_1 at that moment; d2 is free).
    expect(s.offerOf('ord_2')).toMatchObject({ driverId: 'd2', status: 'pending' });
    expect(s.state.drivers.get('d1')!.orderId).toBeNull();
    expect(s.offerOf('ord_2')!.batch).toBeUndefined();
  });

  it('a declined stacked offer moves on to a free driver, and the carrier keeps its order', () => {
    const s = carrying();
    dispatch(s, 'ord_2', 150, 2_300, T0 + 10_000);
    const offer = s.offerOf('ord_2')!;
    s.say('d1', { type: 'offer.decline', offerId: offer.offerId }, T0 + 12_000);
    expect(s.offerOf('ord_2')!.driverId).toBe('d2');
    expect(s.state.drivers.get('d1')!.orderId).toBe('ord_1');
    expect(s.state.jobs.get('ord_1')!.batchWith ?? null).toBeNull();
  });
});
