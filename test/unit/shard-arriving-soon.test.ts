/**
 * The shard's `order.arriving_soon` fact: emitted once per order, on the
 * position path, when the order is in delivery and the driver's ETA (or
 * distance) to the dropoff first drops under the threshold.
 */
import { describe, expect, it } from 'vitest';
import type { ArrivingSoonFact } from '../../durable-objects/city-shard/events';
import { DEFAULT_POLICY, etaSeconds } from '../../durable-objects/city-shard/matching';
import type { Effect } from '../../durable-objects/city-shard/model';
import { ARRIVING_SOON_M, ARRIVING_SOON_SECONDS, createState, reduce, type ShardInput } from '../../durable-objects/city-shard/state';

const CENTER = { lat: 48.8566, lng: 2.3522 };
const T0 = 1_800_000_000_000;
const M_LNG = 111_195 * Math.cos((CENTER.lat * Math.PI) / 180);
const east = (m: number) => ({ lat: CENTER.lat, lng: CENTER.lng + m / M_LNG });
const DROPOFF_M = 3_000;

function trip(vehicle: 'bike' | 'car' = 'bike') {
  const state = createState('cty_0test:0:0@48.8566,2.3522', CENTER, DEFAULT_POLICY);
  let n = 0;
  const ids = { offerId: () => `ofr_${++n}` };
  let now = T0;
  const run = (input: ShardInput, dt = 1_000): Effect[] => reduce(state, input, (now += dt), ids).effects;
  // A minute between fixes: no move here is an implausible jump.
  const at = (m: number): Effect[] => {
    const p = east(m);
    return run({ type: 'driver.message', driverId: 'd', message: { type: 'location', lat: p.lat, lng: p.lng, at: new Date(now + 60_000).toISOString() } }, 60_000);
  };
  const facts = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'emit' && e.event.type === 'order.arriving_soon' ? [e.event as ArrivingSoonFact] : []));
  run({ type: 'driver.connected', driverId: 'd', vehicle });
  run({ type: 'driver.message', driverId: 'd', message: { type: 'availability', available: true } });
  at(10);
  run({ type: 'dispatch.requested', request: { orderId: 'ord_1', pickup: east(0), dropoff: east(DROPOFF_M), payoutCents: 500 } });
  const offerId = state.jobs.get('ord_1')!.offerId!;
  run({ type: 'driver.message', driverId: 'd', message: { type: 'offer.accept', offerId } });
  return { state, run, at, facts, now: () => now };
}

describe('shard: arriving soon', () => {
  it('is not emitted before pickup, even next to the dropoff', () => {
    const t = trip();
    // Heading to the merchant past the customer's door: the order is not on its way yet.
    expect(t.facts(t.at(DROPOFF_M - 50))).toEqual([]);
    t.run({ type: 'order.status', orderId: 'ord_1', status: 'ready', dispatch: 'assigned' });
    expect(t.facts(t.at(DROPOFF_M - 40))).toEqual([]);
  });

  it('is emitted once, in the step that writes the job, when the ETA first drops under the threshold', () => {
    const t = trip('bike');
    t.at(0);
    t.run({ type: 'order.status', orderId: 'ord_1', status: 'in_delivery', dispatch: 'picked_up' });
    const threshold = (ARRIVING_SOON_SECONDS * 4.2) / DEFAULT_POLICY.detourFactor; // metres a bike covers in the threshold ETA
    expect(threshold).toBeGreaterThan(ARRIVING_SOON_M);
    expect(t.facts(t.at(DROPOFF_M - 1_500))).toEqual([]);
    expect(t.facts(t.at(DROPOFF_M - Math.ceil(threshold) - 20))).toEqual([]);

    const effects = t.at(DROPOFF_M - Math.floor(threshold) + 20);
    const [fact] = t.facts(effects);
    expect(fact).toMatchObject({
      id: 'ord_1:order.arriving_soon',
      type: 'order.arriving_soon',
      orderId: 'ord_1',
      driverId: 'd',
      at: new Date(t.now()).toISOString(),
    });
    expect(fact!.etaSeconds).toBeLessThanOrEqual(ARRIVING_SOON_SECONDS);
    expect(fact!.etaSeconds).toBe(etaSeconds(fact!.distanceM, 'bike'));
    // Written with the job (the flag) in the same step, so an eviction cannot forget it was sent.
    expect(effects).toContainEqual({ type: 'saveJob', orderId: 'ord_1' });
    expect(t.state.jobs.get('ord_1')!.arrivingSoonAt).toBe(t.now());
    expect(JSON.parse(JSON.stringify(t.state.jobs.get('ord_1'))).arrivingSoonAt).toBe(t.now());

    // Closer still, a batch upload, a reconnect: never again.
    expect(t.facts(t.at(DROPOFF_M - 100))).toEqual([]);
    const p = east(DROPOFF_M - 50);
    expect(t.facts(t.run({ type: 'driver.locations', driverId: 'd', vehicle: 'bike', points: [{ lat: p.lat, lng: p.lng, at: new Date(t.now() + 1_000).toISOString() }] }))).toEqual([]);
    t.run({ type: 'driver.disconnected', driverId: 'd' });
    t.run({ type: 'driver.connected', driverId: 'd', vehicle: 'bike' });
    expect(t.facts(t.at(DROPOFF_M - 20))).toEqual([]);
  });

  it('goes by the vehicle: a car 1 km away is already under the threshold', () => {
    const t = trip('car');
    t.run({ type: 'order.status', orderId: 'ord_1', status: 'in_delivery', dispatch: 'picked_up' });
    expect(t.facts(t.at(DROPOFF_M - 1_300))).toEqual([]);
    const [fact] = t.facts(t.at(DROPOFF_M - 1_000));
    expect(fact!.distanceM).toBeGreaterThan(ARRIVING_SOON_M);
    expect(fact!.etaSeconds).toBeLessThanOrEqual(ARRIVING_SOON_SECONDS);
  });

  it('is not emitted for an order whose job ended', () => {
    const t = trip();
    t.run({ type: 'order.status', orderId: 'ord_1', status: 'in_delivery', dispatch: 'picked_up' });
    t.run({ type: 'order.status', orderId: 'ord_1', status: 'delivered', dispatch: 'dropped_off' });
    expect(t.facts(t.at(DROPOFF_M - 10))).toEqual([]);
  });
});
