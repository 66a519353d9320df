/**
 * Opening hours in an IANA time zone (domain/opening-hours.ts, ADR 0111):
 * weekly intervals, past-midnight closes, holiday exceptions, the next
 * opening in local words, and both daylight-saving changes of Europe/Paris
 * (2026-03-29 02:00 → 03:00, 2026-10-25 03:00 → 02:00) and of New York.
 */
import { describe, expect, it } from 'vitest';
import { isTimeZone, localDateTime, openingHoursProblem, openStateAt, zonedInstant, type OpeningHours } from '../../domain/opening-hours';

const PARIS = 'Europe/Paris';
const lunchAndDinner: OpeningHours = {
  weekly: {
    mon: [], // closed on Mondays
    tue: [{ open: '11:00', close: '14:30' }, { open: '18:00', close: '22:00' }],
    wed: [{ open: '11:00', close: '14:30' }, { open: '18:00', close: '22:00' }],
    thu: [{ open: '11:00', close: '14:30' }, { open: '18:00', close: '22:00' }],
    fri: [{ open: '11:00', close: '14:30' }, { open: '18:00', close: '02:00' }],
    sat: [{ open: '18:00', close: '02:00' }],
    sun: [{ open: '11:00', close: '15:00' }],
  },
  exceptions: [{ date: '2026-12-25', intervals: [], note: 'Christmas' }, { date: '2026-12-31', intervals: [{ open: '18:00', close: '24:00' }] }],
};
const utc = (iso: string) => new Date(iso);

describe('opening hours', () => {
  it('is open inside an interval and says when it closes (Paris is UTC+1 in December)', () => {
    const s = openStateAt(lunchAndDinner, PARIS, utc('2026-12-01T11:00:00Z')); // Tuesday 12:00 local
    expect(s.open).toBe(true);
    expect(s.closesAt?.toISOString()).toBe('2026-12-01T13:30:00.000Z');
  });

  it('between lunch and dinner: closed, opens at 18:00 local the same day', () => {
    const s = openStateAt(lunchAndDinner, PARIS, utc('2026-12-01T14:00:00Z'));
    expect(s.open).toBe(false);
    expect(s.opensAt?.toISOString()).toBe('2026-12-01T17:00:00.000Z');
    expect(s.opensAtLocal).toEqual({ date: '2026-12-01', time: '18:00' });
  });

  it('on a closed Monday, opens Tuesday at 11:00', () => {
    const s = openStateAt(lunchAndDinner, PARIS, utc('2026-11-30T09:00:00Z'));
    expect(s).toMatchObject({ open: false, opensAtLocal: { date: '2026-12-01', time: '11:00' } });
  });

  it('a Friday evening runs past midnight into Saturday', () => {
    expect(openStateAt(lunchAndDinner, PARIS, utc('2026-12-05T00:30:00Z')).open).toBe(true); // Sat 01:30 local
    expect(openStateAt(lunchAndDinner, PARIS, utc('2026-12-05T01:30:00Z')).open).toBe(false); // Sat 02:30 local
  });

  it('a holiday exception closes the whole day; a short-day exception replaces the week’s hours', () => {
    const christmas = openStateAt(lunchAndDinner, PARIS, utc('2026-12-25T12:00:00Z')); // a Friday
    expect(christmas.open).toBe(false);
    expect(christmas.opensAtLocal).toEqual({ date: '2026-12-26', time: '18:00' });
    expect(openStateAt(lunchAndDinner, PARIS, utc('2026-12-31T12:00:00Z')).open).toBe(false); // Thursday lunch, but not on the 31st
    const eve = openStateAt(lunchAndDinner, PARIS, utc('2026-12-31T20:00:00Z'));
    expect(eve.open).toBe(true);
    expect(eve.closesAt?.toISOString()).toBe('2026-12-31T23:00:00.000Z');
  });

  it('null hours are open around the clock, with no closing in view', () => {
    expect(openStateAt(null, PARIS, new Date())).toEqual({ open: true, closesAt: null, opensAt: null, opensAtLocal: null });
    const always: OpeningHours = { weekly: Object.fromEntries(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((d) => [d, [{ open: '00:00', close: '24:00' }]])) };
    expect(openStateAt(always, PARIS, utc('2026-03-29T01:30:00Z'))).toMatchObject({ open: true, closesAt: null });
  });

  it('reads the same schedule in another zone', () => {
    // Tuesday 16:00Z is 11:00 in New York (UTC-5 in December): just opened there, between meals in Paris.
    expect(openStateAt(lunchAndDinner, 'America/New_York', utc('2026-12-01T16:00:00Z')).open).toBe(true);
    expect(openStateAt(lunchAndDinner, PARIS, utc('2026-12-01T16:00:00Z')).open).toBe(false);
  });
});

describe('daylight saving', () => {
  it('spring forward: 11:00 on the change day is 09:00Z (UTC+2), the day before 10:00Z', () => {
    expect(zonedInstant('2026-03-28', 11 * 60, PARIS).toISOString()).toBe('2026-03-28T10:00:00.000Z');
    expect(zonedInstant('2026-03-29', 11 * 60, PARIS).toISOString()).toBe('2026-03-29T09:00:00.000Z');
    // Sunday 29 March 2026 opens 11:00 local: closed at 09:30Z (10:30 local CEST), open at 09:00Z.
    expect(openStateAt(lunchAndDinner, PARIS, utc('2026-03-29T08:30:00Z')).opensAt?.toISOString()).toBe('2026-03-29T09:00:00.000Z');
    expect(openStateAt(lunchAndDinner, PARIS, utc('2026-03-29T09:00:00Z')).open).toBe(true);
  });

  it('a time skipped by spring forward reads forward (02:30 → 03:30 CEST)', () => {
    expect(zonedInstant('2026-03-29', 2 * 60 + 30, PARIS).toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });

  it('fall back: a time that happens twice is its first occurrence', () => {
    expect(zonedInstant('2026-10-25', 2 * 60 + 30, PARIS).toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(zonedInstant('2026-10-25', 11 * 60, PARIS).toISOString()).toBe('2026-10-25T10:00:00.000Z');
  });

  it('an evening closing at a repeated time closes at its first occurrence', () => {
    // Saturday 24 October 2026, 18:00 CEST (16:00Z) to Sunday 02:00, which happens at 00:00Z (CEST) and 01:00Z (CET).
    const s = openStateAt(lunchAndDinner, PARIS, utc('2026-10-24T17:00:00Z'));
    expect(s.open).toBe(true);
    expect(s.closesAt?.toISOString()).toBe('2026-10-25T00:00:00.000Z');
    expect(openStateAt(lunchAndDinner, PARIS, utc('2026-10-25T00:30:00Z')).open).toBe(false);
  });

  it('New York changes on its own dates (8 March 2026)', () => {
    expect(zonedInstant('2026-03-07', 11 * 60, 'America/New_York').toISOString()).toBe('2026-03-07T16:00:00.000Z');
    expect(zonedInstant('2026-03-08', 11 * 60, 'America/New_York').toISOString()).toBe('2026-03-08T15:00:00.000Z');
    expect(localDateTime(utc('2026-03-08T15:00:00Z'), 'America/New_York')).toEqual({ date: '2026-03-08', weekday: 'sun', time: '11:00' });
  });
});

describe('validation', () => {
  it('accepts a good schedule and names what is wrong with a bad one', () => {
    expect(openingHoursProblem(lunchAndDinner)).toBeNull();
    expect(openingHoursProblem({ weekly: { tue: [{ open: '25:00', close: '26:00' }] } })).toMatch(/HH:MM/);
    expect(openingHoursProblem({ weekly: { tue: [{ open: '24:00', close: '01:00' }] } })).toMatch(/23:59/);
    expect(openingHoursProblem({ weekly: { funday: [] } as never })).toMatch(/unknown weekday/);
    expect(openingHoursProblem({ weekly: {}, exceptions: [{ date: '2026-13-45', intervals: [] }] })).toMatch(/YYYY-MM-DD/);
    expect(openingHoursProblem({ weekly: {}, exceptions: [{ date: '2026-12-25', intervals: [] }, { date: '2026-12-25', intervals: [] }] })).toMatch(/twice/);
  });

  it('knows IANA zones', () => {
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
