import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DriverMessageSchema,
  MAX_FRAME_BYTES,
  ServerToDriverSchema,
  ServerToWatcherSchema,
  fastLocation,
  frameTooLarge,
  parseFixTime,
  parseDriverMessage,
  parseWatcherMessage,
} from '../../domain/protocol/city-shard';
import { seededRandom as rng } from '../../scripts/lib/seeded-random';

const at = '2026-06-01T12:00:00.000Z';

describe('protocol v1: driver messages', () => {
  it('accepts every driver message of the contract, with or without v', () => {
    const frames = [
      { type: 'location', lat: 48.85, lng: 2.35, heading: 90, speed: 5.5, accuracy: 12, at },
      { type: 'location', lat: 48.85, lng: 2.35, at: '2026-06-01T14:00:00+02:00', v: 1 },
      { type: 'locations', points: [{ lat: 48.85, lng: 2.35, at }, { lat: 48.851, lng: 2.351, at: '2026-06-01T12:00:04Z' }] },
      { type: 'availability', available: true },
      { type: 'offer.accept', offerId: 'ofr_1' },
      { type: 'offer.decline', offerId: 'ofr_1', reason: 'flat tyre' },
      { type: 'ping' },
    ];
    for (const frame of frames) {
      const parsed = parseDriverMessage(JSON.stringify(frame));
      expect(parsed, JSON.stringify(frame)).toMatchObject({ ok: true, message: { type: frame.type } });
    }
  });

  it('answers a bad frame with an error message naming the problem', () => {
    expect(parseDriverMessage('{"type":"location",')).toEqual({ ok: false, error: { type: 'error', code: 'malformed_json', detail: expect.any(String) } });
    expect(parseDriverMessage('[1,2]')).toMatchObject({ ok: false, error: { code: 'invalid_message' } });
    expect(parseDriverMessage('"hello"')).toMatchObject({ ok: false, error: { code: 'invalid_message' } });
    expect(parseDriverMessage('{"type":"teleport"}')).toMatchObject({ ok: false, error: { code: 'invalid_message', detail: expect.stringContaining('type') } });
    expect(parseDriverMessage(JSON.stringify({ type: 'location', lat: 91, lng: 2, at }))).toMatchObject({ ok: false, error: { code: 'invalid_message', detail: expect.stringMatching(/^lat: /) } });
    expect(parseDriverMessage(JSON.stringify({ type: 'location', lat: 48, lng: 2, at: 'yesterday' }))).toMatchObject({ ok: false, error: { detail: expect.stringMatching(/^at: /) } });
    expect(parseDriverMessage(JSON.stringify({ type: 'offer.accept' }))).toMatchObject({ ok: false, error: { detail: expect.stringMatching(/^offerId: /) } });
    expect(parseDriverMessage(JSON.stringify({ type: 'locations', points: [] }))).toMatchObject({ ok: false, error: { detail: expect.stringMatching(/^points/) } });
  });

  it('refuses another protocol version explicitly', () => {
    expect(parseDriverMessage(JSON.stringify({ type: 'ping', v: 2 }))).toMatchObject({ ok: false, error: { code: 'unsupported_version' } });
    expect(parseDriverMessage(JSON.stringify({ type: 'location', lat: 1, lng: 1, at, v: 2 }))).toMatchObject({ ok: false, error: { code: 'unsupported_version' } });
  });

  it('watcher channels accept pings only', () => {
    expect(parseWatcherMessage('{"type":"ping"}')).toMatchObject({ ok: true });
    expect(parseWatcherMessage(JSON.stringify({ type: 'availability', available: true }))).toMatchObject({ ok: false, error: { code: 'invalid_message' } });
  });

  it('measures frames in UTF-8 bytes against the limit', () => {
    expect(frameTooLarge('x'.repeat(MAX_FRAME_BYTES))).toBe(false);
    expect(frameTooLarge('x'.repeat(MAX_FRAME_BYTES + 1))).toBe(true);
    // 6,000 three-byte characters: 6,000 UTF-16 units but 18,000 bytes.
    expect(frameTooLarge('€'.repeat(6_000))).toBe(true);
    expect(frameTooLarge('€'.repeat(5_000))).toBe(false);
    expect(frameTooLarge(new ArrayBuffer(MAX_FRAME_BYTES + 1))).toBe(true);
  });

  it('validates what the server sends with the shared schemas', () => {
    expect(ServerToDriverSchema.safeParse({ type: 'offer', offerId: 'o', orderId: 'r', pickup: { lat: 1, lng: 2 }, dropoff: { lat: 1, lng: 2 }, payoutCents: 450, expiresAt: at }).success).toBe(true);
    expect(ServerToDriverSchema.safeParse({ type: 'offer', offerId: 'o' }).success).toBe(false);
    expect(ServerToWatcherSchema.safeParse({ type: 'eta', orderId: 'r', seconds: 120 }).success).toBe(true);
    expect(ServerToWatcherSchema.safeParse({ type: 'status', orderId: 'r', status: 'lost', dispatch: 'assigned', at }).success).toBe(false);
  });
});


const VALUES: unknown[] = [0, -0.5, 45, 90, 90.0001, -90, -181, 180, 359.9, 360, 361, 100, 100.5, 1e6, '48.8', null, true, [], {}, undefined];
const TIMES: unknown[] = [at, '2026-06-01T12:00:00Z', '2026-06-01T12:00:00+02:00', '2026-06-01T12:00Z', '2026-02-29T00:00:00Z', '2024-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-06-01 12:00:00Z', '2026-06-01T24:00:00Z', '2026-06-01T12:00:00.123456789Z', 1_780_000_000_000, '', null];
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

function randomFrame(r: () => number): Record<string, unknown> {
  const point = (): Record<string, unknown> => {
    const p: Record<string, unknown> = { lat: r() < 0.7 ? 48.85 : pick(r, VALUES), lng: r() < 0.7 ? 2.35 : pick(r, VALUES), at: r() < 0.6 ? at : pick(r, TIMES) };
    for (const k of ['heading', 'speed', 'accuracy']) if (r() < 0.5) p[k] = pick(r, VALUES);
    if (r() < 0.1) p.extra = 1;
    if (r() < 0.05) delete p[pick(r, ['lat', 'lng', 'at'])];
    return p;
  };
  const frame: Record<string, unknown> = r() < 0.6 ? { type: 'location', ...point() } : { type: 'locations', points: r() < 0.1 ? [] : Array.from({ length: 1 + Math.floor(r() * 3) }, point) };
  if (r() < 0.1) frame.v = pick(r, [1, 2, '1', null]);
  if (r() < 0.05) frame.type = pick(r, ['Location', 'availability', 7]);
  if (r() < 0.03 && frame.type === 'locations') frame.points = 'many';
  return JSON.parse(JSON.stringify(frame)) as Record<string, unknown>;
}

describe('protocol v1: the location fast path', () => {
  it('never accepts what zod refuses, and returns what zod returns (20,000 generated frames)', () => {
    const r = rng(2026);
    let fastHits = 0;
    let zodAccepts = 0;
    for (let i = 0; i < 20_000; i++) {
      const frame = randomFrame(r);
      const fast = fastLocation(frame);
      const zod = DriverMessageSchema.safeParse(frame);
      if (zod.success) zodAccepts++;
      if (fast) {
        fastHits++;
        expect(zod.success, JSON.stringify(frame)).toBe(true);
        expect(fast).toEqual(zod.data);
      }
    }
    // The generator exercises both sides, and the fast path takes most valid frames.
    expect(zodAccepts).toBeGreaterThan(2_000);
    expect(fastHits).toBeGreaterThan(zodAccepts * 0.8);
  });

  it('takes the canonical frames a driver app sends', () => {
    expect(fastLocation({ type: 'location', lat: 48.85, lng: 2.35, heading: 12.5, speed: 4, accuracy: 8, at })).not.toBeNull();
    expect(fastLocation({ type: 'locations', points: [{ lat: 48.85, lng: 2.35, at }] })).not.toBeNull();
    expect(fastLocation({ type: 'location', lat: 48.85, lng: 2.35, at, extra: true })).toBeNull(); // zod strips it; zod decides
  });
});

describe('protocol v1: fix times', () => {
  const zodTime = z.iso.datetime({ offset: true });
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');

  it('accepts exactly the times zod accepts, with Date.parse’s value (30,000 generated strings)', () => {
    const r = rng(77);
    const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
    let valid = 0;
    for (let i = 0; i < 30_000; i++) {
      const year = pick(r, [int(1900, 2100), int(0, 99), 2000, 1900, 2024, 2100, 2400, int(0, 9999)]);
      let s = `${pad(year, 4)}-${pad(int(0, 13))}-${pad(int(0, 32))}T${pad(int(0, 25))}:${pad(int(0, 61))}:${pad(int(0, 61))}`;
      const frac = r();
      if (frac < 0.3) s += `.${pad(int(0, 999), 3)}`;
      else if (frac < 0.4) s += `.${String(int(0, 999_999_999))}`;
      else if (frac < 0.45) s += '.';
      s += pick(r, ['Z', 'Z', 'Z', 'z', '+02:00', '-05:30', '+24:00', '']);
      if (r() < 0.05) s = s.replace('T', pick(r, [' ', 't', 'TT']));
      if (r() < 0.05) s = s.slice(0, int(0, s.length));
      const ours = parseFixTime(s);
      const zodOk = zodTime.safeParse(s).success;
      expect(!Number.isNaN(ours), s).toBe(zodOk);
      if (zodOk) {
        valid++;
        expect(ours, s).toBe(Date.parse(s));
      }
    }
    expect(valid).toBeGreaterThan(3_000);
  });

  it('knows leap years and month lengths', () => {
    expect(parseFixTime('2024-02-29T00:00:00Z')).toBe(Date.parse('2024-02-29T00:00:00Z'));
    expect(parseFixTime('2026-02-29T00:00:00Z')).toBeNaN();
    expect(parseFixTime('2100-02-29T00:00:00Z')).toBeNaN();
    expect(parseFixTime('2000-02-29T00:00:00Z')).toBe(Date.parse('2000-02-29T00:00:00Z'));
    expect(parseFixTime('2026-04-31T00:00:00Z')).toBeNaN();
    expect(parseFixTime('2026-06-01T12:00:00.123456Z')).toBe(Date.parse('2026-06-01T12:00:00.123Z'));
    expect(parseFixTime('2026-06-01T14:00:00+02:00')).toBe(Date.parse('2026-06-01T12:00:00Z'));
  });
});
