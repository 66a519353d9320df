/**
 * The checkout's delivery windows (web/src/apps/customer/delivery-slots.ts):
 * within the scheduling rules, and only windows starting while the shop is
 * open by its hours — the API refuses the others (422 outside-opening-hours,
 * ADR 0111), so offering them only sets the customer up for a refusal.
 */
import { describe, expect, it } from 'vitest';
import { openStateAt, type OpeningHours } from '../../domain/opening-hours';
import { deliverySlots } from '../../web/src/apps/customer/delivery-slots';

const MORNINGS = [{ open: '07:00', close: '13:30' }];
const HOURS: OpeningHours = { weekly: { mon: MORNINGS, tue: MORNINGS, wed: MORNINGS, thu: MORNINGS, fri: MORNINGS, sat: MORNINGS } };
const ZONE = 'Europe/Paris';
const NOW = new Date('2026-12-04T16:44:00Z'); // a Friday, 17:44 in Paris: closed until Saturday 07:00

describe('delivery windows at checkout', () => {
  it('offers only windows that start while the shop is open', () => {
    const open = (at: Date) => openStateAt(HOURS, ZONE, at).open;
    const all = deliverySlots(NOW).flatMap((d) => d.slots);
    const offered = deliverySlots(NOW, open).flatMap((d) => d.slots);
    expect(offered.length).toBeGreaterThan(0);
    expect(offered.length).toBeLessThan(all.length);
    for (const s of offered) expect(open(new Date(s.start)), s.start).toBe(true);
    // Every open window of the unfiltered list is still there.
    expect(offered).toEqual(all.filter((s) => open(new Date(s.start))));
    // The first is Saturday morning, not this evening.
    expect(new Date(offered[0]!.start).getTime()).toBeGreaterThanOrEqual(new Date('2026-12-05T06:00:00Z').getTime());
  });

  it('offers every window within the rules for a shop without hours', () => {
    const slots = deliverySlots(NOW, (at) => openStateAt(null, ZONE, at).open).flatMap((d) => d.slots);
    expect(slots).toEqual(deliverySlots(NOW).flatMap((d) => d.slots));
    expect(new Date(slots[0]!.start).getTime()).toBeGreaterThanOrEqual(NOW.getTime() + 60 * 60_000);
  });
});
