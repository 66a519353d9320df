/**
 * /v1/ops/cities/{id}/zones: a city's service zones (GeoJSON polygons:
 * delivery, pickup-only, no-go) and its delivery fee schedule (ADR 0110).
 * Who may call: ops and admin only (everyone else 403). Every change is
 * audited (`city.zones_set`, with the zone ids and kinds before and after).
 * Orders already placed keep the fee they were charged (cities.ts).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { cities, type City } from '../../db/schema/index';
import { principalOf, requireAuth } from '../middleware/auth';
import { clientIp } from '../middleware/rate-limit';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { CityZonesPutSchema, CityZonesSchema } from '../schemas/zones';
import { IdText } from '../schemas/text';
import { actorOf, recordAudit } from '../services/audit';

const CityIdParam = z.object({ id: IdText.openapi({ param: { name: 'id', in: 'path' }, example: 'cty_0h3k9x2m4p6r8t0v2x4z' }) });

const get = createRoute({
  method: 'get',
  path: '/v1/ops/cities/{id}/zones',
  operationId: 'getCityZones',
  tags: ['Operations'],
  summary: 'A city’s service zones and delivery fee schedule',
  description: 'Who may call: ops and admin. Null zones: the city serves the circle of `serviceRadiusKm`; null schedule: base fee plus the per-km rate.',
  middleware: [requireAuth('ops', 'admin')] as const,
  request: { params: CityIdParam },
  responses: {
    200: { description: 'The zones', content: { 'application/json': { schema: CityZonesSchema } } },
    ...problemResponses(401, 403, 404, 422, 503),
  },
});

const put = createRoute({
  method: 'put',
  path: '/v1/ops/cities/{id}/zones',
  operationId: 'setCityZones',
  tags: ['Operations'],
  summary: 'Replace a city’s service zones and delivery fee schedule',
  description:
    'Who may call: ops and admin. Replaces both at once (null clears: back to the radius, back to the per-km price). Polygons are GeoJSON (RFC 7946: [longitude, latitude], closed rings, holes after the outer ring). A `zone` schedule needs at least one delivery zone. Audited as `city.zones_set`. Quotes and new orders use the new zones at once; placed orders keep their fee.',
  middleware: [requireAuth('ops', 'admin')] as const,
  request: { params: CityIdParam, body: { required: true, content: { 'application/json': { schema: CityZonesPutSchema } } } },
  responses: {
    200: { description: 'The zones now in force', content: { 'application/json': { schema: CityZonesSchema } } },
    ...problemResponses(401, 403, 404, 415, 422, 503),
  },
});

const view = (city: City) => ({ cityId: city.id, zones: city.serviceZones, feeSchedule: city.deliveryFeeSchedule, serviceRadiusKm: city.serviceRadiusKm });
const summary = (zones: City['serviceZones']) => zones?.features.map((f) => `${f.id}:${f.properties.kind}`) ?? null;

export const opsZoneRoutes = createRouter()
  .openapi(get, async (c) => {
    const { id } = c.req.valid('param');
    const [city] = await c.var.db().select().from(cities).where(eq(cities.id, id));
    if (!city) throw problems.notFound('No such city.');
    c.header('Cache-Control', 'no-store');
    return c.json(view(city), 200);
  })
  .openapi(put, async (c) => {
    const { id } = c.req.valid('param');
    const { zones, feeSchedule } = c.req.valid('json');
    if (feeSchedule?.type === 'zone' && !zones?.features.some((f) => f.properties.kind === 'delivery')) {
      throw problems.validation([{ path: 'json.feeSchedule', message: 'A fee schedule by zone needs at least one delivery zone.' }]);
    }
    const updated = await c.var.db().transaction(async (tx) => {
      const [before] = await tx.select().from(cities).where(eq(cities.id, id)).for('update');
      if (!before) throw problems.notFound('No such city.');
      const [row] = await tx.update(cities).set({ serviceZones: zones, deliveryFeeSchedule: feeSchedule }).where(eq(cities.id, id)).returning();
      await recordAudit(tx, {
        actor: actorOf(principalOf(c)),
        action: 'city.zones_set',
        target: { type: 'city', id },
        ip: clientIp(c),
        requestId: c.var.requestId,
        metadata: { before: summary(before.serviceZones), after: summary(zones), feeSchedule: feeSchedule?.type ?? null },
      });
      return row!;
    });
    return c.json(view(updated), 200);
  });
