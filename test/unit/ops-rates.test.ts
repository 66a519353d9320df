import { describe, expect, it } from 'vitest';
import { medianAssignmentSeconds, newTracker, observe, ordersPerMinute } from '../../web/src/apps/ops/rates';
import type { CityLive } from '../../web/src/apps/ops/types';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

function snap(parts: Partial<Pick<CityLive, 'drivers' | 'openOffers' | 'unassignedOrders'>>): CityLive {
  return { cityId: 'cty_1', at: iso(T0), shards: [], counts: { online: 0, available: 0, busy: 0, offline: 0 }, truncated: false, drivers: [], openOffers: [], unassignedOrders: [], driverAlerts: [], ...parts };
}
const busy = (driverId: string, orderId: string) => ({ driverId, status: 'busy' as const, vehicle: 'bike' as const, location: null, heading: null, updatedAt: null, orderId, offerId: null, shard: 'cty_test:0:0@0,0' });
const waiting = (orderId: string, sinceMs: number) => ({ orderId, since: iso(sinceMs), pickup: { lat: 0, lng: 0 } });

describe('operations rates measured from snapshots', () => {
  it('counts orders that arrive after the page opened, not those already open', () => {
    const t = newTracker(T0);
    observe(t, snap({ unassignedOrders: [waiting('ord_old', T0 - 5_000)] }), T0);
    for (let i = 0; i < 6; i++) observe(t, snap({ unassignedOrders: [waiting(`ord_${i}`, T0 + i * 10_000)] }), T0 + i * 10_000 + 1_000);
    // 6 new orders in the first minute.
    expect(ordersPerMinute(t, T0 + 60_000)).toBeCloseTo(6, 5);
  });

  it('says nothing before half a minute of observation', () => {
    const t = newTracker(T0);
    observe(t, snap({}), T0);
    expect(ordersPerMinute(t, T0 + 10_000)).toBeNull();
  });

  it('measures assignment from when the order started waiting to when a driver carries it, median of samples', () => {
    const t = newTracker(T0);
    observe(t, snap({ unassignedOrders: [waiting('a', T0), waiting('b', T0), waiting('c', T0)] }), T0);
    observe(t, snap({ drivers: [busy('d1', 'a')], unassignedOrders: [waiting('b', T0), waiting('c', T0)] }), T0 + 10_000);
    observe(t, snap({ drivers: [busy('d1', 'a'), busy('d2', 'b')], unassignedOrders: [waiting('c', T0)] }), T0 + 30_000);
    observe(t, snap({ drivers: [busy('d1', 'a'), busy('d2', 'b'), busy('d3', 'c')] }), T0 + 40_000);
    expect(t.samples).toEqual([10, 30, 40]);
    expect(medianAssignmentSeconds(t)).toBe(30);
  });

  it('takes no sample for an order first seen already carried (its wait is unknown)', () => {
    const t = newTracker(T0);
    observe(t, snap({ drivers: [busy('d1', 'x')] }), T0);
    expect(medianAssignmentSeconds(t)).toBeNull();
  });
});
