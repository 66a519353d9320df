/**
 * A driver's progress on an order, as the order's shard tells it: a
 * breadcrumb, position and ETA to the order's watchers (coalesced), and the
 * arriving-soon fact once (docs/decisions/0065). The same for this shard's
 * own driver and for a driver of a neighbouring shard whose positions that
 * shard relays (docs/decisions/0060). Pure.
 */
import { distanceM, type LatLng } from './geo';
import { etaSeconds, type Vehicle } from './matching';
import { iso, type Effect, type Job, type ShardState } from './model';

/** An order in delivery is "arriving soon" (one notification) once its ETA or distance to the dropoff first drops under these. */
export const ARRIVING_SOON_SECONDS = 180;
export const ARRIVING_SOON_M = 500;

export function tripProgress(state: ShardState, job: Job, driverId: string, vehicle: Vehicle, p: LatLng & { heading: number | null }, at: number, now: number, effects: Effect[]): void {
  if (job.endedAt !== null || (job.dispatch !== 'assigned' && job.dispatch !== 'picked_up')) return;
  effects.push(
    { type: 'breadcrumb', orderId: job.orderId, driverId, at, lat: p.lat, lng: p.lng },
    { type: 'watchers', orderId: job.orderId, coalesce: true, message: { type: 'location', orderId: job.orderId, lat: p.lat, lng: p.lng, ...(p.heading !== null ? { heading: p.heading } : {}), at: iso(at) } },
  );
  const toDropoff = job.dispatch === 'picked_up' ? distanceM(p, job.dropoff) : distanceM(p, job.pickup) + distanceM(job.pickup, job.dropoff);
  const eta = etaSeconds(toDropoff, vehicle, state.policy);
  effects.push({ type: 'watchers', orderId: job.orderId, coalesce: true, message: { type: 'eta', orderId: job.orderId, seconds: eta } });
  if (job.orderStatus === 'in_delivery' && job.dispatch === 'picked_up' && !job.arrivingSoonAt && (eta <= ARRIVING_SOON_SECONDS || toDropoff <= ARRIVING_SOON_M)) {
    // The flag and the fact commit in the same transaction: an eviction or a reconnect never emits it twice.
    job.arrivingSoonAt = now;
    const event = { id: `${job.orderId}:order.arriving_soon`, type: 'order.arriving_soon', shardKey: state.shardKey, orderId: job.orderId, at: iso(now), driverId, etaSeconds: eta, distanceM: Math.round(toDropoff) } as const;
    effects.push({ type: 'saveJob', orderId: job.orderId }, { type: 'emit', event });
  }
}
