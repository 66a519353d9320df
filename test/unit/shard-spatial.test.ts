import { describe, expect, it } from 'vitest';
import { projectionAt, projectX, projectY } from '../../durable-objects/city-shard/geo';
import { DriverIndex, LAYER_OTHER } from '../../durable-objects/city-shard/spatial';
import { seededRandom as rng } from '../../scripts/lib/seeded-random';

const CENTER = { lat: 48.8566, lng: 2.3522 };


interface D {
  id: string;
  lat: number;
  lng: number;
  available: boolean;
  seen: number;
}

/** Uniform points in a box of `sideKm` around the centre. */
function randomPoint(r: () => number, sideKm: number) {
  const dLat = (sideKm / 2 / 111.195) * (2 * r() - 1);
  const dLng = (sideKm / 2 / (111.195 * Math.cos((CENTER.lat * Math.PI) / 180))) * (2 * r() - 1);
  return { lat: CENTER.lat + dLat, lng: CENTER.lng + dLng };
}

function bruteForce(drivers: D[], q: { lat: number; lng: number }, k: number, radiusM: number, minSeen: number, available = true) {
  const proj = projectionAt(CENTER);
  const qx = projectX(proj, q.lng);
  const qy = projectY(proj, q.lat);
  return drivers
    .filter((d) => d.available === available && d.seen >= minSeen)
    .map((d) => ({ id: d.id, dist: Math.hypot(projectX(proj, d.lng) - qx, projectY(proj, d.lat) - qy) }))
    .filter((d) => d.dist <= radiusM)
    .sort((a, b) => a.dist - b.dist)
    .slice(0, k);
}

function build(drivers: D[], cellM = 250) {
  const index = new DriverIndex({ origin: CENTER, cellM, capacity: 16 });
  for (const d of drivers) index.upsert(d.id, d.lat, d.lng, d.available, d.seen);
  return index;
}

function expectSameAsBruteForce(index: DriverIndex, drivers: D[], q: { lat: number; lng: number }, k: number, radiusM: number, minSeen = -Infinity) {
  const got = index.nearest(q.lat, q.lng, { k, radiusM, minSeenAt: minSeen });
  const want = bruteForce(drivers, q, k, radiusM, minSeen);
  expect(got.map((g) => g.distanceM)).toEqual(want.map((w) => expect.closeTo(w.dist, 6)));
  // Ids match except among exact distance ties, which do not occur with random floats.
  expect(got.map((g) => g.driverId)).toEqual(want.map((w) => w.id));
}

describe('DriverIndex (flat grid)', () => {
  it('answers nearest-k within a radius exactly like a brute-force scan', () => {
    const r = rng(1);
    const drivers: D[] = Array.from({ length: 5_000 }, (_, i) => ({ id: `d${i}`, ...randomPoint(r, 20), available: r() < 0.2, seen: 1_000 }));
    const index = build(drivers);
    expect(index.size).toBe(5_000);
    for (let i = 0; i < 300; i++) expectSameAsBruteForce(index, drivers, randomPoint(r, 24), 10, 3_000);
  });

  it('stays exact after thousands of moves, availability changes and removals', () => {
    const r = rng(2);
    const drivers: D[] = Array.from({ length: 2_000 }, (_, i) => ({ id: `d${i}`, ...randomPoint(r, 20), available: r() < 0.3, seen: 1_000 }));
    const index = build(drivers);
    for (let step = 0; step < 20_000; step++) {
      const d = drivers[Math.floor(r() * drivers.length)]!;
      const p = randomPoint(r, 20);
      d.lat = p.lat;
      d.lng = p.lng;
      if (r() < 0.1) d.available = !d.available;
      index.upsert(d.id, d.lat, d.lng, d.available, d.seen);
    }
    const removed = drivers.splice(0, 300);
    for (const d of removed) index.remove(d.id);
    expect(index.size).toBe(1_700);
    // Slots freed by removals are reused by new drivers.
    for (let i = 0; i < 100; i++) {
      const d: D = { id: `new${i}`, ...randomPoint(r, 20), available: true, seen: 1_000 };
      drivers.push(d);
      index.upsert(d.id, d.lat, d.lng, true, d.seen);
    }
    for (let i = 0; i < 200; i++) expectSameAsBruteForce(index, drivers, randomPoint(r, 20), 10, 3_000);
  });

  it('skips drivers not seen since minSeenAt (silent drivers get no work)', () => {
    const r = rng(3);
    const drivers: D[] = Array.from({ length: 1_000 }, (_, i) => ({ id: `d${i}`, ...randomPoint(r, 10), available: true, seen: i % 2 === 0 ? 5_000 : 1_000 }));
    const index = build(drivers);
    for (let i = 0; i < 50; i++) expectSameAsBruteForce(index, drivers, randomPoint(r, 10), 10, 3_000, 4_000);
    index.touch('d1', 9_000);
    drivers[1]!.seen = 9_000;
    expectSameAsBruteForce(index, drivers, drivers[1]!, 1, 3_000, 4_000);
    expect(index.nearest(drivers[1]!.lat, drivers[1]!.lng, { k: 1, radiusM: 1, minSeenAt: 4_000 })[0]?.driverId).toBe('d1');
  });

  it('finds drivers beyond the grid edge (clamped into border cells) and answers queries from outside', () => {
    const r = rng(4);
    // A 10 km grid with drivers spread over 30 km: most fall outside and are clamped.
    const index = new DriverIndex({ origin: CENTER, cellM: 500, halfExtentM: 5_000 });
    const drivers: D[] = Array.from({ length: 1_500 }, (_, i) => ({ id: `d${i}`, ...randomPoint(r, 30), available: true, seen: 0 }));
    for (const d of drivers) index.upsert(d.id, d.lat, d.lng, true, 0);
    for (let i = 0; i < 200; i++) expectSameAsBruteForce(index, drivers, randomPoint(r, 30), 10, 4_000);
  });

  it('keeps the two layers apart and moves drivers between them', () => {
    const index = new DriverIndex({ origin: CENTER });
    index.upsert('a', CENTER.lat, CENTER.lng, true, 0);
    index.upsert('b', CENTER.lat + 0.001, CENTER.lng, false, 0);
    expect(index.nearest(CENTER.lat, CENTER.lng, { k: 5, radiusM: 1_000 }).map((n) => n.driverId)).toEqual(['a']);
    expect(index.nearest(CENTER.lat, CENTER.lng, { k: 5, radiusM: 1_000, layer: LAYER_OTHER }).map((n) => n.driverId)).toEqual(['b']);
    index.setAvailable('a', false);
    index.setAvailable('b', true);
    expect(index.nearest(CENTER.lat, CENTER.lng, { k: 5, radiusM: 1_000 }).map((n) => n.driverId)).toEqual(['b']);
    const [b] = index.nearest(CENTER.lat, CENTER.lng, { k: 1, radiusM: 1_000 });
    // 0.001° of latitude is about 111 m.
    expect(b!.distanceM).toBeGreaterThan(110);
    expect(b!.distanceM).toBeLessThan(112);
  });

  it('returns fewer than k when the radius holds fewer, and nothing for k = 0', () => {
    const index = new DriverIndex({ origin: CENTER });
    index.upsert('near', CENTER.lat, CENTER.lng + 0.01, true, 0); // ~730 m east
    index.upsert('far', CENTER.lat, CENTER.lng + 0.1, true, 0); // ~7.3 km east
    expect(index.nearest(CENTER.lat, CENTER.lng, { k: 10, radiusM: 3_000 }).map((n) => n.driverId)).toEqual(['near']);
    expect(index.nearest(CENTER.lat, CENTER.lng, { k: 10, radiusM: 10_000 }).map((n) => n.driverId)).toEqual(['near', 'far']);
    expect(index.nearestInto(CENTER.lat, CENTER.lng, { k: 0, radiusM: 10_000 })).toBe(0);
  });

  it('gives the same answers whatever the cell size', () => {
    const r = rng(5);
    const drivers: D[] = Array.from({ length: 3_000 }, (_, i) => ({ id: `d${i}`, ...randomPoint(r, 20), available: r() < 0.2, seen: 0 }));
    const queries = Array.from({ length: 50 }, () => randomPoint(r, 20));
    for (const cellM of [100, 250, 1_000, 5_000]) {
      const index = build(drivers, cellM);
      for (const q of queries) expectSameAsBruteForce(index, drivers, q, 10, 3_000);
    }
  });
});
