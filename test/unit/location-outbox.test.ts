import { describe, expect, it } from 'vitest';
import { LocationOutbox, MemoryPointStore, type LocationPoint, type OutboxTransport, type UploadOutcome } from '../../domain/live/location-outbox';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s)).toISOString();
const point = (s: number): LocationPoint => ({ lat: 48.85 + s / 1e5, lng: 2.35, at: at(s) });

class FakeTransport implements OutboxTransport {
  open = true;
  frames: LocationPoint[][] = [];
  posts: LocationPoint[][] = [];
  outcomes: UploadOutcome[] = [];
  sendFrame(points: LocationPoint[]): boolean {
    if (!this.open) return false;
    this.frames.push(points);
    return true;
  }
  async postBatch(points: LocationPoint[]): Promise<UploadOutcome> {
    this.posts.push(points);
    return this.outcomes.shift() ?? 'sent';
  }
}

describe('the driver position outbox', () => {
  it('sends queued points over the open socket, oldest first, at most 100 a frame', async () => {
    const t = new FakeTransport();
    const box = new LocationOutbox(new MemoryPointStore(), t);
    for (let s = 0; s < 150; s++) box.add(point(s));
    const r = await box.flush();
    expect(r).toMatchObject({ viaSocket: 150, viaHttp: 0, pending: 0 });
    expect(t.frames.map((f) => f.length)).toEqual([100, 50]);
    expect(t.frames.flat().map((p) => p.at)).toEqual(Array.from({ length: 150 }, (_, s) => at(s)));
  });

  it('uploads over HTTP while the socket is down and keeps what could not be sent', async () => {
    const t = new FakeTransport();
    t.open = false;
    t.outcomes = ['sent', 'retry'];
    const store = new MemoryPointStore();
    const box = new LocationOutbox(store, t);
    for (let s = 0; s < 130; s++) box.add(point(s));
    const r = await box.flush();
    expect(r).toMatchObject({ viaHttp: 100, pending: 30 });
    expect(t.posts.map((b) => b.length)).toEqual([100, 30]);
    // Nothing lost: the 30 are still queued, and persisted.
    expect(store.load().map((p) => p.at)).toEqual(Array.from({ length: 30 }, (_, i) => at(100 + i)));
    t.open = true;
    expect(await box.flush()).toMatchObject({ viaSocket: 30, pending: 0 });
  });

  it('drops a batch the server refuses for good, so the queue is not stuck behind it', async () => {
    const t = new FakeTransport();
    t.open = false;
    t.outcomes = ['drop'];
    const box = new LocationOutbox(new MemoryPointStore(), t);
    box.add(point(1));
    expect(await box.flush()).toMatchObject({ dropped: 1, pending: 0 });
    expect(box.droppedTotal).toBe(1);
  });

  it('ignores a point that is not newer than the last one (the shard would refuse it)', () => {
    const box = new LocationOutbox(new MemoryPointStore(), new FakeTransport());
    expect(box.add(point(5))).toBe(true);
    expect(box.add(point(5))).toBe(false);
    expect(box.add(point(4))).toBe(false);
    expect(box.pending).toBe(1);
  });

  it('sends again what went out on a socket that then died, ahead of newer points', async () => {
    let now = 1_000_000;
    const t = new FakeTransport();
    const box = new LocationOutbox(new MemoryPointStore(), t, { now: () => now, resendWindowMs: 30_000 });
    box.add(point(1));
    box.add(point(2));
    await box.flush();
    now += 5_000;
    box.add(point(3));
    box.socketReconnected();
    await box.flush();
    expect(t.frames.at(-1)!.map((p) => p.at)).toEqual([at(1), at(2), at(3)]);
    // Outside the window nothing is resent.
    now += 60_000;
    box.socketReconnected();
    expect(box.pending).toBe(0);
  });

  it('keeps at most maxQueued points, dropping the oldest and counting them', () => {
    const box = new LocationOutbox(new MemoryPointStore(), new FakeTransport(), { maxQueued: 10 });
    for (let s = 0; s < 15; s++) box.add(point(s));
    expect(box.pending).toBe(10);
    expect(box.droppedTotal).toBe(5);
  });

  it('resumes from what the store kept (a reload of the driver app)', async () => {
    const store = new MemoryPointStore();
    store.save([point(1), point(2)]);
    const t = new FakeTransport();
    const box = new LocationOutbox(store, t);
    expect(box.pending).toBe(2);
    expect(box.add(point(2))).toBe(false);
    await box.flush();
    expect(t.frames[0]!.map((p) => p.at)).toEqual([at(1), at(2)]);
  });

  it('runs one flush at a time, so concurrent flushes never reorder points', async () => {
    const t = new FakeTransport();
    t.open = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    t.postBatch = async (points) => {
      t.posts.push(points);
      await gate;
      return 'sent';
    };
    const box = new LocationOutbox(new MemoryPointStore(), t);
    box.add(point(1));
    const a = box.flush();
    const b = box.flush();
    box.add(point(2));
    release();
    await Promise.all([a, b]);
    expect(t.posts.flat().map((p) => p.at)).toEqual([at(1), at(2)]);
  });
});
