/**
 * The batching rule (durable-objects/city-shard/batching.ts, ADR 0105) on a
 * simulated clock: `now` and the promises are plain numbers, so each case
 * sets the moment it is decided at.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_BATCH_RULES, bearingDeg, evaluateBatch, headingDiffDeg, type BatchOrder } from '../../durable-objects/city-shard/batching';
import type { LatLng } from '../../durable-objects/city-shard/geo';

const CENTER: LatLng = { lat: 48.8566, lng: 2.3522 };
const M_PER_DEG_LAT = 111_195;
const mPerDegLng = M_PER_DEG_LAT * Math.cos((CENTER.lat * Math.PI) / 180);
/** A point `east` and `north` metres from the centre. */
const at = (east: number, north = 0): LatLng => ({ lat: CENTER.lat + north / M_PER_DEG_LAT, lng: CENTER.lng + east / mPerDegLng });
const T0 = Date.UTC(2026, 11, 4, 12, 0, 0);
const MIN = 60_000;

const order = (orderId: string, pickup: LatLng, dropoff: LatLng, promisedBy: number | null = T0 + 45 * MIN, pickedUp = false): BatchOrder => ({ orderId, pickup, dropoff, promisedBy, pickedUp });
// Both shops on one street, both customers 3 km further east.
const first = order('A', at(0), at(3_000, 200));
const second = order('B', at(150), at(3_200, -200));
const driverAt = at(-400);

describe('batching rule', () => {
  it('stacks a second order from a nearby shop heading the same way, pickups before dropoffs', () => {
    const d = evaluateBatch(driverAt, 'scooter', first, second, T0, DEFAULT_BATCH_RULES);
    expect(d).toMatchObject({ ok: true, reason: 'batched' });
    expect(d.stops.map((s) => `${s.kind}:${s.orderId}`)).toEqual(['pickup:A', 'pickup:B', 'dropoff:A', 'dropoff:B']);
    // Arrivals move forward in time along the route, from the decision's clock.
    const etas = d.stops.map((s) => s.eta);
    expect(etas[0]).toBeGreaterThan(T0);
    expect([...etas].sort((a, b) => a - b)).toEqual(etas);
    expect(d.addedM).toBeGreaterThan(0);
    expect(d.addedM).toBeLessThanOrEqual(DEFAULT_BATCH_RULES.maxAddedDetourM);
    expect(d.addedSeconds).toBeLessThanOrEqual(DEFAULT_BATCH_RULES.maxAddedDetourSeconds);
  });

  it('is off when the city turns it off', () => {
    expect(evaluateBatch(driverAt, 'scooter', first, second, T0, { ...DEFAULT_BATCH_RULES, enabled: false })).toMatchObject({ ok: false, reason: 'batching_off' });
  });

  it('refuses pickups too far apart', () => {
    const far = order('B', at(0, 1_500), at(3_000, 1_500));
    const d = evaluateBatch(driverAt, 'scooter', first, far, T0, DEFAULT_BATCH_RULES);
    expect(d).toMatchObject({ ok: false, reason: 'pickup_too_far' });
    expect(d.detail).toMatch(/1500 m apart/);
  });

  it('refuses a second trip heading the other way', () => {
    const west = order('B', at(100), at(-3_000));
    expect(headingDiffDeg(bearingDeg(first.pickup, first.dropoff), bearingDeg(west.pickup, west.dropoff))).toBeGreaterThan(150);
    expect(evaluateBatch(driverAt, 'scooter', first, west, T0, DEFAULT_BATCH_RULES)).toMatchObject({ ok: false, reason: 'heading_differs' });
  });

  it('bounds the added detour in metres and in minutes', () => {
    // Same heading, but the second customer is 4 km past the first: the route grows by that much.
    const longer = order('B', at(100), at(7_000, 300));
    expect(evaluateBatch(driverAt, 'scooter', first, longer, T0, DEFAULT_BATCH_RULES)).toMatchObject({ ok: false, reason: 'detour_too_long_m' });
    // The second shop is on the way: what the stack costs the first order is mostly the stop there (60 s).
    const strictMinutes = { ...DEFAULT_BATCH_RULES, maxAddedDetourSeconds: 30 };
    const d = evaluateBatch(driverAt, 'bike', first, second, T0, strictMinutes);
    expect(d).toMatchObject({ ok: false, reason: 'detour_too_long_s' });
    // The bound is inclusive: what it measured passes when allowed exactly.
    expect(evaluateBatch(driverAt, 'bike', first, second, T0, { ...strictMinutes, maxAddedDetourSeconds: d.addedSeconds })).toMatchObject({ ok: true });
  });

  it('keeps both promises, as of the clock it is decided at', () => {
    const solo = evaluateBatch(driverAt, 'scooter', first, second, T0, DEFAULT_BATCH_RULES);
    const firstDrop = solo.stops.find((s) => s.orderId === 'A' && s.kind === 'dropoff')!.eta;
    const secondDrop = solo.stops.find((s) => s.orderId === 'B' && s.kind === 'dropoff')!.eta;
    // Promised exactly when the stack would deliver: fine. A second earlier: missed.
    expect(evaluateBatch(driverAt, 'scooter', order('A', first.pickup, first.dropoff, firstDrop), second, T0, DEFAULT_BATCH_RULES).ok).toBe(true);
    // The other sequence (B's dropoff first) is tried before giving up, and it is slower for A: refused for A.
    expect(evaluateBatch(driverAt, 'scooter', order('A', first.pickup, first.dropoff, firstDrop - 1_000), second, T0, DEFAULT_BATCH_RULES)).toMatchObject({ ok: false, reason: 'first_promise_missed' });
    const tightB = order('B', second.pickup, second.dropoff, secondDrop - 1_000);
    const d = evaluateBatch(driverAt, 'scooter', first, tightB, T0, DEFAULT_BATCH_RULES);
    // Dropping B first keeps B's promise if it still keeps A's within the bounds; either way B is never late.
    if (d.ok) expect(d.stops.find((s) => s.orderId === 'B' && s.kind === 'dropoff')!.eta).toBeLessThanOrEqual(tightB.promisedBy!);
    else expect(d.reason).toBe('second_promise_missed');
    // The same pair decided ten minutes later on the clock: both promises are now out of reach.
    expect(evaluateBatch(driverAt, 'scooter', order('A', first.pickup, first.dropoff, firstDrop), second, T0 + 10 * MIN, DEFAULT_BATCH_RULES)).toMatchObject({ ok: false, reason: 'first_promise_missed' });
  });

  it('stacks on an order already picked up: the new pickup, then both dropoffs', () => {
    const carried = order('A', first.pickup, first.dropoff, T0 + 45 * MIN, true);
    const d = evaluateBatch(at(50), 'car', carried, second, T0, DEFAULT_BATCH_RULES);
    expect(d.ok).toBe(true);
    expect(d.stops.map((s) => `${s.kind}:${s.orderId}`)).toEqual(['pickup:B', 'dropoff:A', 'dropoff:B']);
  });

  it('without a known promise only the detour bounds apply', () => {
    expect(evaluateBatch(driverAt, 'scooter', order('A', first.pickup, first.dropoff, null), order('B', second.pickup, second.dropoff, null), T0 + 600 * MIN, DEFAULT_BATCH_RULES).ok).toBe(true);
  });
});
