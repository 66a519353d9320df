/**
 * The apps' live ETA (web/src/live/eta.ts, ADR 0076): counted down from the
 * time the shard's frame holds, never below 0, never shown for an order that
 * has ended, and a frame time from a clock far from the browser's is bounded.
 */
import { describe, expect, it } from 'vitest';
import { TERMINAL_STATUSES, OPEN_STATUSES } from '../../domain/order';
import { etaRemaining, etaSince, formatEta, hasEnded, liveEtaSeconds, MAX_ETA_AGE_MS } from '../../web/src/live/eta';

const T = Date.parse('2026-03-01T12:00:00.000Z');

describe('live ETA countdown', () => {
  it('counts down the seconds elapsed since the frame held, never below zero', () => {
    expect(etaRemaining(120, T, T)).toBe(120);
    expect(etaRemaining(120, T, T + 1_000)).toBe(119);
    expect(etaRemaining(120, T, T + 45_400)).toBe(75);
    expect(etaRemaining(120, T, T + 120_000)).toBe(0);
    expect(etaRemaining(120, T, T + 600_000)).toBe(0);
    // A tick that read the clock just before the frame arrived does not add time.
    expect(etaRemaining(120, T, T - 800)).toBe(120);
  });

  it('decreases monotonically second by second between two frames', () => {
    const shown = Array.from({ length: 10 }, (_, i) => etaRemaining(7, T, T + i * 1_000));
    expect(shown).toEqual([7, 6, 5, 4, 3, 2, 1, 0, 0, 0]);
  });

  it('takes the frame time, bounded by when it arrived (clocks differ)', () => {
    const at = new Date(T - 3_000).toISOString();
    expect(etaSince(at, T)).toBe(T - 3_000);
    // A frame stamped after it arrived (the browser's clock behind): as of arrival.
    expect(etaSince(new Date(T + 5_000).toISOString(), T)).toBe(T);
    // Absurdly old (the browser's clock far ahead): no older than the bound.
    expect(etaSince(new Date(T - 3_600_000).toISOString(), T)).toBe(T - MAX_ETA_AGE_MS);
    // Frames of shards before ADR 0076 carry no time: as of arrival.
    expect(etaSince(undefined, T)).toBe(T);
    expect(etaSince('not a time', T)).toBe(T);
  });

  it('shows no ETA once the order has ended, by any of its views', () => {
    for (const s of TERMINAL_STATUSES) {
      expect(hasEnded(s)).toBe(true);
      expect(liveEtaSeconds(hasEnded('in_delivery', s), 53, T, T)).toBeNull();
    }
    for (const s of OPEN_STATUSES) expect(hasEnded(s, null, undefined)).toBe(false);
    expect(liveEtaSeconds(false, 53, T, T + 3_000)).toBe(50);
    expect(liveEtaSeconds(false, null, T, T)).toBeNull();
    // Without a time (an ETA read from the order itself) it is shown as is.
    expect(liveEtaSeconds(false, 53.4, null, T + 3_000)).toBe(53);
  });

  it('is written finely enough that the countdown is seen to move', () => {
    expect(formatEta(0)).toBe('0 s');
    expect(formatEta(45)).toBe('45 s');
    expect(formatEta(60)).toBe('1 min 00 s');
    expect(formatEta(125)).toBe('2 min 05 s');
    expect(formatEta(124)).not.toBe(formatEta(125));
    expect(formatEta(3_725)).toBe('1 h 02 min');
    expect(formatEta(-5)).toBe('0 s');
  });
});
