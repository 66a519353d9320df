/**
 * GET /v1/orders/{id}/tracking (the order's parties) and GET /v1/track/{token}
 * (anyone holding the link; no sign-in). See workers/services/tracking.ts.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { principalOf, requireAuth } from '../middleware/auth';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { DISPATCH_VALUES, ORDER_STATUS_VALUES, OrderIdParam } from '../schemas/orders';
import { orderByTrackingToken, trackingOf } from '../services/tracking';
import { visibleOrder } from './orders';
import { Text } from '../schemas/text';

const TrackingSchema = z
  .object({
    number: z.string().openapi({ description: 'The order number shown as `#` + number in every message about the order.' }),
    seq: z.number().int().openapi({ description: 'The seq of the order’s latest event.' }),
    status: z.enum(ORDER_STATUS_VALUES),
    dispatch: z.enum(DISPATCH_VALUES),
    driver: z
      .object({
        name: z.string().nullable().openapi({ description: 'First name only' }),
        vehicle: z.string(),
        location: z.object({ lat: z.number(), lng: z.number() }).nullable(),
        heading: z.number().nullable(),
        updatedAt: z.string().nullable(),
      })
      .optional(),
    eta: z.number().int().optional().openapi({ description: 'Seconds until the driver reaches its current target (pickup, then drop-off)' }),
    trackingUrl: z.string(),
  })
  .openapi('Tracking');

const byOrder = createRoute({
  method: 'get',
  path: '/v1/orders/{id}/tracking',
  operationId: 'getOrderTracking',
  tags: ['Orders'],
  summary: 'Live tracking of an order',
  description: 'Who may call: the order’s customer, merchant or assigned driver; anyone else: 404.',
  middleware: [requireAuth()] as const,
  request: { params: OrderIdParam },
  responses: {
    200: { description: 'Status, driver position and ETA', content: { 'application/json': { schema: TrackingSchema } } },
    ...problemResponses(401, 404, 503),
  },
});

const byToken = createRoute({
  method: 'get',
  path: '/v1/track/{token}',
  operationId: 'getTracking',
  tags: ['Orders'],
  summary: 'Live tracking through the order’s tracking link',
  description: 'Who may call: anyone holding the link. No personal data beyond the driver’s first name. The link expires an hour after the order ends (404).',
  security: [],
  request: { params: z.object({ token: Text.min(16).max(64).openapi({ param: { name: 'token', in: 'path' } }) }) },
  responses: {
    200: { description: 'Status, driver position and ETA', content: { 'application/json': { schema: TrackingSchema } } },
    ...problemResponses(404, 422, 503),
  },
});

export const trackingRoutes = createRouter()
  .openapi(byOrder, async (c) => {
    const db = c.var.db();
    const { detail } = await visibleOrder(db, principalOf(c), c.req.valid('param').id);
    c.header('Cache-Control', 'private, no-store');
    return c.json(await trackingOf(c.env, db, detail), 200);
  })
  .openapi(byToken, async (c) => {
    const db = c.var.db();
    const detail = await orderByTrackingToken(db, c.req.valid('param').token);
    if (!detail) throw problems.notFound('No such tracking link, or it has expired.');
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
    // Like the tracking page (ADR 0086): a link's answer is nobody's to index.
    c.header('X-Robots-Tag', 'noindex, nofollow, noarchive');
    return c.json(await trackingOf(c.env, db, detail), 200);
  });
