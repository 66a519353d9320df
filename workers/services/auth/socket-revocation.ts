/**
 * Closing the live sockets of ended sessions (ADR 0082): the merchant feeds of
 * the businesses the user acted for, and the driver channel in every shard of
 * the driver's city (a driver holds one, in the shard of its position).
 */
import type { Database } from '../../../db/client';
import { loadDriverProfile } from '../city-shard-client';
import { merchantFeedStub } from '../merchant-feed';
import { shardStub, shardsOfCity } from '../../../domain/shard-keys';
import type { LiveSocketCloser } from './revocation';

export function liveSocketCloser(env: Pick<Env, 'MERCHANT_FEED' | 'CITY_SHARD'>, db: Database): LiveSocketCloser {
  return {
    async close(holder, sessions, reason) {
      const calls: Promise<unknown>[] = (holder.merchantIds ?? []).map((merchantId) =>
        merchantFeedStub(env, merchantId).endSessions(holder.userId, sessions === 'all' ? 'all' : [...sessions], reason),
      );
      if (holder.driverId) {
        const profile = await loadDriverProfile(db, holder.driverId);
        for (const shard of profile ? shardsOfCity(profile.city) : []) {
          calls.push(shardStub(env, shard).endDriverSessions(holder.driverId, holder.userId, sessions === 'all' ? 'all' : [...sessions], reason));
        }
      }
      await Promise.all(calls);
    },
  };
}
