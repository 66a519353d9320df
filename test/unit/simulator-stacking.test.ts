/**
 * The simulated driver with batching on (scripts/lib/simulator/stacking.ts,
 * ADR 0105): it takes a stacked offer on the order it carries, follows the
 * offer's route (both pickups, then both dropoffs) and delivers both; with
 * the switch off it declines stacked offers.
 */
import { describe, expect, it } from 'vitest';
import { DriverBrain, type DriverCommand, type OrderInfo, type RouteStop } from '../../scripts/lib/simulator/behaviour';
import { offset, seededRandom, type LatLng } from '../../scripts/lib/simulator/geo';
import { parseArgs, DEFAULTS } from '../../scripts/lib/simulator/options';

const CENTER: LatLng = { lat: 48.8566, lng: 2.3522 };
const SHOP_A = offset(CENTER, 0, 0);
const SHOP_B = offset(CENTER, 150, 0);
const order = (id: string, status: string, shop: LatLng, east: number): OrderInfo => ({ id, status, pickup: { location: shop }, dropoff: { location: offset(shop, east, 100) } });
const STOPS: RouteStop[] = [
  { orderId: 'A', kind: 'pickup' },
  { orderId: 'B', kind: 'pickup' },
  { orderId: 'A', kind: 'dropoff' },
  { orderId: 'B', kind: 'dropoff' },
];

function brain(stacking: boolean) {
  return new DriverBrain(offset(CENTER, -600, 0), 'car', [SHOP_A], CENTER, seededRandom(3), { speed: 5, declineRate: 0, breakRate: 0, breakSeconds: [60, 60], pinFor: () => '1234', stacking });
}

/** Runs the driver against a tiny platform that holds two orders, until nothing is left or time runs out. */
function drive(b: DriverBrain, orders: Map<string, OrderInfo>, from: number) {
  const visits: string[] = [];
  const answer = (cs: DriverCommand[], now: number): void => {
    for (const c of cs) {
      if (c.type === 'read') answer(b.handle({ type: 'order', orderId: c.orderId, order: { ...orders.get(c.orderId)! }, status: 200 }, now), now);
      if (c.type === 'step') {
        const o = orders.get(c.orderId)!;
        if (c.step === 'pickup') o.status = 'in_delivery';
        if (c.step === 'deliver') o.status = 'delivered';
        if (c.step !== 'arrived') visits.push(`${c.step}:${c.orderId}`);
        answer(b.handle({ type: 'step.done', orderId: c.orderId, step: c.step, ok: true, status: 200 }, now), now);
      }
    }
  };
  for (let now = from; now < from + 1_200_000 && b.busy; now += 1_000) answer(b.tick(now), now);
  return visits;
}

describe('simulator: batching switch', () => {
  it('on: a stacked offer is taken and both orders are delivered along its route', () => {
    const b = brain(true);
    const orders = new Map([
      ['A', order('A', 'ready', SHOP_A, 1_500)],
      ['B', order('B', 'ready', SHOP_B, 1_700)],
    ]);
    const first = b.handle({ type: 'assignment', orderId: 'A' }, 0);
    b.handle({ type: 'order', orderId: 'A', order: { ...orders.get('A')! }, status: 200 }, 0);
    expect(first).toContainEqual({ type: 'read', orderId: 'A' });
    expect(b.phase).toBe('to_pickup');
    b.handle({ type: 'offer', offerId: 'ofr_b', orderId: 'B', batch: { withOrderId: 'A', stops: STOPS } }, 1_000);
    const answers = b.tick(5_000).filter((c) => c.type === 'answer');
    expect(answers).toEqual([{ type: 'answer', offerId: 'ofr_b', accept: true }]);
    expect(b.handle({ type: 'assignment', orderId: 'B' }, 6_000)).toContainEqual({ type: 'note', what: 'assigned', orderId: 'B' });
    expect(drive(b, orders, 7_000)).toEqual(['pickup:A', 'pickup:B', 'deliver:A', 'deliver:B']);
    expect(b.deliveries).toBe(2);
    expect(b.phase).toBe('idle');
  });

  it('off: stacked offers are declined, single ones still taken when free', () => {
    const b = brain(false);
    b.handle({ type: 'assignment', orderId: 'A' }, 0);
    b.handle({ type: 'order', orderId: 'A', order: order('A', 'ready', SHOP_A, 1_500), status: 200 }, 0);
    b.handle({ type: 'offer', offerId: 'ofr_b', orderId: 'B', batch: { withOrderId: 'A', stops: STOPS } }, 1_000);
    expect(b.tick(5_000).filter((c) => c.type === 'answer')).toEqual([{ type: 'answer', offerId: 'ofr_b', accept: false, reason: 'not stacking' }]);
  });

  it('is a flag and an environment switch', () => {
    expect(parseArgs(['--batching', 'off'], { ...DEFAULTS, baseUrl: 'http://x' }).batching).toBe(false);
    expect(parseArgs(['--batching', 'on'], { ...DEFAULTS, batching: false, baseUrl: 'http://x' }).batching).toBe(true);
    expect(() => parseArgs(['--batching', 'maybe'], { ...DEFAULTS, baseUrl: 'http://x' })).toThrow(/on or off/);
  });
});
