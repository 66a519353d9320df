/**
 * The schedule of a new order (ADR 0108): a `scheduledFor` window checked by
 * the scheduling clock (domain/scheduling.ts) against now and the merchant's
 * prep time, and the columns it sets (the release time is fixed here, from
 * the prep time at order time). A refused window is a 422 with field paths.
 */
import type { Order } from '../../../db/schema/index';
import { checkWindow, releaseTime } from '../../../domain/scheduling';
import { problems } from '../../problem';

type ScheduleColumns = Pick<Order, 'scheduledStart' | 'scheduledEnd' | 'releaseAt' | 'releasedAt'>;

const UNSCHEDULED: ScheduleColumns = { scheduledStart: null, scheduledEnd: null, releaseAt: null, releasedAt: null };

export function scheduleOf(window: { start: string; end: string } | undefined, merchant: { prepMinutes: number }, now: Date): ScheduleColumns {
  if (!window) return UNSCHEDULED;
  const start = new Date(window.start);
  const end = new Date(window.end);
  const refused = checkWindow({ start, end }, now, merchant.prepMinutes);
  if (refused.length > 0) throw problems.validation(refused.map((p) => ({ path: `json.scheduledFor.${p.field}`, message: p.message })));
  return { scheduledStart: start, scheduledEnd: end, releaseAt: releaseTime({ start }, merchant.prepMinutes), releasedAt: null };
}
