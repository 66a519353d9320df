/**
 * /v1/ops/orders/awaiting-merchant: orders their merchant has not accepted,
 * escalated ones first (services/orders/unaccepted.ts, ADR 0080), so an
 * operator can call the shop before the platform cancels and refunds.
 * /v1/ops/orders/scheduled: scheduled orders still held, next release first
 * (services/orders/scheduled.ts, ADR 0108).
 * Who may call: ops and admin only (everyone else 403).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { requireAuth } from '../middleware/auth';
import { createRouter, problemResponses } from '../openapi';
import { listAwaitingMerchant } from '../services/orders/unaccepted';
import { listHeldOrders } from '../services/orders/scheduled';
import { IdText } from '../schemas/text';

/** Which order, where: the fields both operator lists start with. */
const OrderRefFields = {
  orderId: z.string(),
  number: z.string().openapi({ description: 'The order number people see (shown as #number).', example: 'K3X9QAT' }),
  cityId: z.string(),
  merchantId: z.string(),
  merchantName: z.string(),
};

const AwaitingMerchantSchema = z
  .object({
    ...OrderRefFields,
    placedAt: z.string().openapi({ format: 'date-time' }),
    askedAt: z.string().openapi({ format: 'date-time', description: 'Since when the merchant has been asked: the placement, or a scheduled order’s release (ADR 0108); the deadlines count from it.' }),
    escalatedAt: z
      .string()
      .nullable()
      .openapi({ format: 'date-time', description: 'When the merchant was told again on every channel (the order.escalated event); null while within the city’s first deadline.' }),
    autoCancelAt: z.string().openapi({ format: 'date-time', description: 'When the platform cancels and refunds the order if nobody accepts it (reason merchant_unresponsive).' }),
  })
  .openapi('OrderAwaitingMerchant');

const list = createRoute({
  method: 'get',
  path: '/v1/ops/orders/awaiting-merchant',
  operationId: 'listOrdersAwaitingMerchant',
  tags: ['Operations'],
  summary: 'Placed orders their merchant has not accepted, escalated first',
  description:
    'Who may call: ops and admin. Escalated orders first, then by placement, oldest first. `escalated=true` lists only escalated ones; `cityId` one city. Not paginated: at most `limit` rows (the sweep cancels what waits too long).',
  middleware: [requireAuth('ops', 'admin')] as const,
  request: {
    query: z.object({
      cityId: IdText.optional(),
      escalated: z.enum(['true', 'false']).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
  },
  responses: {
    200: {
      description: 'The orders waiting for their merchant',
      content: { 'application/json': { schema: z.object({ items: z.array(AwaitingMerchantSchema) }) } },
    },
    ...problemResponses(401, 403, 422, 503),
  },
});

const HeldOrderSchema = z
  .object({
    ...OrderRefFields,
    scheduledFor: z.object({ start: z.string().openapi({ format: 'date-time' }), end: z.string().openapi({ format: 'date-time' }) }),
    releaseAt: z.string().openapi({ format: 'date-time', description: 'When the minute cron releases it to the merchant (window start − prep time). In the past: the cron is late (see the runbook).' }),
  })
  .openapi('HeldScheduledOrder');

const held = createRoute({
  method: 'get',
  path: '/v1/ops/orders/scheduled',
  operationId: 'listHeldScheduledOrders',
  tags: ['Operations'],
  summary: 'Scheduled orders still held, next release first',
  description: 'Who may call: ops and admin. Paid, placed orders with a `scheduledFor` window that the cron has not released to their merchant yet (ADR 0108). `cityId` one city. Not paginated: at most `limit` rows.',
  middleware: [requireAuth('ops', 'admin')] as const,
  request: { query: z.object({ cityId: IdText.optional(), limit: z.coerce.number().int().min(1).max(200).default(50) }) },
  responses: {
    200: { description: 'The held orders', content: { 'application/json': { schema: z.object({ items: z.array(HeldOrderSchema) }) } } },
    ...problemResponses(401, 403, 422, 503),
  },
});

export const opsOrderRoutes = createRouter().openapi(held, async (c) => {
  const { cityId, limit } = c.req.valid('query');
  const rows = await listHeldOrders(c.var.db(), { limit, ...(cityId ? { cityId } : {}) });
  c.header('Cache-Control', 'no-store');
  const iso = (d: Date | null) => d!.toISOString();
  return c.json({ items: rows.map(({ start, end, releaseAt, ...r }) => ({ ...r, scheduledFor: { start: iso(start), end: iso(end) }, releaseAt: iso(releaseAt) })) }, 200);
}).openapi(list, async (c) => {
  const { cityId, escalated, limit } = c.req.valid('query');
  const rows = await listAwaitingMerchant(c.var.db(), { limit, escalatedOnly: escalated === 'true', ...(cityId ? { cityId } : {}) });
  c.header('Cache-Control', 'no-store');
  return c.json(
    {
      items: rows.map((r) => ({
        ...r,
        placedAt: r.placedAt!.toISOString(),
        askedAt: (r.askedAt ?? r.placedAt!).toISOString(),
        escalatedAt: r.escalatedAt?.toISOString() ?? null,
        autoCancelAt: r.autoCancelAt.toISOString(),
      })),
    },
    200,
  );
});
