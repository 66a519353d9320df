/**
 * Ranking and offer policy. Pure: given the index, the drivers and a clock
 * value, it says whom to offer an order to and records why, so the decision
 * log can explain every choice. See docs/decisions/0032-matching-score.md.
 */
import { distanceM, type LatLng } from './geo';
import type { DriverIndex } from './spatial';

export type Vehicle = 'bike' | 'scooter' | 'car';

export interface DispatchPolicy {
  /** How long a driver has to answer an offer. */
  offerTtlMs: number;
  /** Search radii, tried in order when nobody is free in the previous one. */
  radiiM: readonly number[];
  /** Candidates ranked (and recorded) per search. */
  candidatesPerSearch: number;
  /** A driver not heard from for this long is not offered work. */
  silentAfterMs: number;
  /** Seconds of score credit per idle second (fairness), and its cap. */
  idleCreditPerSecond: number;
  maxIdleCreditSeconds: number;
  /** Road distance ≈ straight line × detour. */
  detourFactor: number;
  /** A driver who declined / let an offer expire is not asked again for this order for so long. */
  declineCooldownMs: number;
  expiryCooldownMs: number;
  /** Unassigned orders are searched again this often (and whenever a driver frees up). */
  retryUnassignedMs: number;
  /**
   * An assigned driver not heard from (no fix, message or step) for this long
   * is pinged; for `silenceReleaseMs` (and at least the difference after the
   * ping), released and the order offered again, or after pickup, operators
   * alerted (silence.ts, ADR 0079).
   */
  silencePingMs: number;
  silenceReleaseMs: number;
}

export const DEFAULT_POLICY: DispatchPolicy = {
  offerTtlMs: 20_000,
  radiiM: [3_000, 6_000, 10_000],
  candidatesPerSearch: 10,
  silentAfterMs: 45_000,
  idleCreditPerSecond: 0.1,
  maxIdleCreditSeconds: 60,
  detourFactor: 1.3,
  declineCooldownMs: 10 * 60_000,
  expiryCooldownMs: 2 * 60_000,
  retryUnassignedMs: 30_000,
  silencePingMs: 2 * 60_000,
  silenceReleaseMs: 4 * 60_000,
};

/** Typical urban speeds, metres per second. */
export const VEHICLE_SPEED_MPS: Record<Vehicle, number> = { bike: 4.2, scooter: 6.9, car: 8.3 };

export const isVehicle = (v: unknown): v is Vehicle => v === 'bike' || v === 'scooter' || v === 'car';

export interface CandidateDriver {
  driverId: string;
  vehicle: Vehicle;
  position: LatLng;
  /** When the driver last became free (ms), for fairness. */
  idleSince: number;
  /** The neighbouring shard holding the driver (cross-shard matching, ADR 0060); absent for this shard's own. */
  shardKey?: string;
}

export interface RankedCandidate {
  driverId: string;
  vehicle: Vehicle;
  distanceM: number;
  etaSeconds: number;
  idleSeconds: number;
  score: number;
  /** Null for the winner; otherwise why it was not chosen. */
  rejectedBecause: string | null;
  /** The neighbouring shard holding the driver; absent for the deciding shard's own drivers. */
  shardKey?: string;
}

export interface Search {
  radiusM: number;
  candidates: RankedCandidate[];
  winner: RankedCandidate | null;
  reason: string;
}

export function etaSeconds(distance: number, vehicle: Vehicle, policy: DispatchPolicy = DEFAULT_POLICY): number {
  return Math.round((distance * policy.detourFactor) / VEHICLE_SPEED_MPS[vehicle]);
}

const minutes = (s: number) => (s < 90 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`);

/** Scores one driver: ETA to pickup minus a capped credit for time spent idle. Lower is better. */
export function scoreCandidate(driver: CandidateDriver, pickup: LatLng, now: number, policy: DispatchPolicy): RankedCandidate {
  const d = Math.round(distanceM(driver.position, pickup));
  const eta = etaSeconds(d, driver.vehicle, policy);
  const idle = Math.max(0, Math.round((now - driver.idleSince) / 1000));
  const credit = Math.min(idle * policy.idleCreditPerSecond, policy.maxIdleCreditSeconds);
  const ranked: RankedCandidate = { driverId: driver.driverId, vehicle: driver.vehicle, distanceM: d, etaSeconds: eta, idleSeconds: idle, score: Math.round((eta - credit) * 10) / 10, rejectedBecause: null };
  if (driver.shardKey) ranked.shardKey = driver.shardKey;
  return ranked;
}

/**
 * Ranks the drivers found around a pickup. Excluded drivers (who already
 * declined or let this order's offer expire) stay in the record with the reason.
 */
export function rank(drivers: CandidateDriver[], excluded: ReadonlyMap<string, string>, pickup: LatLng, radiusM: number, now: number, policy: DispatchPolicy): Search {
  const scored = drivers.map((d) => scoreCandidate(d, pickup, now, policy));
  scored.sort((a, b) => a.score - b.score || a.distanceM - b.distanceM || (a.driverId < b.driverId ? -1 : 1));
  const winner = scored.find((c) => !excluded.has(c.driverId)) ?? null;
  for (const c of scored) {
    if (c === winner) continue;
    const why = excluded.get(c.driverId);
    c.rejectedBecause = why ?? (winner ? `score ${c.score} is worse than ${winner.score} (ETA ${minutes(c.etaSeconds)}, idle ${minutes(c.idleSeconds)})` : 'not chosen');
  }
  if (!winner) {
    const reason = scored.length === 0 ? `no available driver within ${radiusM} m` : `all ${scored.length} drivers within ${radiusM} m were excluded`;
    return { radiusM, candidates: scored, winner: null, reason };
  }
  const credit = Math.round(Math.min(winner.idleSeconds * policy.idleCreditPerSecond, policy.maxIdleCreditSeconds));
  const runnerUp = scored.find((c) => c !== winner && !excluded.has(c.driverId));
  const reason =
    `lowest score ${winner.score}: ETA ${minutes(winner.etaSeconds)} for ${winner.distanceM} m by ${winner.vehicle}` +
    (winner.shardKey ? ` (a driver of neighbouring shard ${winner.shardKey})` : '') +
    (credit > 0 ? `, minus ${credit} s for ${minutes(winner.idleSeconds)} idle` : '') +
    (runnerUp ? `; next best ${runnerUp.driverId} scored ${runnerUp.score}` : '; the only free driver in range');
  return { radiusM, candidates: scored, winner, reason };
}

export interface DriverLookup {
  candidate(driverId: string): CandidateDriver | null;
}

/**
 * Searches the radii in turn and ranks the free drivers of the first radius
 * that has one; returns the searches made (each goes to the decision log).
 * `remote` are free drivers of neighbouring shards near the pickup (ADR
 * 0060): each radius ranks them together with this shard's, by the same score.
 */
export function searchDrivers(
  index: DriverIndex,
  lookup: DriverLookup,
  pickup: LatLng,
  excluded: ReadonlyMap<string, string>,
  now: number,
  policy: DispatchPolicy,
  remote: readonly CandidateDriver[] = [],
): Search[] {
  const searches: Search[] = [];
  for (const radiusM of policy.radiiM) {
    const k = policy.candidatesPerSearch + excluded.size;
    const found = index.nearest(pickup.lat, pickup.lng, { k, radiusM, minSeenAt: now - policy.silentAfterMs });
    const drivers: CandidateDriver[] = [];
    for (const n of found) {
      const c = lookup.candidate(n.driverId);
      if (c) drivers.push(c);
    }
    for (const c of remote) {
      // A driver known here too (it changed shards) is taken as this shard's.
      if (distanceM(c.position, pickup) <= radiusM && !drivers.some((d) => d.driverId === c.driverId)) drivers.push(c);
    }
    const search = rank(drivers, excluded, pickup, radiusM, now, policy);
    search.candidates = search.candidates.slice(0, policy.candidatesPerSearch + excluded.size);
    searches.push(search);
    if (search.winner) break;
  }
  return searches;
}
