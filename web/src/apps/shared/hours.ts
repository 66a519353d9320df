/**
 * Words for a shop's hours (ADR 0111), shared by the customer's shop page and
 * the merchant console: "Opens at 07:00", "Opens Tuesday at 07:00".
 */
import type * as Api from '../../api/schema.gen';
export type MerchantHours = Api.MerchantHours;

/** The local time of an instant in the shop's zone, HH:MM. */
export const localTime = (iso: string, timezone: string): string =>
  new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));

/** "Opens at 07:00" today (in the shop's zone), else "Opens Tuesday at 07:00". */
export function opensText(opensAtLocal: { date: string; time: string } | null, timezone: string, now = new Date()): string {
  if (!opensAtLocal) return 'Closed for now';
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  if (opensAtLocal.date === today) return `Opens at ${opensAtLocal.time}`;
  const weekday = new Intl.DateTimeFormat('en-GB', { weekday: 'long', timeZone: 'UTC' }).format(new Date(`${opensAtLocal.date}T12:00:00Z`));
  return `Opens ${weekday} at ${opensAtLocal.time}`;
}
