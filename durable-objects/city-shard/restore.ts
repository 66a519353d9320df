/**
 * Memory rebuilt from SQLite after an eviction or a restart: the drivers and
 * the spatial index, the live jobs and their offers. The index's origin is
 * the shard's cell centre, read from its key (domain/shard-keys.ts).
 */
import { parseShardKey } from '../../domain/shard-keys';
import type { LatLng } from './geo';
import { DEFAULT_POLICY, isVehicle } from './matching';
import { isMatchable, type DriverLive, type ShardState } from './model';
import { createState, ENDED_JOB_MEMORY_MS } from './state';
import type { ShardRepository } from './storage';

export function restoreState(repo: ShardRepository, key: string, connected: ReadonlySet<string>, now: number): { state: ShardState; originKnown: boolean } {
  const savedOrigin = repo.getMeta('origin');
  const rows = repo.loadDriverStates();
  const origin = parseShardKey(key)?.center ?? (savedOrigin ? (JSON.parse(savedOrigin) as LatLng) : (rows.find((r) => r.position)?.position ?? null));
  const state = createState(key, origin ?? { lat: 0, lng: 0 }, DEFAULT_POLICY);
  for (const r of rows) {
    const d: DriverLive = {
      driverId: r.driverId,
      vehicle: isVehicle(r.vehicle) ? r.vehicle : 'car',
      available: r.available,
      connected: connected.has(r.driverId),
      lastSeenAt: r.lastSeenAt,
      idleSince: r.idleSince,
      orderId: r.orderId,
      orderShard: r.orderShard ?? null,
      offerId: r.offerId,
      position: r.position,
      flaggedPoints: r.flaggedPoints,
      suspect: null,
      notice: r.notice ?? null,
    };
    state.drivers.set(d.driverId, d);
    if (d.position) state.index.upsert(d.driverId, d.position.lat, d.position.lng, isMatchable(d), d.lastSeenAt);
  }
  const jobs = repo.loadJobs(now - ENDED_JOB_MEMORY_MS);
  for (const job of jobs) state.jobs.set(job.orderId, job);
  for (const offer of repo.offersOf(jobs.map((j) => j.orderId))) state.offers.set(offer.offerId, offer);
  for (const h of repo.loadHostedOffers(now - ENDED_JOB_MEMORY_MS)) state.hosted.set(h.offerId, h);
  return { state, originKnown: origin !== null };
}

/** The same state with its index rebuilt around another origin. */
export function withOrigin(old: ShardState, origin: LatLng): ShardState {
  const state = createState(old.shardKey, origin, old.policy);
  state.drivers = old.drivers;
  state.jobs = old.jobs;
  state.offers = old.offers;
  state.hosted = old.hosted;
  for (const d of old.drivers.values()) if (d.position) state.index.upsert(d.driverId, d.position.lat, d.position.lng, isMatchable(d), d.lastSeenAt);
  return state;
}
