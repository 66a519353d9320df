/**
 * A driver's progress on an order, as the order's shard tells it: a
 * breadcrumb, position and ETA to the order's watchers (coalesced), and the
 * arriving-soon fact once (docs/decisions/0065). The same for this shard's
 * own driver and for a driver of a neighbouring shard whose positions that
 * shard relays (docs/decisions/0060). The ETA is recomputed on every fix and
 * counted down between fixes by whoever shows it (docs/decisions/0076). Pure.
 */
import { distanceM, type LatLng } from './geo';
import { etaSeconds, type DispatchPolicy, type Vehicle } from './matching';
import { iso, type Effect, type Job, type ShardState } from './model';
import type { ServerToWatcher } from '../../domain/protocol/city-shard';

/** An order in delivery is "arriving soon" (one notification) once its ETA or distance to the dropoff first drops under these. */
export const ARRIVING_SOON_SECONDS = 180;
export const ARRIVING_SOON_M = 500;

export interface TripEta {
  /** To the dropoff: via the pickup until the order is picked up. */
  seconds: number;
  /** To the pickup, while the driver is on the way there (dispatch `assigned`); null after pickup. */
  pickupSeconds: number | null;
  /** Metres left to the dropoff along the same legs (before the detour factor). */
  toDropoffM: number;
}

/** Whether a job's driver is on the road for it: assigned (to the pickup) or picked up (to the dropoff). */
export const onTheRoad = (job: Job): boolean => job.endedAt === null && (job.dispatch === 'assigned' || job.dispatch === 'picked_up');

/** The ETA of a trip from one position of its driver, as of that position's fix. */
export function tripEta(job: Job, p: LatLng, vehicle: Vehicle, policy: DispatchPolicy): TripEta {
  if (job.dispatch === 'picked_up') {
    const toDropoffM = distanceM(p, job.dropoff);
    return { seconds: etaSeconds(toDropoffM, vehicle, policy), pickupSeconds: null, toDropoffM };
  }
  const toPickupM = distanceM(p, job.pickup);
  const toDropoffM = toPickupM + distanceM(job.pickup, job.dropoff);
  return { seconds: etaSeconds(toDropoffM, vehicle, policy), pickupSeconds: etaSeconds(toPickupM, vehicle, policy), toDropoffM };
}

/**
 * The ETA counted down to `now` from the time it held (`since`, ms): what a
 * watcher that got it then shows now, never below 0. A fix time in the
 * future (a phone's clock ahead, up to the accepted skew) counts as now.
 */
export function countedDown(eta: TripEta, since: number, now: number): TripEta {
  const elapsed = Math.max(0, now - Math.min(since, now)) / 1000;
  const left = (s: number) => Math.max(0, Math.round(s - elapsed));
  return { seconds: left(eta.seconds), pickupSeconds: eta.pickupSeconds === null ? null : left(eta.pickupSeconds), toDropoffM: eta.toDropoffM };
}

/** The `eta` frame: the seconds hold at `at` (ms); clients count down from there. */
export function etaMessage(orderId: string, eta: Pick<TripEta, 'seconds' | 'pickupSeconds'>, at: number): Extract<ServerToWatcher, { type: 'eta' }> {
  return { type: 'eta', orderId, seconds: eta.seconds, ...(eta.pickupSeconds !== null ? { pickupSeconds: eta.pickupSeconds } : {}), at: iso(at) };
}

export function tripProgress(state: ShardState, job: Job, driverId: string, vehicle: Vehicle, p: LatLng & { heading: number | null }, at: number, now: number, effects: Effect[]): void {
  if (!onTheRoad(job)) return;
  effects.push(
    { type: 'breadcrumb', orderId: job.orderId, driverId, at, lat: p.lat, lng: p.lng },
    { type: 'watchers', orderId: job.orderId, coalesce: true, message: { type: 'location', orderId: job.orderId, lat: p.lat, lng: p.lng, ...(p.heading !== null ? { heading: p.heading } : {}), at: iso(at) } },
  );
  const eta = tripEta(job, p, vehicle, state.policy);
  // As of the fix, or now for a fix stamped ahead of the shard's clock.
  effects.push({ type: 'watchers', orderId: job.orderId, coalesce: true, message: etaMessage(job.orderId, eta, Math.min(at, now)) });
  const toDropoff = eta.toDropoffM;
  if (job.orderStatus === 'in_delivery' && job.dispatch === 'picked_up' && !job.arrivingSoonAt && (eta.seconds <= ARRIVING_SOON_SECONDS || toDropoff <= ARRIVING_SOON_M)) {
    // The flag and the fact commit in the same transaction: an eviction or a reconnect never emits it twice.
    job.arrivingSoonAt = now;
    const event = { id: `${job.orderId}:order.arriving_soon`, type: 'order.arriving_soon', shardKey: state.shardKey, orderId: job.orderId, at: iso(now), driverId, etaSeconds: eta.seconds, distanceM: Math.round(toDropoff) } as const;
    effects.push({ type: 'saveJob', orderId: job.orderId }, { type: 'emit', event });
  }
}
