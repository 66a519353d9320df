/**
 * Orders per minute and median assignment time, measured from successive
 * city snapshots (the snapshot is a picture of now, not a history): an order
 * counts when it is first seen (waiting, offered or carried), and its
 * assignment time runs from when it started waiting (`since`, server time) to
 * the first snapshot that shows a driver carrying it. Pure, for unit tests.
 */
import type { CityLive } from './types';

export interface RateTracker {
  startedAt: number;
  observations: number;
  firstSeen: Map<string, number>;
  waitingSince: Map<string, number>;
  assigned: Map<string, number>;
  /** Assignment durations in seconds, most recent last. */
  samples: number[];
}

export function newTracker(now: number): RateTracker {
  return { startedAt: now, observations: 0, firstSeen: new Map(), waitingSince: new Map(), assigned: new Map(), samples: [] };
}

const WINDOW_MS = 10 * 60_000;
const MAX_SAMPLES = 200;

export function observe(t: RateTracker, snap: CityLive, now: number): void {
  // What the first snapshot shows was already there: not an arrival.
  const arrival = t.observations++ === 0 ? t.startedAt : now;
  const seen = (id: string) => {
    if (!t.firstSeen.has(id)) t.firstSeen.set(id, arrival);
  };
  for (const u of snap.unassignedOrders) {
    seen(u.orderId);
    const since = Date.parse(u.since);
    if (!t.waitingSince.has(u.orderId) && Number.isFinite(since)) t.waitingSince.set(u.orderId, since);
  }
  for (const o of snap.openOffers) {
    seen(o.orderId);
    if (!t.waitingSince.has(o.orderId)) t.waitingSince.set(o.orderId, now);
  }
  for (const d of snap.drivers) {
    if (!d.orderId) continue;
    seen(d.orderId);
    if (t.assigned.has(d.orderId)) continue;
    t.assigned.set(d.orderId, now);
    const since = t.waitingSince.get(d.orderId);
    // Only orders watched while they waited give a duration.
    if (since !== undefined) {
      t.samples.push(Math.max(0, (now - since) / 1000));
      if (t.samples.length > MAX_SAMPLES) t.samples.shift();
    }
  }
  // Forget old orders so the maps stay small on a page left open all day.
  for (const [id, at] of t.firstSeen) {
    if (now - at > 2 * WINDOW_MS) {
      t.firstSeen.delete(id);
      t.waitingSince.delete(id);
      t.assigned.delete(id);
    }
  }
}

export function ordersPerMinute(t: RateTracker, now: number): number | null {
  const span = Math.min(WINDOW_MS, now - t.startedAt);
  if (span < 30_000) return null;
  let n = 0;
  for (const at of t.firstSeen.values()) if (at > t.startedAt && now - at <= span) n++;
  return (n / span) * 60_000;
}

export function medianAssignmentSeconds(t: RateTracker): number | null {
  if (t.samples.length === 0) return null;
  const s = [...t.samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
