/**
 * The live ETA of an order (ADR 0076): recomputed on every fix of its driver,
 * to the pickup and on to the dropoff before pickup, to the dropoff after;
 * sent to the order's watchers with the time it holds; the greeting and the
 * tracking view count it down to now; nothing once the order has ended.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, etaSeconds } from '../../durable-objects/city-shard/matching';
import type { Effect, Job } from '../../durable-objects/city-shard/model';
import type { ServerToWatcher } from '../../domain/protocol/city-shard';
import { createState, reduce, type ShardInput } from '../../durable-objects/city-shard/state';
import { countedDown } from '../../durable-objects/city-shard/trip';
import { trackingOf, watcherGreeting } from '../../durable-objects/city-shard/views';

const CENTER = { lat: 48.8566, lng: 2.3522 };
const T0 = 1_800_000_000_000;
const M_LNG = 111_195 * Math.cos((CENTER.lat * Math.PI) / 180);
const east = (m: number) => ({ lat: CENTER.lat, lng: CENTER.lng + m / M_LNG });
const PICKUP_M = 0;
const DROPOFF_M = 2_000;
type Eta = Extract<ServerToWatcher, { type: 'eta' }>;

/** A bike driver 800 m west of the pickup, assigned the order (the job written as the accept path leaves it). */
function assignedTrip() {
  const state = createState('cty_0eta:0:0@48.8566,2.3522', CENTER, DEFAULT_POLICY);
  const ids = { offerId: () => 'ofr_1' };
  let now = T0;
  const run = (input: ShardInput, dt = 1_000): Effect[] => reduce(state, input, (now += dt), ids).effects;
  run({ type: 'driver.connected', driverId: 'd', vehicle: 'bike' });
  const job: Job = {
    orderId: 'ord_1', pickup: east(PICKUP_M), dropoff: east(DROPOFF_M), payoutCents: 500, offerTtlMs: 30_000,
    orderStatus: 'preparing', dispatch: 'assigned', offerId: null, driverId: 'd', round: 1, excluded: {},
    createdAt: T0, unassignedSince: null, endedAt: null,
  };
  state.jobs.set(job.orderId, job);
  state.drivers.get('d')!.orderId = job.orderId;
  /** A fix `m` metres east of the centre, 20 s after the last step; the ETA frame it sends. */
  const fix = (m: number, opts: { ahead?: number } = {}): Eta | undefined => {
    const p = east(m);
    const effects = run({ type: 'driver.message', driverId: 'd', message: { type: 'location', lat: p.lat, lng: p.lng, at: new Date(now + 20_000 + (opts.ahead ?? 0)).toISOString() } }, 20_000);
    const etas = effects.flatMap((e) => (e.type === 'watchers' && e.message.type === 'eta' ? [e.message] : []));
    expect(etas.length).toBeLessThanOrEqual(1);
    return etas[0];
  };
  return { state, run, fix, now: () => now };
}

describe('shard: live ETA', () => {
  it('decreases with each fix as the driver approaches the dropoff', () => {
    const t = assignedTrip();
    t.fix(PICKUP_M);
    t.run({ type: 'order.status', orderId: 'ord_1', status: 'in_delivery', dispatch: 'picked_up' });
    const seen: Eta[] = [];
    for (const m of [200, 500, 900, 1_300, 1_700, 1_950]) seen.push(t.fix(m)!);
    const seconds = seen.map((e) => e.seconds);
    for (let i = 1; i < seconds.length; i++) expect(seconds[i]).toBeLessThan(seconds[i - 1]!);
    // Straight to the door at the bike's speed and the detour factor; the time it holds is the fix's.
    expect(seconds[0]).toBe(etaSeconds(1_800, 'bike'));
    expect(seen.at(-1)!.seconds).toBe(etaSeconds(50, 'bike'));
    expect(seen.at(-1)!.at).toBe(new Date(t.now()).toISOString());
    // In delivery there is no pickup leg.
    expect(seen.every((e) => e.pickupSeconds === undefined)).toBe(true);
  });

  it('before pickup goes through the pickup, and tells the time to the pickup too', () => {
    const t = assignedTrip();
    const far = t.fix(-800)!;
    const near = t.fix(-300)!;
    expect(far.pickupSeconds).toBe(etaSeconds(800, 'bike'));
    expect(near.pickupSeconds).toBe(etaSeconds(300, 'bike'));
    expect(far.seconds).toBe(etaSeconds(800 + DROPOFF_M, 'bike'));
    expect(near.seconds).toBeLessThan(far.seconds);
    // Past the pickup towards the customer before picking up: the ETA grows (the driver has to come back).
    expect(t.fix(500)!.seconds).toBeGreaterThan(near.seconds);
  });

  it('counts down between fixes in the greeting and the tracking view, never below zero', () => {
    const t = assignedTrip();
    t.fix(PICKUP_M);
    t.run({ type: 'order.status', orderId: 'ord_1', status: 'in_delivery', dispatch: 'picked_up' });
    t.fix(500);
    const sent = t.fix(1_000)!;
    const fixAt = Date.parse(sent.at!);
    const later = fixAt + 30_000;
    const view = trackingOf(t.state, 'ord_1', later)!;
    expect(view.etaSeconds).toBe(sent.seconds - 30);
    expect(view.etaAt).toBe(new Date(later).toISOString());
    expect(view.pickupEtaSeconds).toBeNull();
    const greeting = watcherGreeting(t.state, 'ord_1', later).find((m): m is Eta => m.type === 'eta');
    expect(greeting).toEqual({ type: 'eta', orderId: 'ord_1', seconds: sent.seconds - 30, at: new Date(later).toISOString() });
    expect(trackingOf(t.state, 'ord_1', fixAt + 3_600_000)!.etaSeconds).toBe(0);
    // The next fix starts again from what the driver's position says.
    expect(t.fix(1_100)!.seconds).toBe(etaSeconds(900, 'bike'));
  });

  it('holds a fix stamped ahead of the shard clock as of now', () => {
    const t = assignedTrip();
    const sent = t.fix(-500, { ahead: 10_000 })!;
    expect(sent.at).toBe(new Date(t.now()).toISOString());
    expect(countedDown({ seconds: 100, pickupSeconds: 40, toDropoffM: 0 }, t.now() + 10_000, t.now())).toMatchObject({ seconds: 100, pickupSeconds: 40 });
    expect(countedDown({ seconds: 100, pickupSeconds: 40, toDropoffM: 0 }, t.now() - 45_000, t.now())).toMatchObject({ seconds: 55, pickupSeconds: 0 });
  });

  it.each(['delivered', 'cancelled', 'failed'] as const)('sends no ETA once the order is %s, and shows none', (status) => {
    const t = assignedTrip();
    t.fix(PICKUP_M);
    t.run({ type: 'order.status', orderId: 'ord_1', status: 'in_delivery', dispatch: 'picked_up' });
    expect(t.fix(700)).toBeDefined();
    t.run({ type: 'order.status', orderId: 'ord_1', status, dispatch: status === 'delivered' ? 'dropped_off' : null });
    expect(t.fix(800)).toBeUndefined();
    expect(trackingOf(t.state, 'ord_1', t.now())).toMatchObject({ etaSeconds: null, pickupEtaSeconds: null, etaAt: null });
    expect(watcherGreeting(t.state, 'ord_1', t.now()).map((m) => m.type)).not.toContain('eta');
  });
});
