/**
 * /v1/ops/drivers: a city's drivers by name and vehicle, so the operations
 * page shows people, not ids (the live feed carries driver ids only).
 * Who may call: ops and admin only (everyone else 403). A driver's name is
 * personal data: only operators read it here, and an erased account's name
 * is gone (null).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { asc, eq } from 'drizzle-orm';
import { drivers, userProfiles } from '../../db/schema/index';
import { requireAuth } from '../middleware/auth';
import { createRouter, problemResponses } from '../openapi';
import { IdText } from '../schemas/text';

const OpsDriverSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable().openapi({ description: 'Null when the driver’s account was erased.' }),
    vehicle: z.enum(['bike', 'scooter', 'car']),
    active: z.boolean().openapi({ description: 'Allowed to work (not: online now; the live feed says that).' }),
  })
  .openapi('OpsDriver');

const list = createRoute({
  method: 'get',
  path: '/v1/ops/drivers',
  operationId: 'listCityDrivers',
  tags: ['Operations'],
  summary: 'A city’s drivers, by name and vehicle',
  description: 'Who may call: ops and admin. Every driver of `cityId`, by name. Not paginated: at most `limit` rows.',
  middleware: [requireAuth('ops', 'admin')] as const,
  request: {
    query: z.object({
      cityId: IdText,
      limit: z.coerce.number().int().min(1).max(1000).default(500),
    }),
  },
  responses: {
    200: { description: 'The city’s drivers', content: { 'application/json': { schema: z.object({ items: z.array(OpsDriverSchema) }) } } },
    ...problemResponses(401, 403, 422, 503),
  },
});

export const opsDriverRoutes = createRouter().openapi(list, async (c) => {
  const { cityId, limit } = c.req.valid('query');
  const rows = await c.var
    .db()
    .select({ id: drivers.id, name: userProfiles.name, vehicle: drivers.vehicle, active: drivers.active })
    .from(drivers)
    .leftJoin(userProfiles, eq(userProfiles.userId, drivers.userId))
    .where(eq(drivers.cityId, cityId))
    .orderBy(asc(userProfiles.name), asc(drivers.id))
    .limit(limit);
  c.header('Cache-Control', 'no-store');
  return c.json({ items: rows.map((r) => ({ id: r.id, name: r.name ?? null, vehicle: r.vehicle, active: r.active })) }, 200);
});
