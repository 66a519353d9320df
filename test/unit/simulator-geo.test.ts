import { describe, expect, it } from 'vitest';
import { bearing, delta, distanceM, Mover, offset, planRoute, seededRandom } from '../../scripts/lib/simulator/geo';

const PARIS = { lat: 48.8566, lng: 2.3522 };

describe('simulated driving', () => {
  it('plans a staircase of 2 to 4 straight legs that ends exactly at the destination', () => {
    const rand = seededRandom(7);
    for (let i = 0; i < 50; i++) {
      const to = offset(PARIS, (rand() - 0.5) * 6000, (rand() - 0.5) * 6000);
      const route = planRoute(PARIS, to, rand);
      expect(route.length).toBeGreaterThanOrEqual(2);
      expect(route.length).toBeLessThanOrEqual(4);
      expect(route.at(-1)).toEqual(to);
      // Consecutive legs turn by about 90 degrees (a street grid), never double back.
      const points = [PARIS, ...route];
      for (let k = 2; k < points.length; k++) {
        if (distanceM(points[k - 2]!, points[k - 1]!) < 1 || distanceM(points[k - 1]!, points[k]!) < 1) continue;
        const turn = Math.abs(((bearing(points[k - 1]!, points[k]!) - bearing(points[k - 2]!, points[k - 1]!) + 540) % 360) - 180);
        expect(turn).toBeGreaterThan(80);
        expect(turn).toBeLessThan(100);
      }
    }
  });

  it('drives at about its cruising speed and arrives', () => {
    const rand = seededRandom(3);
    const to = offset(PARIS, 1200, 800);
    const mover = new Mover(PARIS, 4.5, rand);
    mover.go(to);
    let seconds = 0;
    let previous = mover.position;
    let arrived = false;
    while (!arrived && seconds < 3600) {
      arrived = mover.advance(2);
      seconds += 2;
      // Never faster than cruising +15 % (2 s steps).
      expect(distanceM(previous, mover.position)).toBeLessThanOrEqual(4.5 * 1.15 * 2 + 1e-6);
      previous = mover.position;
    }
    expect(arrived).toBe(true);
    expect(distanceM(mover.position, to)).toBeLessThan(0.01);
    // At least the straight-line time, at most the staircase at half speed.
    expect(seconds).toBeGreaterThan(distanceM(PARIS, to) / (4.5 * 1.15));
    expect(seconds).toBeLessThan((2 * (Math.abs(delta(PARIS, to).east) + Math.abs(delta(PARIS, to).north))) / (4.5 * 0.5));
  });

  it('reports fixes with a few metres of noise and a compass heading', () => {
    const mover = new Mover(PARIS, 8, seededRandom(1));
    mover.go(offset(PARIS, 0, 500));
    mover.advance(5);
    const fix = mover.fix(4);
    expect(distanceM(fix.position, mover.position)).toBeLessThanOrEqual(4 * Math.SQRT2 + 1e-6);
    expect(fix.heading).toBeGreaterThanOrEqual(0);
    expect(fix.heading).toBeLessThan(360);
  });
});
