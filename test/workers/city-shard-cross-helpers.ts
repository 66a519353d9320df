/**
 * Helpers for the cross-shard matching tests (ADR 0060): a city split into
 * small cells through the geometry's `cellKm` override, the shards on either
 * side of a border, and a hand on how a shard reaches its peers.
 */
import { substituteOrderCommands } from '../../durable-objects/city-shard/assignment-commits';
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { newId } from '../../db/ids';
import type { CityShard } from '../../durable-objects/city-shard/CityShard';
import type { TestCityShard } from '../support/test-city-shard';
import type { PeerShard } from '../../durable-objects/city-shard/link';
import type { HostRequest } from '../../durable-objects/city-shard/remote-calls';
import { dispatchOrder } from '../../workers/services/city-shard-client';
import { shardFor, type CityGeometry } from '../../domain/shard-keys';
import { acceptingOrders, CENTER, east, type Stub } from './city-shard-helpers';

/** 8 km cells: cell (0,0) spans 4 km either side of the centre, cell (0,1) the next 8 km east. */
export const CELL_KM = 8;
/** 200 m west of the border between cells (0,0) and (0,1). */
export const BORDER_PICKUP_M = 3_800;

export interface Shard {
  key: string;
  stub: Stub;
}

const shardAt = (city: CityGeometry, m: number): Shard => {
  const key = shardFor(city, east(m)).key;
  return { key, stub: env.CITY_SHARD.getByName(key) };
};

/** A fresh city split in 8 km cells; `home` owns the border pickup, `next` is its neighbour to the east. */
export function splitCity() {
  substituteOrderCommands(acceptingOrders);
  const city: CityGeometry = { id: newId('cty'), center: CENTER, serviceRadiusKm: 12, cellKm: CELL_KM };
  return { city, home: shardAt(city, 0), next: shardAt(city, 8_000), far: shardAt(city, 16_000) };
}

/** Dispatches as the orders domain does: the client computes the owner and its neighbours. */
export const dispatchAt = (city: CityGeometry, orderId: string, pickupM = BORDER_PICKUP_M) =>
  dispatchOrder(env, city, { id: orderId, pickup: east(pickupM), dropoff: east(pickupM - 2_000), payoutCents: 700 });

export interface PeerHooks {
  /** Runs (in the calling shard) before a placement reaches the driver's shard; may replace its answer. */
  beforeHost?: (shardKey: string, request: HostRequest) => Promise<{ placed: true } | void>;
  /** Counts every call a shard makes to another. */
  calls?: string[];
}

/** Wraps how a shard reaches its peers (until its next eviction). */
export const hookPeers = (stub: Stub, hooks: PeerHooks) =>
  runInDurableObject(stub, (instance: TestCityShard) => {
    instance.wrapPeer((real) => (key: string): PeerShard => {
      const p = real(key);
      const note = (what: string) => hooks.calls?.push(`${what}:${key}`);
      return {
        candidatesNear: (q) => (note('candidatesNear'), p.candidatesNear(q)),
        hostOffer: async (r) => {
          note('hostOffer');
          const replaced = await hooks.beforeHost?.(key, r);
          return replaced ?? p.hostOffer(r);
        },
        remoteOfferAnswer: (b) => (note('remoteOfferAnswer'), p.remoteOfferAnswer(b)),
        withdrawHostedOffer: (b) => (note('withdrawHostedOffer'), p.withdrawHostedOffer(b)),
        releaseRemoteOrder: (b) => (note('releaseRemoteOrder'), p.releaseRemoteOrder(b)),
        remoteTripPosition: (b) => (note('remoteTripPosition'), p.remoteTripPosition(b)),
      };
    });
  });

/** The offers table of a shard: its own orders' offers and the ones it hosts for others. */
export const offerRows = (stub: Stub) =>
  runInDurableObject(stub, (_i: CityShard, state) =>
    state.storage.sql
      .exec<{ offer_id: string; order_id: string; driver_id: string; status: string; driver_shard: string | null; owner_shard: string | null }>(
        'SELECT offer_id, order_id, driver_id, status, driver_shard, owner_shard FROM offers ORDER BY offered_at, round',
      )
      .toArray(),
  );

/** Calls to other shards still waiting to be answered. */
export const pendingCalls = (stub: Stub) =>
  runInDurableObject(stub, (_i: CityShard, state) => state.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM remote_calls').one().n);
