import { useId, useMemo, useState } from 'react';
import { SCHEDULE_RULES, windowText } from '../../../../domain/scheduling';

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

/** The 30-minute windows offered, grouped by day, in the browser's time zone, within the scheduling rules. */
export function deliverySlots(now: Date): { day: string; slots: ScheduledWindow[] }[] {
  const earliest = now.getTime() + LEAD_MINUTES * MIN;
  const latest = now.getTime() + SCHEDULE_RULES.maxAheadDays * 24 * 60 * MIN;
  const days: { day: string; slots: ScheduledWindow[] }[] = [];
  for (let d = 0; d <= SCHEDULE_RULES.maxAheadDays; d++) {
    const day = new Date(now);
    day.setDate(day.getDate() + d);
    const slots: ScheduledWindow[] = [];
    for (let minutes = FIRST_HOUR * 60; minutes <= LAST_START_HOUR * 60; minutes += SLOT_MINUTES) {
      const start = new Date(day.getFullYear(), day.getMonth(), day.getDate(), 0, minutes);
      if (start.getTime() < earliest || start.getTime() > latest) continue;
      slots.push({ start: start.toISOString(), end: new Date(start.getTime() + SLOT_MINUTES * MIN).toISOString() });
    }
    if (slots.length > 0) days.push({ day: day.toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long' }), slots });
  }
  return days;
}

/**
 * When to deliver: as soon as possible, or a 30-minute window later (up to
 * 7 days ahead). The order is paid now either way; a scheduled one goes to
 * the shop at the window's start minus its prep time.
 */
export function DeliveryTimeChooser({ value, onChange }: { value: ScheduledWindow | null; onChange: (w: ScheduledWindow | null) => void }) {
  const id = useId();
  const [now] = useState(() => new Date());
  const days = useMemo(() => deliverySlots(now), [now]);
  const first = days[0]?.slots[0] ?? null;
  return (
    <fieldset className="form-field" data-testid="delivery-time">
      <legend>Delivery time</legend>
      <label>
        <input type="radio" name={`${id}-when`} checked={value === null} onChange={() => onChange(null)} /> As soon as possible
      </label>
      <label>
        <input type="radio" name={`${id}-when`} checked={value !== null} disabled={!first} onChange={() => onChange(first)} /> Schedule for later
      </label>
      {value ? (
        <div className="form-field">
          <label htmlFor={`${id}-slot`}>Window</label>
          <select id={`${id}-slot`} value={value.start} onChange={(e) => onChange(days.flatMap((d) => d.slots).find((s) => s.start === e.target.value) ?? null)}>
            {days.map((d) => (
              <optgroup key={d.day} label={d.day}>
                {d.slots.map((s) => (
                  <option key={s.start} value={s.start}>
                    {windowText(s)}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
          <p className="hint muted">You pay now; you can cancel free of charge until the shop starts preparing.</p>
        </div>
      ) : null}
    </fieldset>
  );
}
