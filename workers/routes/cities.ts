import { createRoute, z } from '@hono/zod-openapi';
import { asc } from 'drizzle-orm';
import { cities } from '../../db/schema/index';
import { createRouter, problemResponses } from '../openapi';
import { CitySchema } from '../schemas/common';

const listCities = createRoute({
  method: 'get',
  path: '/v1/cities',
  operationId: 'listCities',
  tags: ['Cities'],
  summary: 'Cities the platform serves',
  security: [],
  responses: {
    200: {
      description: 'Every city',
      content: { 'application/json': { schema: z.object({ items: z.array(CitySchema) }) } },
    },
    ...problemResponses(503),
  },
});

export const cityRoutes = createRouter().openapi(listCities, async (c) => {
  const rows = await c.var.db().select().from(cities).orderBy(asc(cities.name));
  // A short shared cache: the list changes rarely and is read by every client start.
  c.header('Cache-Control', 'public, max-age=60');
  return c.json(
    {
      items: rows.map((city) => ({
        id: city.id,
        name: city.name,
        center: { lat: city.centerLat, lng: city.centerLng },
        currency: city.currency,
        timezone: city.timezone,
      })),
    },
    200,
  );
});
