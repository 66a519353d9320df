/**
 * A shop's opening hours (ADR 0111): a weekly schedule in the shop's local
 * time, with dated exceptions (holidays, short days), read in an IANA time
 * zone through Intl, so daylight-saving changes fall where the zone puts them.
 * Pure; the Worker (quotes, order refusals), the web apps and the unit tests
 * share it.
 *
 * An interval is local wall time "HH:MM"–"HH:MM"; a close at or before the
 * open runs past midnight into the next day ("18:00"–"02:00"), and "24:00"
 * closes at the end of the day. An exception replaces the weekly intervals
 * of its date; an exception with no intervals closes the whole day.
 */

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface Interval {
  open: string;
  close: string;
}

export interface OpeningHours {
  weekly: Partial<Record<Weekday, Interval[]>>;
  exceptions?: { date: string; intervals: Interval[]; note?: string | undefined }[] | undefined;
}

export interface OpenState {
  open: boolean;
  /** While open: when the current opening ends (null when it does not within the next two weeks). */
  closesAt: Date | null;
  /** While closed: the next opening (null when none within the next two weeks). */
  opensAt: Date | null;
  /** `opensAt` in the shop's time zone: its local date (YYYY-MM-DD) and time (HH:MM). */
  opensAtLocal: { date: string; time: string } | null;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;
export const isClockTime = (s: string): boolean => HHMM.test(s);
const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether Intl knows the zone (workerd and Node both carry the IANA database). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall clock of `zone` at `at`: fields as numbers. */
function wallClock(at: Date, zone: string): { y: number; m: number; d: number; h: number; min: number; s: number } {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(at)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { y: parts.year!, m: parts.month!, d: parts.day!, h: parts.hour! % 24, min: parts.minute!, s: parts.second! };
}

/** The zone's offset from UTC at `at`, in milliseconds. */
function offsetMs(at: Date, zone: string): number {
  const w = wallClock(at, zone);
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.min, w.s) - (at.getTime() - at.getUTCMilliseconds());
}

/**
 * The instant a local wall time names. A time skipped by a spring-forward
 * gap is read with the offset before the change (02:30 becomes 03:30); a time
 * that happens twice in the autumn is its first occurrence.
 */
export function zonedInstant(date: string, minutes: number, zone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const asUtc = Date.UTC(y, m - 1, d, 0, minutes);
  // The offsets a day either side: equal on most days, the two sides of a change otherwise.
  const before = offsetMs(new Date(asUtc - 86_400_000), zone);
  const after = offsetMs(new Date(asUtc + 86_400_000), zone);
  // The larger offset gives the earlier instant: the first occurrence of a repeated time.
  for (const off of before >= after ? [before, after] : [after, before]) {
    const at = new Date(asUtc - off);
    if (offsetMs(at, zone) === off) return at;
  }
  return new Date(asUtc - before);
}

/** The local date (YYYY-MM-DD), weekday and time (HH:MM) of `at` in `zone`. */
export function localDateTime(at: Date, zone: string): { date: string; weekday: Weekday; time: string } {
  const w = wallClock(at, zone);
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${w.y}-${pad(w.m)}-${pad(w.d)}`;
  return { date, weekday: WEEKDAYS[new Date(Date.UTC(w.y, w.m - 1, w.d)).getUTCDay()]!, time: `${pad(w.h)}:${pad(w.min)}` };
}

function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

function intervalsOn(hours: OpeningHours, date: string): Interval[] {
  const exception = hours.exceptions?.find((e) => e.date === date);
  if (exception) return exception.intervals;
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return hours.weekly[WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()]!] ?? [];
}

const HORIZON_DAYS = 14;

/** The openings from the day before `at` to two weeks after, as instants, in time order and merged where they touch. */
function openings(hours: OpeningHours, zone: string, at: Date): { from: Date; to: Date; date: string; open: string }[] {
  const today = localDateTime(at, zone).date;
  const spans: { from: Date; to: Date; date: string; open: string }[] = [];
  for (let i = -1; i <= HORIZON_DAYS; i++) {
    const date = addDays(today, i);
    for (const iv of intervalsOn(hours, date)) {
      const open = minutesOf(iv.open);
      let close = minutesOf(iv.close);
      if (close <= open) close += 24 * 60;
      const to = close >= 24 * 60 ? zonedInstant(addDays(date, 1), close - 24 * 60, zone) : zonedInstant(date, close, zone);
      spans.push({ from: zonedInstant(date, open, zone), to, date, open: iv.open });
    }
  }
  spans.sort((a, b) => a.from.getTime() - b.from.getTime());
  const merged: typeof spans = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s.from.getTime() <= last.to.getTime()) last.to = new Date(Math.max(last.to.getTime(), s.to.getTime()));
    else merged.push({ ...s });
  }
  return merged;
}

/** Open or closed at `at`, and when that changes. Null hours: always open. */
export function openStateAt(hours: OpeningHours | null, zone: string, at: Date): OpenState {
  if (!hours) return { open: true, closesAt: null, opensAt: null, opensAtLocal: null };
  const spans = openings(hours, zone, at);
  const t = at.getTime();
  const current = spans.find((s) => s.from.getTime() <= t && t < s.to.getTime());
  if (current) {
    // An opening that runs to the end of what was looked at does not close in view (open around the clock).
    const endless = current.to.getTime() - t >= (HORIZON_DAYS - 1) * 86_400_000;
    return { open: true, closesAt: endless ? null : current.to, opensAt: null, opensAtLocal: null };
  }
  const next = spans.find((s) => s.from.getTime() > t);
  if (!next) return { open: false, closesAt: null, opensAt: null, opensAtLocal: null };
  const local = localDateTime(next.from, zone);
  return { open: false, closesAt: null, opensAt: next.from, opensAtLocal: { date: local.date, time: local.time } };
}

function intervalProblem(iv: Interval): string | null {
  if (!isClockTime(iv.open) || !isClockTime(iv.close)) return 'times are HH:MM, 00:00 to 24:00';
  if (iv.open === '24:00') return 'an opening starts at 23:59 at the latest';
  return null;
}

/** What is wrong with a schedule, in words, or null (used to validate what merchants send). */
export function openingHoursProblem(hours: OpeningHours): string | null {
  for (const [day, intervals] of Object.entries(hours.weekly)) {
    if (!(WEEKDAYS as readonly string[]).includes(day)) return `unknown weekday "${day}" (use ${WEEKDAYS.join(', ')})`;
    for (const iv of intervals ?? []) if (intervalProblem(iv)) return `${day}: ${intervalProblem(iv)}`;
  }
  const seen = new Set<string>();
  for (const e of hours.exceptions ?? []) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(e.date) || Number.isNaN(Date.parse(`${e.date}T00:00:00Z`))) return `exception date "${e.date}" is not YYYY-MM-DD`;
    if (seen.has(e.date)) return `exception ${e.date} is given twice`;
    seen.add(e.date);
    for (const iv of e.intervals) if (intervalProblem(iv)) return `${e.date}: ${intervalProblem(iv)}`;
  }
  return null;
}
