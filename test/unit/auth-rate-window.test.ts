import { describe, expect, it } from 'vitest';
import { applyOps, delaySeconds, type HitStore, type LimitOp } from '../../durable-objects/rate-limiter/window';
import { crossedThreshold } from '../../workers/services/auth/throttle';

/** The same contract as the SQLite repository, in memory. */
class MemoryStore implements HitStore {
  readonly buckets = new Map<string, number[]>();
  hitsSince(bucket: string, since: number): number[] {
    return (this.buckets.get(bucket) ?? []).filter((t) => t > since);
  }
  add(bucket: string, at: number): void {
    this.buckets.set(bucket, [...(this.buckets.get(bucket) ?? []), at]);
  }
  removeNewest(bucket: string): void {
    this.buckets.get(bucket)?.pop();
  }
  trim(bucket: string, keep: number): void {
    this.buckets.set(bucket, (this.buckets.get(bucket) ?? []).slice(-keep));
  }
}

const rule = { limit: 3, windowSeconds: 60 };
const consume = (bucket = 'b'): LimitOp => ({ bucket, rule, op: 'consume' });

describe('sliding window log', () => {
  it('allows `limit` hits in the window, then refuses with the time until the oldest leaves', () => {
    const store = new MemoryStore();
    const t0 = 1_000_000;
    expect(applyOps(store, [consume()], t0)[0]).toMatchObject({ allowed: true, count: 1 });
    expect(applyOps(store, [consume()], t0 + 10_000)[0]).toMatchObject({ allowed: true, count: 2 });
    expect(applyOps(store, [consume()], t0 + 20_000)[0]).toMatchObject({ allowed: true, count: 3 });
    const refused = applyOps(store, [consume()], t0 + 30_000)[0]!;
    expect(refused).toMatchObject({ allowed: false, count: 3, retryAfterSeconds: 30 });
    // A refused call is not counted: once the first hit leaves, one slot opens.
    expect(applyOps(store, [consume()], t0 + 60_001)[0]).toMatchObject({ allowed: true, count: 3 });
    expect(applyOps(store, [consume()], t0 + 60_002)[0]).toMatchObject({ allowed: false, retryAfterSeconds: 10 });
  });

  it('is atomic across a batch: one refusal counts nothing', () => {
    const store = new MemoryStore();
    for (let i = 0; i < 3; i++) applyOps(store, [consume('full')], i);
    const [other, full] = applyOps(store, [consume('other'), consume('full')], 10);
    expect(full).toMatchObject({ allowed: false });
    expect(other).toMatchObject({ allowed: true, count: 0 });
    expect(store.hitsSince('other', -1)).toEqual([]);
  });

  it('check refuses without counting; record counts without refusing; refund takes one back', () => {
    const store = new MemoryStore();
    const op = (kind: LimitOp['op']): LimitOp => ({ bucket: 'b', rule, op: kind });
    expect(applyOps(store, [op('check')], 0)[0]).toMatchObject({ allowed: true, count: 0 });
    for (let i = 1; i <= 5; i++) expect(applyOps(store, [op('record')], i)[0]).toMatchObject({ allowed: true, count: Math.min(i, 3) });
    expect(applyOps(store, [op('check')], 6)[0]).toMatchObject({ allowed: false });
    // Storage stays bounded at the limit: older hits can never change a decision.
    expect(store.hitsSince('b', -1)).toEqual([3, 4, 5]);
    expect(applyOps(store, [op('refund')], 7)[0]).toMatchObject({ allowed: true, before: 3, count: 2 });
    expect(store.hitsSince('b', -1)).toEqual([3, 4]);
  });

  it('reports before/after so a burst threshold is crossed exactly once', () => {
    const store = new MemoryStore();
    const big = { limit: 100, windowSeconds: 3600 };
    const crossings: number[] = [];
    for (let i = 0; i < 130; i++) {
      const [d] = applyOps(store, [{ bucket: 'fail', rule: big, op: 'record' }], i);
      const t = crossedThreshold(d!);
      if (t !== undefined) crossings.push(t);
    }
    expect(crossings).toEqual([10, 50, 100]);
  });
});

describe('growing delays (ADR 0088)', () => {
  const slow = { limit: 100, windowSeconds: 3600, delay: { after: 3, baseSeconds: 1, maxSeconds: 8 } };
  const attempt = (store: MemoryStore, at: number) => applyOps(store, [{ bucket: 'f', rule: slow, op: 'consume' }], at)[0]!;

  it('the first `after` failures are free; each later one waits twice as long after the newest, up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 9].map((n) => delaySeconds(slow, n))).toEqual([0, 0, 0, 1, 2, 4, 8, 8]);
    const store = new MemoryStore();
    for (let i = 0; i < 3; i++) expect(attempt(store, i)).toMatchObject({ allowed: true });
    expect(attempt(store, 500)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    expect(attempt(store, 1_002)).toMatchObject({ allowed: true, count: 4 });
    expect(attempt(store, 2_000)).toMatchObject({ allowed: false, retryAfterSeconds: 2 });
    expect(attempt(store, 3_002)).toMatchObject({ allowed: true, count: 5 });
    // Refused attempts count nothing and do not push the delay further.
    expect(attempt(store, 4_000)).toMatchObject({ allowed: false, retryAfterSeconds: 4 });
    expect(attempt(store, 7_002)).toMatchObject({ allowed: true, count: 6 });
  });

  it('never locks for longer than the cap, however many failures are in the window', () => {
    const store = new MemoryStore();
    for (let i = 0; i < 60; i++) store.add('f', i * 10);
    const d = attempt(store, 600);
    expect(d.allowed).toBe(false);
    expect(d.retryAfterSeconds).toBeLessThanOrEqual(8);
    expect(attempt(store, 590 + 8_000)).toMatchObject({ allowed: true });
  });

  it('a refund (a success) takes a failure back, and the delay with it', () => {
    const store = new MemoryStore();
    for (let i = 0; i < 4; i++) store.add('f', i);
    expect(attempt(store, 10)).toMatchObject({ allowed: false });
    applyOps(store, [{ bucket: 'f', rule: slow, op: 'refund' }], 11);
    expect(attempt(store, 12)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
  });
});
