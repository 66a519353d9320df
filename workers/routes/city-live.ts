/**
 * GET /v1/cities/{id}/live: the operators' snapshot of a city, merged from
 * every shard of the city. Who may call: ops and admin; other roles 403.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { requireAuth } from '../middleware/auth';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { LatLngSchema } from '../schemas/common';
import { cityShards, loadCityGeometry } from '../services/city-shard-client';
import { IdText } from '../schemas/text';
import { log } from '../../domain/log';

const CityLiveSchema = z
  .object({
    cityId: z.string(),
    at: z.string().openapi({ description: 'When the snapshot was taken (ISO 8601).' }),
    shards: z.array(z.string()).openapi({ description: 'The shard keys merged.' }),
    counts: z.object({ online: z.number().int(), available: z.number().int(), busy: z.number().int(), offline: z.number().int() }),
    drivers: z.array(
      z.object({
        driverId: z.string(),
        status: z.enum(['online', 'available', 'busy']),
        vehicle: z.enum(['bike', 'scooter', 'car']),
        location: z.object({ lat: z.number(), lng: z.number() }).nullable().openapi({ description: 'Null until the first fix.' }),
        heading: z.number().nullable(),
        updatedAt: z.string().nullable(),
        orderId: z.string().nullable(),
        offerId: z.string().nullable(),
        batchOrderId: z.string().optional().openapi({ description: 'A second order the driver carries, stacked on `orderId` (batching, ADR 0105); absent when none.' }),
        shard: z.string().openapi({ description: 'The key of the shard holding the driver: one of `shards` (a city split into cells has several; drivers move between them as they ride, ADR 0122).' }),
      }),
    ),
    truncated: z.boolean().openapi({ description: 'True when some online drivers were left out of `drivers` (5,000 per shard).' }),
    openOffers: z.array(z.object({ offerId: z.string(), orderId: z.string(), driverId: z.string(), expiresAt: z.string() })),
    unassignedOrders: z.array(z.object({ orderId: z.string(), since: z.string(), pickup: LatLngSchema })),
    driverAlerts: z
      .array(
        z.object({
          orderId: z.string(),
          driverId: z.string(),
          kind: z.enum(['silent', 'silent_after_pickup', 'released']),
          silentSince: z.string().openapi({ description: 'When the driver was last heard from (a fix, a message or an order step).' }),
          releaseAt: z.string().nullable().openapi({ description: '`silent`: when the order goes to another driver if the silence goes on.' }),
          releasedAt: z.string().nullable().openapi({ description: '`released`: when the order was taken from the driver and offered again.' }),
        }),
      )
      .openapi({
        description:
          'Assigned drivers not heard from for the ping time (2 min by default; they were pinged): `silent` before pickup (the order is taken back at `releaseAt`), `silent_after_pickup` (the food is with them: nothing is taken away, reach them); and `released`, orders taken from a silent driver in the last hour (ADR 0079).',
      }),
  })
  .openapi('CityLive');

const live = createRoute({
  method: 'get',
  path: '/v1/cities/{id}/live',
  operationId: 'getCityLive',
  tags: ['Cities'],
  summary: 'Live snapshot of a city (operators)',
  description: 'Who may call: ops and admin; other roles 403. Drivers online (available or busy, with position), open offers, orders nobody could be found for, and drivers gone silent with an order.',
  middleware: [requireAuth('ops', 'admin')] as const,
  request: { params: z.object({ id: IdText }) },
  responses: {
    200: { description: 'The snapshot', content: { 'application/json': { schema: CityLiveSchema } } },
    ...problemResponses(401, 403, 404, 503),
  },
});

export const cityLiveRoutes = createRouter().openapi(live, async (c) => {
  const { id } = c.req.valid('param');
  const city = await loadCityGeometry(c.var.db(), id);
  if (!city) throw problems.notFound('No such city.');
  const shards = cityShards(c.env, city);
  let snapshots;
  try {
    snapshots = await Promise.all(shards.map((s) => s.stub.snapshot()));
  } catch (error) {
    log.error('city live: shard unreachable', { cityId: id, error });
    throw problems.unavailable('A city shard is not reachable.');
  }
  const counts = { online: 0, available: 0, busy: 0, offline: 0 };
  for (const s of snapshots) for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] += s.counts[k];
  return c.json(
    {
      cityId: id,
      at: new Date().toISOString(),
      shards: shards.map((s) => s.key),
      counts,
      drivers: snapshots.flatMap((s, i) => s.drivers.map((d) => ({ ...d, status: d.status as 'online' | 'available' | 'busy', shard: shards[i]!.key }))),
      truncated: snapshots.some((s) => s.truncated),
      openOffers: snapshots.flatMap((s) => s.openOffers),
      unassignedOrders: snapshots.flatMap((s) => s.unassignedOrders),
      driverAlerts: snapshots.flatMap((s) => s.driverAlerts ?? []),
    },
    200,
  );
});
