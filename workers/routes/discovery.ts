/**
 * Finding something to order, before any order exists. Who may call: anyone
 * (no token needed), as the directory and catalogs they read from.
 * - GET /v1/search: shops and dishes by words, accents folded (ADR 0101).
 * - GET /v1/merchants/{id}/delivery-quote: the delivery fee to a point, priced
 *   as POST /v1/orders prices it (services/orders/pricing.ts), so the shop
 *   page and the cart show the fee the checkout will charge.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { cities, merchants } from '../../db/schema/index';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { MerchantIdParam, MerchantSchema, ProductSchema } from '../schemas/catalog';
import { IdText, Text } from '../schemas/text';
import { deliveryFeeCents, distanceMeters } from '../services/orders/pricing';
import { search } from '../services/search';
import { productView } from './catalog';
import { merchantView } from './merchants';

const searchRoute = createRoute({
  method: 'get',
  path: '/v1/search',
  operationId: 'searchCatalog',
  tags: ['Merchants'],
  summary: 'Search shops and dishes',
  description:
    'Who may call: anyone. Postgres full-text search with accents and case folded: every word of `q` must begin a word of the shop’s name, or of the dish’s name or description ("creme brulee" finds "Crème brûlée"). Only shops taking orders; best matches first, dishes that can be ordered now before sold-out ones.',
  security: [],
  request: {
    query: z.object({
      q: Text.trim().min(1).max(100).openapi({ example: 'creme brulee' }),
      cityId: IdText.optional(),
      limit: z.coerce.number().int().min(1).max(50).default(20),
    }),
  },
  responses: {
    200: {
      description: 'Matching shops and dishes (each list at most `limit` long)',
      content: {
        'application/json': {
          schema: z
            .object({
              merchants: z.array(MerchantSchema),
              products: z.array(ProductSchema.extend({ merchant: z.object({ id: z.string(), name: z.string() }) })),
            })
            .openapi('SearchResults'),
        },
      },
    },
    ...problemResponses(422, 503),
  },
});

const quoteRoute = createRoute({
  method: 'get',
  path: '/v1/merchants/{id}/delivery-quote',
  operationId: 'getDeliveryQuote',
  tags: ['Merchants'],
  summary: 'The delivery fee from a shop to a point',
  description:
    'Who may call: anyone. The fee POST /v1/orders would charge for a delivery from {id} to (`lat`, `lng`): the city’s base fee plus its rate per started kilometre of straight-line distance, before tax. `deliverable` is false when the point lies outside the city’s service area (an order there is refused with 422).',
  security: [],
  request: {
    params: MerchantIdParam,
    query: z.object({ lat: z.coerce.number().min(-90).max(90), lng: z.coerce.number().min(-180).max(180) }),
  },
  responses: {
    200: {
      description: 'The quote',
      content: {
        'application/json': {
          schema: z
            .object({
              merchantId: z.string(),
              distanceM: z.number().int(),
              deliveryFeeCents: z.number().int().openapi({ description: 'Integer minor units of `currency`, before tax.' }),
              currency: z.string().length(3),
              deliverable: z.boolean(),
              acceptingOrders: z.boolean(),
            })
            .openapi('DeliveryQuote'),
        },
      },
    },
    ...problemResponses(404, 422, 503),
  },
});

export const discoveryRoutes = createRouter()
  .openapi(searchRoute, async (c) => {
    const { q, cityId, limit } = c.req.valid('query');
    const found = await search(c.var.db(), { q, limit, ...(cityId ? { cityId } : {}) });
    return c.json(
      {
        merchants: found.merchants.map(merchantView),
        products: found.products.map((p) => ({ ...productView(p.product), merchant: p.merchant })),
      },
      200,
    );
  })
  .openapi(quoteRoute, async (c) => {
    const { id } = c.req.valid('param');
    const point = c.req.valid('query');
    const [row] = await c.var.db().select({ merchant: merchants, city: cities }).from(merchants).innerJoin(cities, eq(cities.id, merchants.cityId)).where(eq(merchants.id, id));
    if (!row) throw problems.notFound('No such merchant.');
    const { merchant, city } = row;
    const distanceM = distanceMeters({ lat: merchant.lat, lng: merchant.lng }, point);
    return c.json(
      {
        merchantId: merchant.id,
        distanceM,
        deliveryFeeCents: deliveryFeeCents(city, distanceM),
        currency: city.currency,
        deliverable: distanceMeters({ lat: city.centerLat, lng: city.centerLng }, point) <= city.serviceRadiusKm * 1000,
        acceptingOrders: merchant.open && !merchant.suspended && merchant.closedAt === null,
      },
      200,
    );
  });
