/**
 * The scheduling clock (domain/scheduling.ts) on a simulated clock: which
 * windows may be ordered, when an order is released, and a minute cron
 * driven over simulated hours (with missed runs and a small batch bound)
 * that must release every held order exactly once, never before its time.
 */
import { describe, expect, it } from 'vitest';
import { checkWindow, clockText, describeWindow, windowText, dueReleases, isHeld, releaseTime, SCHEDULE_RULES, type HeldOrder } from '../../domain/scheduling';

const MIN = 60_000;
const T0 = new Date('2026-12-04T10:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * MIN);
const window = (startMin: number, lengthMin = 30) => ({ start: at(startMin), end: at(startMin + lengthMin) });

describe('which windows may be ordered', () => {
  it('accepts a window an hour ahead and refuses one that starts too soon for the prep time', () => {
    expect(checkWindow(window(60), T0, 15)).toEqual([]);
    // 30 min prep + 15 min lead: a window at +40 min would be released in the past.
    const tooSoon = checkWindow(window(40), T0, 30);
    expect(tooSoon).toHaveLength(1);
    expect(tooSoon[0]).toMatchObject({ field: 'start' });
    expect(tooSoon[0]!.message).toContain('45 minutes');
    // The plain lead (30 min) holds even for a shop that needs no prep.
    expect(checkWindow(window(29), T0, 0)[0]).toMatchObject({ field: 'start' });
    expect(checkWindow(window(30), T0, 0)).toEqual([]);
  });

  it('refuses a window in the past, more than 7 days ahead, too short or too long', () => {
    expect(checkWindow(window(-60), T0, 15).map((p) => p.field)).toEqual(['start']);
    expect(checkWindow(window(SCHEDULE_RULES.maxAheadDays * 24 * 60 + 1), T0, 15).map((p) => p.message)).toEqual(['Orders are scheduled at most 7 days ahead.']);
    expect(checkWindow(window(SCHEDULE_RULES.maxAheadDays * 24 * 60), T0, 15)).toEqual([]);
    expect(checkWindow(window(120, 10), T0, 15)).toEqual([{ field: 'end', message: 'The window ends at least 15 minutes after it starts.' }]);
    expect(checkWindow(window(120, -30), T0, 15).map((p) => p.field)).toEqual(['end']);
    expect(checkWindow(window(120, 121), T0, 15).map((p) => p.field)).toEqual(['end']);
    expect(checkWindow({ start: new Date('nonsense'), end: at(90) }, T0, 15).map((p) => p.field)).toEqual(['start']);
  });

  it('releases at the window start minus the prep time', () => {
    expect(releaseTime({ start: at(120) }, 25)).toEqual(at(95));
    expect(releaseTime({ start: at(120) }, -5)).toEqual(at(120));
  });

  it('says what the window is, in the given time zone', () => {
    const w = { start: '2026-12-04T18:00:00Z', end: '2026-12-04T18:30:00Z' };
    expect(describeWindow(w, 'Europe/Paris')).toBe('Scheduled for Fri 4 Dec, 19:00–19:30');
    expect(describeWindow(w, 'UTC')).toBe('Scheduled for Fri 4 Dec, 18:00–18:30');
    expect(windowText(w, 'Europe/Paris', 'fr-FR')).toMatch(/^ven\.? 4 déc\.?, 19:00–19:30$/);
    expect(clockText(w.start, 'America/New_York')).toBe('13:00');
  });

  it('holds an order until it is released', () => {
    expect(isHeld({ releaseAt: at(5), releasedAt: null })).toBe(true);
    expect(isHeld({ releaseAt: at(5), releasedAt: at(5) })).toBe(false);
    expect(isHeld({ releaseAt: null, releasedAt: null })).toBe(false);
  });
});

describe('the release cron on a simulated clock', () => {
  /** A minute cron from `from` to `to` (minutes), skipping `missed` runs, releasing at most `limit` a run. */
  function simulate(held: HeldOrder[], opts: { to: number; limit: number; missed?: ReadonlySet<number> }) {
    const waiting = new Map(held.map((o) => [o.id, o]));
    const releasedAt = new Map<string, Date>();
    const runs: number[] = [];
    for (let minute = 0; minute <= opts.to; minute++) {
      if (opts.missed?.has(minute)) continue;
      const batch = dueReleases([...waiting.values()], at(minute), opts.limit);
      runs.push(batch.length);
      for (const o of batch) {
        expect(releasedAt.has(o.id)).toBe(false);
        releasedAt.set(o.id, at(minute));
        waiting.delete(o.id);
      }
    }
    return { releasedAt, waiting, runs };
  }

  const held: HeldOrder[] = Array.from({ length: 40 }, (_, i) => ({ id: `ord_${String(i).padStart(2, '0')}`, releaseAt: at(10 + (i % 8) * 7 + (i % 3) * 0.5) }));

  it('releases each order once, at the first run at or after its release time', () => {
    const { releasedAt, waiting, runs } = simulate(held, { to: 120, limit: 100 });
    expect(waiting.size).toBe(0);
    for (const o of held) {
      const t = releasedAt.get(o.id)!;
      expect(t.getTime()).toBeGreaterThanOrEqual(o.releaseAt.getTime());
      expect(t.getTime() - o.releaseAt.getTime()).toBeLessThan(MIN);
    }
    expect(runs.reduce((a, b) => a + b, 0)).toBe(held.length);
  });

  it('survives missed runs: nothing is lost, orders are only late by the gap', () => {
    const missed = new Set([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 31, 32]);
    const { releasedAt, waiting } = simulate(held, { to: 120, limit: 100, missed });
    expect(waiting.size).toBe(0);
    const due10 = held.filter((o) => o.releaseAt.getTime() <= at(10).getTime());
    for (const o of due10) expect(releasedAt.get(o.id)).toEqual(at(21));
    for (const o of held) expect(releasedAt.get(o.id)!.getTime()).toBeGreaterThanOrEqual(o.releaseAt.getTime());
  });

  it('bounds each run and releases the earliest first; the backlog drains on the next runs', () => {
    const { releasedAt, runs } = simulate(held, { to: 120, limit: 3, missed: new Set(Array.from({ length: 60 }, (_, i) => i)) });
    expect(Math.max(...runs)).toBe(3);
    expect(releasedAt.size).toBe(held.length);
    const order = [...releasedAt.entries()].sort((a, b) => a[1].getTime() - b[1].getTime() || 0).map(([id]) => held.find((o) => o.id === id)!.releaseAt.getTime());
    // Released in release-time order across the drained backlog.
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(dueReleases(held, at(0), 10)).toEqual([]);
  });
});
