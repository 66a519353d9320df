/**
 * The batching (stacking) rule (ADR 0105). Pure: given a driver on one order
 * (the carrier), that order and a new one, and a clock value, it says whether
 * the driver may be offered the new order too, in which order to visit the
 * four (or three) stops, and why or why not, as a reason code the decision
 * log records. No runtime imports; unit tested on a simulated clock.
 */
import { distanceM, type LatLng } from './geo';
import { VEHICLE_SPEED_MPS, type Vehicle } from './matching';

/** Per-city settings (the `cities` row, migration 0011), with the shard's fixed parts. */
export interface BatchRules {
  enabled: boolean;
  /** Extra driving time the second order may add to the first's route. */
  maxAddedDetourSeconds: number;
  /** Extra road metres (straight line × detour factor) the second order may add. */
  maxAddedDetourM: number;
  /** The two pickups are the same or nearby: at most this far apart (straight line). */
  maxPickupGapM: number;
  /** The two trips head the same way: pickup → dropoff bearings at most this far apart. */
  maxHeadingDiffDeg: number;
  /** Time spent at each stop (parking, handing over). */
  stopSeconds: number;
  /** Road distance ≈ straight line × this. */
  detourFactor: number;
}

export const DEFAULT_BATCH_RULES: BatchRules = {
  enabled: true,
  maxAddedDetourSeconds: 420,
  maxAddedDetourM: 2_500,
  maxPickupGapM: 800,
  maxHeadingDiffDeg: 60,
  stopSeconds: 60,
  detourFactor: 1.3,
};

/** One order as the rule sees it. */
export interface BatchOrder {
  orderId: string;
  pickup: LatLng;
  dropoff: LatLng;
  /** Delivered by then (ms), or the order missed its promise. Null: no promise known, only the detour bounds apply. */
  promisedBy: number | null;
  /** The carrier's order: already picked up (only its dropoff is left). */
  pickedUp?: boolean;
}

export interface Stop {
  orderId: string;
  kind: 'pickup' | 'dropoff';
  at: LatLng;
  /** Expected arrival (ms). */
  eta: number;
}

export type BatchReason =
  | 'batched'
  | 'batching_off'
  | 'pickup_too_far'
  | 'heading_differs'
  | 'detour_too_long_m'
  | 'detour_too_long_s'
  | 'first_promise_missed'
  | 'second_promise_missed';

export interface BatchDecision {
  ok: boolean;
  reason: BatchReason;
  /** Human-readable detail for the decision log. */
  detail: string;
  /** The chosen sequence when ok (else the best one tried, if any got that far). */
  stops: Stop[];
  addedM: number;
  addedSeconds: number;
}

/** Initial bearing from a to b, degrees clockwise from north. */
export function bearingDeg(a: LatLng, b: LatLng): number {
  const rad = Math.PI / 180;
  const y = Math.sin((b.lng - a.lng) * rad) * Math.cos(b.lat * rad);
  const x = Math.cos(a.lat * rad) * Math.sin(b.lat * rad) - Math.sin(a.lat * rad) * Math.cos(b.lat * rad) * Math.cos((b.lng - a.lng) * rad);
  return ((Math.atan2(y, x) / rad) % 360 + 360) % 360;
}

/** The smaller angle between two bearings, 0–180. */
export const headingDiffDeg = (a: number, b: number): number => {
  const d = Math.abs(a - b) % 360;
  return d > 180 ? 360 - d : d;
};

type Leg = { orderId: string; kind: 'pickup' | 'dropoff'; at: LatLng };

/** Walks a route from `from` at `now`: road metres and the arrival at each stop. */
function walk(from: LatLng, legs: readonly Leg[], now: number, vehicle: Vehicle, rules: BatchRules): { m: number; stops: Stop[] } {
  let m = 0;
  let t = now;
  let here = from;
  const stops: Stop[] = [];
  for (const leg of legs) {
    const d = distanceM(here, leg.at) * rules.detourFactor;
    m += d;
    t += (d / VEHICLE_SPEED_MPS[vehicle]) * 1000;
    stops.push({ ...leg, eta: Math.round(t) });
    t += rules.stopSeconds * 1000;
    here = leg.at;
  }
  return { m, stops };
}

const legsOf = (o: BatchOrder): Leg[] => [
  ...(o.pickedUp ? [] : [{ orderId: o.orderId, kind: 'pickup' as const, at: o.pickup }]),
  { orderId: o.orderId, kind: 'dropoff', at: o.dropoff },
];

/** Every order of stops that picks each order up before dropping it off, the carrier's pickup (if still due) first or second. */
function sequences(first: BatchOrder, second: BatchOrder): Leg[][] {
  const [f, s] = [legsOf(first), legsOf(second)];
  const fp = f.length === 2 ? [f[0]!] : [];
  const fd = f[f.length - 1]!;
  const [sp, sd] = [s[0]!, s[1]!];
  const out: Leg[][] = [
    [...fp, sp, fd, sd],
    [...fp, sp, sd, fd],
  ];
  if (fp.length) out.push([sp, ...fp, fd, sd], [sp, ...fp, sd, fd]);
  return out;
}

const dropoffEta = (stops: readonly Stop[], orderId: string) => stops.find((s) => s.orderId === orderId && s.kind === 'dropoff')!.eta;
const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;

/**
 * Whether `second` may be stacked on a driver at `from` carrying `first`.
 * Checks in the order a dispatcher would: the switch, the pickups' gap, the
 * heading, then every feasible sequence for the detour bounds and both
 * promises; the shortest sequence that passes wins.
 */
export function evaluateBatch(from: LatLng, vehicle: Vehicle, first: BatchOrder, second: BatchOrder, now: number, rules: BatchRules): BatchDecision {
  const no = (reason: BatchReason, detail: string, rest: Partial<BatchDecision> = {}): BatchDecision => ({ ok: false, reason, detail, stops: [], addedM: 0, addedSeconds: 0, ...rest });
  if (!rules.enabled) return no('batching_off', 'batching is off in this city');
  const gap = Math.round(distanceM(first.pickup, second.pickup));
  if (gap > rules.maxPickupGapM) return no('pickup_too_far', `pickups ${gap} m apart (at most ${rules.maxPickupGapM} m)`);
  const diff = Math.round(headingDiffDeg(bearingDeg(first.pickup, first.dropoff), bearingDeg(second.pickup, second.dropoff)));
  if (diff > rules.maxHeadingDiffDeg) return no('heading_differs', `trips head ${diff}° apart (at most ${rules.maxHeadingDiffDeg}°)`);
  const alone = walk(from, legsOf(first), now, vehicle, rules);
  const aloneEnd = alone.stops[alone.stops.length - 1]!.eta;
  const tried = sequences(first, second)
    .map((legs) => walk(from, legs, now, vehicle, rules))
    .map((r) => ({ ...r, addedM: Math.round(r.m - alone.m), addedSeconds: Math.round((dropoffEta(r.stops, first.orderId) - aloneEnd) / 1000) }))
    .sort((a, b) => a.m - b.m);
  let best: BatchDecision | null = null;
  for (const r of tried) {
    const extra = { stops: r.stops, addedM: r.addedM, addedSeconds: r.addedSeconds };
    // The first order's lateness is what the stack costs it; the added metres are the whole route's.
    const decision =
      r.addedM > rules.maxAddedDetourM
        ? no('detour_too_long_m', `adds ${r.addedM} m (at most ${rules.maxAddedDetourM} m)`, extra)
        : r.addedSeconds > rules.maxAddedDetourSeconds
          ? no('detour_too_long_s', `delays the first dropoff by ${minutes(r.addedSeconds * 1000)} (at most ${minutes(rules.maxAddedDetourSeconds * 1000)})`, extra)
          : first.promisedBy !== null && dropoffEta(r.stops, first.orderId) > first.promisedBy
            ? no('first_promise_missed', `first order would arrive ${minutes(dropoffEta(r.stops, first.orderId) - first.promisedBy)} after its promise`, extra)
            : second.promisedBy !== null && dropoffEta(r.stops, second.orderId) > second.promisedBy
              ? no('second_promise_missed', `second order would arrive ${minutes(dropoffEta(r.stops, second.orderId) - second.promisedBy)} after its promise`, extra)
              : { ok: true, reason: 'batched' as const, detail: `pickups ${gap} m apart, headings ${diff}° apart, adds ${r.addedM} m and ${minutes(r.addedSeconds * 1000)} to the first order`, ...extra };
    if (decision.ok) return decision;
    best ??= decision;
  }
  return best!;
}
