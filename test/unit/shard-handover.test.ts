/**
 * Driver handover between the shards of a split city (ADR 0122), in Node:
 * the pure decisions (handover.ts) and the adapter (handover-link.ts) between
 * two real shard states, with an in-memory SQLite stand-in for the intent
 * rows and a peer that can fail or vanish mid-call.
 */
import { describe, expect, it } from 'vitest';
import { DriverHandover, type HandoverHost, type HandoverPeer } from '../../durable-objects/city-shard/handover-link';
import { adoptDriver, decideHandover, HANDOVER_MARGIN_M, releaseDriver } from '../../durable-objects/city-shard/handover';
import { DEFAULT_POLICY } from '../../durable-objects/city-shard/matching';
import type { DriverLive, Job, ShardState } from '../../durable-objects/city-shard/model';
import { newDriver } from '../../durable-objects/city-shard/model';
import { createState } from '../../durable-objects/city-shard/state';
import { shardFor, type CityGeometry } from '../../domain/shard-keys';

const CENTER = { lat: 48.8566, lng: 2.3522 };
const T0 = 1_800_000_000_000;
const CELL_KM = 8;
const city: CityGeometry = { id: 'cty_0test', center: CENTER, serviceRadiusKm: 12, cellKm: CELL_KM };
const M_LNG = 111_195 * Math.cos((CENTER.lat * Math.PI) / 180);
/** A point `m` metres east of the centre; the border between cells (0,0) and (0,1) is at 4,000 m. */
const east = (m: number) => ({ lat: CENTER.lat, lng: CENTER.lng + m / M_LNG });
const A = shardFor(city, east(0)).key;
const B = shardFor(city, east(6_000)).key;

function driverAt(state: ShardState, id: string, m: number, at = T0): DriverLive {
  const d = newDriver(id, 'bike', T0);
  d.available = true;
  d.position = { ...east(m), heading: null, speed: null, accuracy: null, at };
  state.drivers.set(id, d);
  state.index.upsert(id, d.position.lat, d.position.lng, true, T0);
  return d;
}

function assignedJob(state: ShardState, orderId: string, d: DriverLive): Job {
  const job = {
    orderId, pickup: east(3_000), dropoff: east(7_000), payoutCents: 500, offerTtlMs: 20_000, orderStatus: 'accepted', dispatch: 'assigned',
    offerId: null, driverId: d.driverId, round: 1, excluded: {}, createdAt: T0, unassignedSince: null, endedAt: null,
  } as unknown as Job;
  state.jobs.set(orderId, job);
  d.orderId = orderId;
  d.available = true;
  return job;
}

describe('handover decisions', () => {
  it('keeps a driver inside its cell or within the margin past the border, hands it over beyond', () => {
    const a = createState(A, CENTER, DEFAULT_POLICY);
    expect(decideHandover(a, city, driverAt(a, 'drv_1', 3_900)).kind).toBe('stay');
    expect(decideHandover(a, city, driverAt(a, 'drv_2', 4_000 + HANDOVER_MARGIN_M - 20)).kind).toBe('stay');
    const going = decideHandover(a, city, driverAt(a, 'drv_3', 4_000 + HANDOVER_MARGIN_M + 20));
    expect(going).toMatchObject({ kind: 'go', target: B, pkg: { driverId: 'drv_3', available: true, orderId: null, from: A } });
    // Without the city's geometry (no upgrade seen yet) the shard cannot route: the driver stays.
    expect(decideHandover(a, null, driverAt(a, 'drv_4', 6_000)).kind).toBe('stay');
  });

  it('defers a driver with an open offer or on a third shard’s order', () => {
    const a = createState(A, CENTER, DEFAULT_POLICY);
    const offered = driverAt(a, 'drv_1', 6_000);
    offered.offerId = 'ofr_1';
    expect(decideHandover(a, city, offered)).toMatchObject({ kind: 'defer', why: 'open offer' });
    const third = driverAt(a, 'drv_2', 6_000);
    third.orderId = 'ord_1';
    third.orderShard = shardFor(city, east(-9_000)).key;
    expect(decideHandover(a, city, third)).toMatchObject({ kind: 'defer' });
    const pending = driverAt(a, 'drv_3', 6_000);
    assignedJob(a, 'ord_2', pending).pendingAssignment = { offerId: 'ofr_2', driverId: 'drv_3', payoutCents: 500, at: T0, attempts: 0 };
    expect(decideHandover(a, city, pending)).toMatchObject({ kind: 'defer', why: 'assignment not settled' });
  });

  it('carries an assignment: the order follows its driver across, and becomes local again on the way back', () => {
    const a = createState(A, CENTER, DEFAULT_POLICY);
    const b = createState(B, CENTER, DEFAULT_POLICY);
    const job = assignedJob(a, 'ord_1', driverAt(a, 'drv_1', 4_500));
    const out = decideHandover(a, city, a.drivers.get('drv_1')!);
    if (out.kind !== 'go') throw new Error('expected a handover');
    expect(out.pkg).toMatchObject({ orderId: 'ord_1', orderShard: A });
    expect(releaseDriver(a, out.pkg, B)).toBe(job);
    expect(job.driverShard).toBe(B);
    expect(a.drivers.has('drv_1')).toBe(false);
    const { driver } = adoptDriver(b, out.pkg, T0 + 10);
    expect(driver).toMatchObject({ orderId: 'ord_1', orderShard: A, available: true });
    // Back west: A owns the order again as a local assignment.
    driver.position = { ...east(3_000), heading: null, speed: null, accuracy: null, at: T0 + 60_000 };
    const back = decideHandover(b, city, driver);
    if (back.kind !== 'go') throw new Error('expected a handover back');
    releaseDriver(b, back.pkg, A);
    const home = adoptDriver(a, back.pkg, T0 + 60_010);
    expect(home.driver.orderShard).toBeNull();
    expect(home.job).toBe(job);
    expect(job.driverShard).toBeNull();
  });

  it('adopting is idempotent: an older or repeated package changes nothing newer', () => {
    const b = createState(B, CENTER, DEFAULT_POLICY);
    const newer = driverAt(b, 'drv_1', 6_100, T0 + 5_000);
    const pkg = { driverId: 'drv_1', vehicle: 'bike' as const, available: false, idleSince: T0, flaggedPoints: 0, position: { ...east(6_000), heading: null, speed: null, accuracy: null, at: T0 + 1_000 }, orderId: null, orderShard: null, from: A };
    expect(adoptDriver(b, pkg, T0 + 6_000)).toMatchObject({ changed: false });
    expect(b.drivers.get('drv_1')).toBe(newer);
    expect(newer.available).toBe(true);
  });
});

/** One shard's side of the adapter: its state, its meta rows, its closed sockets. */
class Side {
  readonly state: ShardState;
  readonly meta = new Map<string, string>();
  readonly closed: string[] = [];
  readonly upserts: string[] = [];
  peer: () => HandoverPeer = () => { throw new Error('no peer'); };
  readonly link: DriverHandover;
  constructor(key: string) {
    this.state = createState(key, CENTER, DEFAULT_POLICY);
    this.link = this.make();
  }
  make(): DriverHandover {
    const host: HandoverHost = {
      state: () => this.state,
      repo: () => ({ getMeta: (k) => this.meta.get(k) ?? null, setMeta: (k, v) => void this.meta.set(k, v), saveJob: () => {}, deleteDriver: () => {} }),
      transaction: (fn) => fn(),
      clock: () => T0,
      peer: () => this.peer(),
      closeDriver: (id) => void this.closed.push(id),
      upserted: (d) => void this.upserts.push(d.driverId),
    };
    return new DriverHandover(host);
  }
}

describe('handover link', () => {
  const pair = () => {
    const a = new Side(A);
    const b = new Side(B);
    a.peer = () => ({ acceptHandover: async (pkg) => b.link.accept(pkg) });
    a.link.learnCity(JSON.stringify(city));
    return { a, b };
  };

  it('moves the driver to exactly one shard and closes its old socket; late frames on it are dropped', async () => {
    const { a, b } = pair();
    driverAt(a.state, 'drv_1', 4_400);
    await a.link.after('drv_1');
    expect([a.state.drivers.has('drv_1'), b.state.drivers.has('drv_1')]).toEqual([false, true]);
    expect(a.closed).toEqual(['drv_1']);
    expect(b.upserts).toEqual(['drv_1']);
    expect(a.link.hasLeft('drv_1')).toBe(true);
    expect(JSON.parse(a.meta.get('handovers')!)).toEqual({});
  });

  it('keeps the driver when the target fails, and resends an intent an evicted instance left', async () => {
    const { a, b } = pair();
    a.peer = () => ({ acceptHandover: () => Promise.reject(new Error('overloaded')) });
    driverAt(a.state, 'drv_1', 4_400);
    await a.link.after('drv_1');
    expect([a.state.drivers.has('drv_1'), b.state.drivers.has('drv_1')]).toEqual([true, false]);
    expect(a.state.drivers.get('drv_1')!.available).toBe(true);
    expect(a.closed).toEqual([]);
    // Evicted between removing the driver and the answer: the intent row survives, the next instance sends it.
    a.peer = () => ({ acceptHandover: () => new Promise(() => {}) });
    void a.link.after('drv_1');
    expect(a.state.drivers.has('drv_1')).toBe(false);
    const next = a.make();
    a.peer = () => ({ acceptHandover: async (pkg) => b.link.accept(pkg) });
    driverAt(a.state, 'drv_2', 100);
    await next.after('drv_2');
    expect(b.state.drivers.get('drv_1')?.available).toBe(true);
    expect(JSON.parse(a.meta.get('handovers')!)).toEqual({});
  });
});
