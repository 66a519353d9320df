/**
 * The scheduling clock of scheduled orders (issue 15, ADR 0108), as pure
 * functions of a window, a prep time and `now`: which windows may be
 * ordered, when an order is released to its merchant, and which held orders
 * a cron run releases. The API (workers/services/orders/create.ts), the
 * release sweep (workers/services/orders/scheduled.ts) and the web apps read
 * these; unit tests drive them with a simulated clock. Runtime-free.
 */

export interface DeliveryWindow {
  start: Date;
  end: Date;
}

export const SCHEDULE_RULES = {
  /** The window starts at least this long from now… */
  minLeadMinutes: 30,
  /** …and the release (start − prep) at least this long from now: otherwise order now. */
  minReleaseLeadMinutes: 15,
  /** At most this far ahead. */
  maxAheadDays: 7,
  minWindowMinutes: 15,
  maxWindowMinutes: 120,
} as const;

const MINUTE = 60_000;

export interface WindowProblem {
  field: 'start' | 'end';
  message: string;
}

/** When a held order goes to its merchant: the window's start minus the merchant's prep time. */
export const releaseTime = (window: Pick<DeliveryWindow, 'start'>, prepMinutes: number): Date => new Date(window.start.getTime() - Math.max(0, prepMinutes) * MINUTE);

/** Why a window cannot be ordered (empty: it can). */
export function checkWindow(window: DeliveryWindow, now: Date, prepMinutes: number, rules = SCHEDULE_RULES): WindowProblem[] {
  const problems: WindowProblem[] = [];
  const start = window.start.getTime();
  const end = window.end.getTime();
  if (!Number.isFinite(start) || !Number.isFinite(end)) return [{ field: Number.isFinite(start) ? 'end' : 'start', message: 'Not a date-time.' }];
  const earliest = Math.max(now.getTime() + rules.minLeadMinutes * MINUTE, now.getTime() + (Math.max(0, prepMinutes) + rules.minReleaseLeadMinutes) * MINUTE);
  if (start < earliest) {
    problems.push({ field: 'start', message: `A scheduled window starts at least ${Math.round((earliest - now.getTime()) / MINUTE)} minutes from now (the shop needs ${prepMinutes} minutes to prepare); order now instead.` });
  }
  if (start > now.getTime() + rules.maxAheadDays * 24 * 60 * MINUTE) problems.push({ field: 'start', message: `Orders are scheduled at most ${rules.maxAheadDays} days ahead.` });
  const length = (end - start) / MINUTE;
  if (length < rules.minWindowMinutes) problems.push({ field: 'end', message: `The window ends at least ${rules.minWindowMinutes} minutes after it starts.` });
  else if (length > rules.maxWindowMinutes) problems.push({ field: 'end', message: `The window is at most ${rules.maxWindowMinutes} minutes long.` });
  return problems;
}

/** What the release sweep knows of a held order. */
export interface HeldOrder {
  id: string;
  releaseAt: Date;
}

/**
 * The held orders a cron run at `now` releases: those whose release time has
 * come (a missed run's too: nothing is skipped, only late), earliest first,
 * at most `limit` so one run stays bounded; the rest wait for the next run.
 */
export function dueReleases<T extends HeldOrder>(held: readonly T[], now: Date, limit: number): T[] {
  return held
    .filter((o) => o.releaseAt.getTime() <= now.getTime())
    .sort((a, b) => a.releaseAt.getTime() - b.releaseAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, Math.max(0, limit));
}

/** An order is held while it has a release time that has not been acted on. */
export const isHeld = (order: { releaseAt: Date | string | null; releasedAt: Date | string | null }): boolean => order.releaseAt !== null && order.releasedAt === null;

/**
 * "Scheduled for Fri 4 Dec, 19:00–19:30", in a time zone (the city's on the
 * server, the browser's own when none is given), for every app and message.
 */
export function describeWindow(window: { start: Date | string; end: Date | string }, timeZone?: string): string {
  return `Scheduled for ${windowText(window, timeZone)}`;
}

/** "Fri 4 Dec, 19:00–19:30" (`fr-FR`: "ven. 4 déc., 19:00–19:30"), for messages that say the rest in their own language. */
export function windowText(window: { start: Date | string; end: Date | string }, timeZone?: string, locale = 'en-GB'): string {
  const start = new Date(window.start);
  const end = new Date(window.end);
  const tz = timeZone ? { timeZone } : {};
  const day = new Intl.DateTimeFormat(locale, { weekday: 'short', day: 'numeric', month: 'short', ...tz }).format(start);
  return `${day}, ${clockText(start, timeZone, locale)}–${clockText(end, timeZone, locale)}`;
}

/** "18:45" in a time zone. */
export const clockText = (at: Date | string, timeZone?: string, locale = 'en-GB'): string =>
  new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', ...(timeZone ? { timeZone } : {}) }).format(new Date(at));
