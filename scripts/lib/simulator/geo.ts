/**
 * Plausible driving without a road network: a trip is a staircase of
 * straight legs along a local street grid (its angle varies per trip, as the
 * streets of an old city do), driven at the vehicle's speed, slowing into
 * each corner, with a few metres of GPS noise on each fix. Pure and seeded.
 */
import type { Random } from '../seeded-random';

export { seededRandom, type Random } from '../seeded-random';
export interface LatLng {
  lat: number;
  lng: number;
}

export type Vehicle = 'bike' | 'scooter' | 'car';

const M_PER_DEG = 111_195;

/** Cruising speeds in town, metres per second. */
export const CRUISE_MPS: Record<Vehicle, number> = { bike: 4.5, scooter: 7, car: 8 };


export function offset(p: LatLng, eastM: number, northM: number): LatLng {
  return { lat: p.lat + northM / M_PER_DEG, lng: p.lng + eastM / (M_PER_DEG * Math.cos((p.lat * Math.PI) / 180)) };
}

/** East/north metres from a to b (small distances). */
export function delta(a: LatLng, b: LatLng): { east: number; north: number } {
  return { east: (b.lng - a.lng) * M_PER_DEG * Math.cos((a.lat * Math.PI) / 180), north: (b.lat - a.lat) * M_PER_DEG };
}

export function distanceM(a: LatLng, b: LatLng): number {
  const d = delta(a, b);
  return Math.hypot(d.east, d.north);
}

/** Compass bearing from a to b, degrees clockwise from north in [0, 360). */
export function bearing(a: LatLng, b: LatLng): number {
  const d = delta(a, b);
  const deg = (Math.atan2(d.east, d.north) * 180) / Math.PI;
  return (deg + 360) % 360;
}

/** A random point between `minM` and `maxM` from `center`. */
export function randomPointNear(center: LatLng, minM: number, maxM: number, rand: Random): LatLng {
  const r = minM + (maxM - minM) * Math.sqrt(rand());
  const a = rand() * 2 * Math.PI;
  return offset(center, r * Math.cos(a), r * Math.sin(a));
}

/** Waypoints from `from` to `to` along a staircase of 2 to 4 legs on a street grid. */
export function planRoute(from: LatLng, to: LatLng, rand: Random): LatLng[] {
  const d = delta(from, to);
  if (Math.hypot(d.east, d.north) < 30) return [to];
  const angle = ((rand() * 50 - 25) * Math.PI) / 180;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  // The trip in the grid's frame: u along one street direction, v across.
  const u = d.east * cos + d.north * sin;
  const v = -d.east * sin + d.north * cos;
  const legs = 2 + Math.floor(rand() * 3);
  const points: LatLng[] = [];
  let pu = 0;
  let pv = 0;
  const firstAlongU = rand() < 0.5;
  for (let i = 0; i < legs - 1; i++) {
    const alongU = (i % 2 === 0) === firstAlongU;
    const share = 0.3 + rand() * 0.5;
    if (alongU) pu += (u - pu) * (i === legs - 2 ? 1 : share);
    else pv += (v - pv) * (i === legs - 2 ? 1 : share);
    points.push(offset(from, pu * cos - pv * sin, pu * sin + pv * cos));
  }
  points.push(to);
  return points;
}

export interface Fix {
  position: LatLng;
  heading: number;
  speed: number;
}

/** Drives a vehicle along waypoints; `advance(dt)` moves it and tells where it is. */
export class Mover {
  position: LatLng;
  heading = 0;
  speed = 0;
  private route: LatLng[] = [];

  constructor(
    start: LatLng,
    private readonly cruiseMps: number,
    private readonly rand: Random,
  ) {
    this.position = start;
  }

  get moving(): boolean {
    return this.route.length > 0;
  }

  get destination(): LatLng | null {
    return this.route.at(-1) ?? null;
  }

  go(to: LatLng): void {
    this.route = planRoute(this.position, to, this.rand);
  }

  stop(): void {
    this.route = [];
    this.speed = 0;
  }

  /** Moves for `dtSeconds` (already time-compressed); returns true on arrival. */
  advance(dtSeconds: number): boolean {
    let budget = dtSeconds;
    while (budget > 0 && this.route.length > 0) {
      const next = this.route[0]!;
      const left = distanceM(this.position, next);
      // Slow into a corner, and vary a little around the cruising speed.
      const target = this.cruiseMps * (left < 25 ? 0.5 : 0.85 + this.rand() * 0.3);
      this.speed = target;
      if (left > 0.5) this.heading = bearing(this.position, next);
      const step = target * budget;
      if (step >= left) {
        this.position = next;
        this.route.shift();
        budget -= left / Math.max(0.1, target);
      } else {
        const f = step / left;
        const d = delta(this.position, next);
        this.position = offset(this.position, d.east * f, d.north * f);
        budget = 0;
      }
    }
    if (this.route.length === 0) {
      this.speed = 0;
      return true;
    }
    return false;
  }

  /** The fix a phone would report: the position with a few metres of noise. */
  fix(noiseM = 4): Fix {
    const p = offset(this.position, (this.rand() - 0.5) * 2 * noiseM, (this.rand() - 0.5) * 2 * noiseM);
    return { position: p, heading: Math.round(this.heading) % 360, speed: Math.round(this.speed * 10) / 10 };
  }
}
