/**
 * Finding something to order, before any order exists. Who may call: anyone
 * (no token needed), as the directory and catalogs they read from.
 * - GET /v1/search: shops and dishes by words, accents folded (ADR 0101).
 * - GET /v1/merchants/{id}/delivery-quote: the delivery terms to a point (fee,
 *   zone, open or closed, prep and ETA), from the same services/delivery-terms.ts
 *   POST /v1/orders prices and refuses with, so the shop page and the cart show
 *   what the checkout will charge or refuse.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { cities, merchants } from '../../db/schema/index';
import { createRouter, problemResponses } from '../openapi';
import { PROBLEM_BASE, problems } from '../problem';
import { MerchantIdParam, MerchantSchema, ProductSchema } from '../schemas/catalog';
import { IdText, Text } from '../schemas/text';
import { ZONE_KINDS } from '../../domain/zones/service-area';
import { deliveryTerms, refusalOf } from '../services/delivery-terms';
import { deliveryFeeCents } from '../services/orders/pricing';
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
    'Who may call: anyone. The terms POST /v1/orders would apply to a delivery from {id} to (`lat`, `lng`) now: the fee by the city’s schedule (distance bands or zone; without one, the base fee plus the rate per started kilometre of straight-line distance), before tax; the service zone the point lies in; whether the shop is open by its hours and when it opens; the prep estimate (longer in busy mode) and an ETA. `deliverable` is false when the point is outside every delivery zone, in a pickup-only or no-go area, or past the schedule’s reach; `orderable` is false when an order would be refused, and `refusal` names the 422 problem type it would get (ADR 0110, 0111).',
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
              zone: z
                .object({ id: z.string(), name: z.string(), kind: z.enum(ZONE_KINDS) })
                .nullable()
                .openapi({ description: 'The zone the point lies in (the one that decides); null without zones or outside every zone.' }),
              area: z.enum([...ZONE_KINDS, 'outside']).openapi({ description: 'What the point is to the city: delivered to, pickup-only, no-go or outside.' }),
              openNow: z.boolean().openapi({ description: 'Open by its opening hours now.' }),
              opensAt: z.string().datetime().nullable(),
              opensAtLocal: z.object({ date: z.string(), time: z.string() }).nullable().openapi({ description: '`opensAt` in the shop’s time zone ("Opens at 11:00").' }),
              closesAt: z.string().datetime().nullable(),
              timezone: z.string(),
              prepMinutes: z.number().int().openapi({ description: 'The prep estimate in force (busy mode included).' }),
              busy: z.boolean(),
              etaMinutes: z.number().int().openapi({ description: 'Prep plus the ride, counted from an order placed now (from the opening when closed).' }),
              etaAt: z.string().datetime(),
              orderable: z.boolean(),
              refusal: z.string().nullable().openapi({ description: 'The problem type slug an order would be refused with (docs/problems.md), or null.' }),
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
    const now = new Date();
    const terms = deliveryTerms(city, merchant, point, now);
    const refusal = terms.acceptingOrders ? refusalOf(terms, city, merchant) : null;
    const { coverage, hours } = terms;
    const zone = coverage.kind === 'outside' || !coverage.zone ? null : { id: coverage.zone.id, name: coverage.zone.properties.name, kind: coverage.zone.properties.kind };
    const from = hours.open ? now : (hours.opensAt ?? now);
    return c.json(
      {
        merchantId: merchant.id,
        distanceM: terms.distanceM,
        // Kept an integer as before: where nothing is delivered, the per-km price (not charged: `deliverable` is false).
        deliveryFeeCents: terms.deliveryFeeCents ?? deliveryFeeCents(city, terms.distanceM),
        currency: city.currency,
        deliverable: coverage.kind === 'delivery' && terms.deliveryFeeCents !== null,
        acceptingOrders: terms.acceptingOrders,
        zone,
        area: coverage.kind,
        openNow: hours.open,
        opensAt: hours.opensAt?.toISOString() ?? null,
        opensAtLocal: hours.opensAtLocal,
        closesAt: hours.closesAt?.toISOString() ?? null,
        timezone: terms.timezone,
        prepMinutes: terms.prepMinutes,
        busy: terms.busy,
        etaMinutes: terms.etaMinutes,
        etaAt: new Date(from.getTime() + terms.etaMinutes * 60_000).toISOString(),
        orderable: terms.acceptingOrders && refusal === null,
        refusal: refusal ? refusal.type.slice(PROBLEM_BASE.length) : terms.acceptingOrders ? null : 'validation-failed',
      },
      200,
    );
  });
