/** The checkout's delivery windows (pure, so the unit tests run it without a browser). */
import { SCHEDULE_RULES } from '../../../../domain/scheduling';

export interface ScheduledWindow {
  start: string;
  end: string;
}

const MIN = 60_000;
const SLOT_MINUTES = 30;
/** Slots start this long from now at the soonest: the server's rule is 30 min and the shop's prep time + 15 (ADR 0108). */
const LEAD_MINUTES = 60;
const FIRST_HOUR = 8;
const LAST_START_HOUR = 22;

/**
 * The 30-minute windows offered, grouped by day, in the browser's time zone,
 * within the scheduling rules and, given `openAt`, only those starting while
 * the shop is open (the API refuses the others: 422 outside-opening-hours).
 */
export function deliverySlots(now: Date, openAt: (start: Date) => boolean = () => true): { day: string; slots: ScheduledWindow[] }[] {
  const earliest = now.getTime() + LEAD_MINUTES * MIN;
  const latest = now.getTime() + SCHEDULE_RULES.maxAheadDays * 24 * 60 * MIN;
  const days: { day: string; slots: ScheduledWindow[] }[] = [];
  for (let d = 0; d <= SCHEDULE_RULES.maxAheadDays; d++) {
    const day = new Date(now);
    day.setDate(day.getDate() + d);
    const slots: ScheduledWindow[] = [];
    for (let minutes = FIRST_HOUR * 60; minutes <= LAST_START_HOUR * 60; minutes += SLOT_MINUTES) {
      const start = new Date(day.getFullYear(), day.getMonth(), day.getDate(), 0, minutes);
      if (start.getTime() < earliest || start.getTime() > latest || !openAt(start)) continue;
      slots.push({ start: start.toISOString(), end: new Date(start.getTime() + SLOT_MINUTES * MIN).toISOString() });
    }
    if (slots.length > 0) days.push({ day: day.toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long' }), slots });
  }
  return days;
}
