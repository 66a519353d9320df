/**
 * A scheduled order in the shard (ADR 0108): dispatched when the shop
 * accepts it at its release, but offered to no driver before its window's
 * start less the ride to the shop (SCHEDULED_OFFER_LEAD_MS), so the driver
 * arrives about when the food is ready — not when it is dispatched.
 */
import { describe, expect, it } from 'vitest';
import { SCHEDULED_OFFER_LEAD_MS } from '../../durable-objects/city-shard/offers';
import { snapshotOf } from '../../durable-objects/city-shard/views';
import { ShardHarness, T0, east, iso } from '../support/shard-harness';

const MIN = 60_000;

function scheduled(s: ShardHarness, orderId: string, startsAt: number, now: number) {
  return s.do({ type: 'dispatch.requested', request: { orderId, pickup: east(0), dropoff: east(2_000), payoutCents: 500, scheduledFor: { start: iso(startsAt), end: iso(startsAt + 30 * MIN) } } }, now);
}

describe('shard: a scheduled order', () => {
  it('is held until its window start less the ride, even with free drivers near, then offered', () => {
    const s = new ShardHarness();
    s.online('d1', 300, T0);
    const start = T0 + 40 * MIN;
    scheduled(s, 'ord_s', start, T0 + MIN);
    // No offer now, a timer at the window's start less the lead, and the decision log says why.
    expect(s.offerOf('ord_s')).toBeNull();
    expect(s.sentTo('d1')).toEqual([]);
    expect(s.timer('retry:ord_s')).toMatchObject({ kind: 'dispatch_retry', fireAt: start - SCHEDULED_OFFER_LEAD_MS, payload: 'ord_s' });
    expect(s.effects).toContainEqual({ type: 'note', orderId: 'ord_s', kind: 'held', detail: { until: iso(start - SCHEDULED_OFFER_LEAD_MS) } });
    // Not in the operators' unassigned queue while held.
    expect(snapshotOf(s.state, T0 + 2 * MIN, 10).unassignedOrders).toEqual([]);

    // A driver freeing up nearby does not take it early; nor does an early retry.
    s.online('d2', 200, T0 + 5 * MIN);
    expect(s.offerOf('ord_s')).toBeNull();
    s.fire('dispatch_retry', 'ord_s', T0 + 10 * MIN);
    expect(s.offerOf('ord_s')).toBeNull();

    // Its time: offered to the nearest free driver (both still reporting).
    s.move('d1', 300, start - SCHEDULED_OFFER_LEAD_MS - 1_000);
    s.move('d2', 200, start - SCHEDULED_OFFER_LEAD_MS - 1_000);
    expect(s.offerOf('ord_s')).toBeNull();
    s.fire('dispatch_retry', 'ord_s', start - SCHEDULED_OFFER_LEAD_MS);
    expect(s.offerOf('ord_s')?.driverId).toBe('d2');
    expect(s.sentTo('d2')).toContainEqual(expect.objectContaining({ type: 'offer', orderId: 'ord_s', scheduledFor: { start: iso(start), end: iso(start + 30 * MIN) } }));
  });

  it('is searched at once when its window is nearer than the ride', () => {
    const s = new ShardHarness();
    s.online('d1', 300, T0);
    scheduled(s, 'ord_soon', T0 + 5 * MIN, T0);
    expect(s.offerOf('ord_soon')?.driverId).toBe('d1');
  });
});
