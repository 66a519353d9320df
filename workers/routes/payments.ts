/**
 * GET /v1/orders/{id}/payment: the payment of an order as its customer and
 * merchant see it. Who may call: the order's customer or merchant; its
 * driver: 403; anyone else: 404. Orders paid off-platform have no payment: 404.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { principalOf, requireAuth } from '../middleware/auth';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { OrderIdParam } from '../schemas/orders';
import { paymentOfOrder } from '../services/payments/payments';
import { visibleOrder } from './orders';

const PaymentSchema = z
  .object({
    status: z.enum(['requires_payment', 'processing', 'succeeded', 'failed', 'canceled', 'refunded', 'partially_refunded']),
    amountCents: z.number().int(),
    currency: z.string().length(3),
    refundedCents: z.number().int(),
    failureReason: z.string().nullable().openapi({ description: 'The last decline, as the provider reported it.' }),
  })
  .openapi('Payment');

const get = createRoute({
  method: 'get',
  path: '/v1/orders/{id}/payment',
  operationId: 'getOrderPayment',
  tags: ['Payments'],
  summary: 'The payment of an order',
  description: 'Who may call: the order’s customer or merchant. Its driver: 403; anyone else: 404. No online payment (paid off-platform): 404.',
  middleware: [requireAuth()] as const,
  request: { params: OrderIdParam },
  responses: {
    200: { description: 'Status and amounts, in integer minor units', content: { 'application/json': { schema: PaymentSchema } } },
    ...problemResponses(401, 403, 404, 503),
  },
});

export const paymentRoutes = createRouter().openapi(get, async (c) => {
  const { id } = c.req.valid('param');
  const db = c.var.db();
  const { relation } = await visibleOrder(db, principalOf(c), id);
  if (relation.viewer === 'driver') throw problems.forbidden('Drivers do not see payments.');
  const payment = await paymentOfOrder(db, id);
  if (!payment) throw problems.notFound('This order has no online payment (it was paid off-platform).');
  c.header('Cache-Control', 'no-store');
  return c.json({ status: payment.status, amountCents: payment.amountCents, currency: payment.currency, refundedCents: payment.refundedCents, failureReason: payment.failureReason }, 200);
});
