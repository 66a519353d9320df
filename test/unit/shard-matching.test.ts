import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, VEHICLE_SPEED_MPS, etaSeconds, rank, scoreCandidate, searchDrivers, type CandidateDriver } from '../../durable-objects/city-shard/matching';
import { DriverIndex } from '../../durable-objects/city-shard/spatial';

const PICKUP = { lat: 48.8566, lng: 2.3522 };
const NOW = 1_800_000_000_000;
/** A point `m` metres east of the pickup. */
const east = (m: number) => ({ lat: PICKUP.lat, lng: PICKUP.lng + m / (111_195 * Math.cos((PICKUP.lat * Math.PI) / 180)) });

const driver = (driverId: string, m: number, vehicle: CandidateDriver['vehicle'] = 'scooter', idleS = 0): CandidateDriver => ({ driverId, vehicle, position: east(m), idleSince: NOW - idleS * 1000 });

describe('matching: score', () => {
  it('estimates arrival from distance, detour and vehicle speed', () => {
    expect(etaSeconds(1_000, 'bike')).toBe(Math.round((1_000 * DEFAULT_POLICY.detourFactor) / VEHICLE_SPEED_MPS.bike));
    expect(etaSeconds(1_000, 'car')).toBeLessThan(etaSeconds(1_000, 'scooter'));
    expect(etaSeconds(1_000, 'scooter')).toBeLessThan(etaSeconds(1_000, 'bike'));
  });

  it('credits idle time, capped, so a long wait cannot beat a much closer driver', () => {
    const fresh = scoreCandidate(driver('a', 1_000, 'scooter', 0), PICKUP, NOW, DEFAULT_POLICY);
    const idle = scoreCandidate(driver('b', 1_000, 'scooter', 300), PICKUP, NOW, DEFAULT_POLICY);
    const veryIdle = scoreCandidate(driver('c', 1_000, 'scooter', 36_000), PICKUP, NOW, DEFAULT_POLICY);
    expect(fresh.distanceM).toBeCloseTo(1_000, -1);
    expect(idle.score).toBeCloseTo(fresh.score - 30, 0);
    expect(veryIdle.score).toBeCloseTo(fresh.score - DEFAULT_POLICY.maxIdleCreditSeconds, 0);
  });
});

describe('matching: rank', () => {
  it('picks the lowest score and records why, and why each other candidate lost', () => {
    const s = rank([driver('far', 2_000), driver('near', 500), driver('mid', 1_000)], new Map(), PICKUP, 3_000, NOW, DEFAULT_POLICY);
    expect(s.winner?.driverId).toBe('near');
    expect(s.candidates.map((c) => c.driverId)).toEqual(['near', 'mid', 'far']);
    expect(s.reason).toMatch(/^lowest score .*ETA .* for \d+ m by scooter; next best mid scored/);
    expect(s.candidates[1]!.rejectedBecause).toMatch(/^score .* is worse than /);
    expect(s.winner!.rejectedBecause).toBeNull();
  });

  it('prefers a car farther away when it arrives sooner', () => {
    const s = rank([driver('bike', 800, 'bike'), driver('car', 1_000, 'car')], new Map(), PICKUP, 3_000, NOW, DEFAULT_POLICY);
    expect(s.winner?.driverId).toBe('car');
  });

  it('lets a driver idle for 10 minutes win over a slightly closer one who just finished', () => {
    const s = rank([driver('busy-before', 900, 'scooter', 0), driver('waiting', 1_100, 'scooter', 600)], new Map(), PICKUP, 3_000, NOW, DEFAULT_POLICY);
    expect(s.winner?.driverId).toBe('waiting');
    expect(s.reason).toMatch(/minus 60 s for 10 min idle/);
  });

  it('keeps excluded drivers in the record with their reason', () => {
    const s = rank([driver('declined', 200), driver('other', 900)], new Map([['declined', 'declined this order']]), PICKUP, 3_000, NOW, DEFAULT_POLICY);
    expect(s.winner?.driverId).toBe('other');
    expect(s.candidates.find((c) => c.driverId === 'declined')?.rejectedBecause).toBe('declined this order');
    const none = rank([driver('declined', 200)], new Map([['declined', 'declined this order']]), PICKUP, 3_000, NOW, DEFAULT_POLICY);
    expect(none.winner).toBeNull();
    expect(none.reason).toBe('all 1 drivers within 3000 m were excluded');
    expect(rank([], new Map(), PICKUP, 3_000, NOW, DEFAULT_POLICY).reason).toBe('no available driver within 3000 m');
  });
});

describe('matching: search with widening radius', () => {
  const index = new DriverIndex({ origin: PICKUP });
  const drivers = new Map<string, CandidateDriver>();
  const add = (d: CandidateDriver, seenAt = NOW) => {
    drivers.set(d.driverId, d);
    index.upsert(d.driverId, d.position.lat, d.position.lng, true, seenAt);
  };
  add(driver('at-5km', 5_000));
  add(driver('at-8km', 8_000));
  add(driver('silent-1km', 1_000), NOW - DEFAULT_POLICY.silentAfterMs - 1);
  const lookup = { candidate: (id: string) => drivers.get(id) ?? null };

  it('widens from 3 km to 6 km when nobody is free nearer, and ignores silent drivers', () => {
    const searches = searchDrivers(index, lookup, PICKUP, new Map(), NOW, DEFAULT_POLICY);
    expect(searches.map((s) => s.radiusM)).toEqual([3_000, 6_000]);
    expect(searches[0]!.winner).toBeNull();
    expect(searches[1]!.winner?.driverId).toBe('at-5km');
  });

  it('goes to the last radius and then gives up', () => {
    const excluded = new Map([['at-5km', 'declined this order'], ['at-8km', 'declined this order']]);
    const searches = searchDrivers(index, lookup, PICKUP, excluded, NOW, DEFAULT_POLICY);
    expect(searches.map((s) => s.radiusM)).toEqual([3_000, 6_000, 10_000]);
    expect(searches.every((s) => s.winner === null)).toBe(true);
    expect(searches[2]!.reason).toBe('all 2 drivers within 10000 m were excluded');
  });
});
