/**
 * Operators in control (docs/decisions/0112): assign or reassign an order,
 * cancel it with a full or partial refund, set a driver offline, message a
 * driver, and see what is stuck. Who may call: ops and admin only (everyone
 * else 403). Every action writes an audit_log row with the operator, the
 * reason and the state before and after (actions order.assign,
 * order.reassign, order.cancel, driver.set_offline, driver.message).
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { principalOf, requireAuth } from '../middleware/auth';
import { clientIp } from '../middleware/rate-limit';
import { createRouter, problemResponses } from '../openapi';
import type { AppEnv } from '../env';
import { IdText, MultilineText, Text } from '../schemas/text';
import { actorOf, type AuditContext } from '../services/audit';
import type { CommandContext } from '../services/orders/commands/context';
import { operatorAssign } from '../services/ops/assign';
import { operatorCancel } from '../services/ops/cancel';
import { operatorMessageDriver, operatorSetOffline } from '../services/ops/drivers';
import { stuckOrders } from '../services/ops/stuck';

const Reason = Text.trim().min(1).max(300).openapi({ description: 'Why: kept in the audit log.' });
const orderParam = z.object({ id: IdText.openapi({ param: { name: 'id', in: 'path' } }) });
const driverParam = z.object({ id: IdText.openapi({ param: { name: 'id', in: 'path' } }) });
const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } }, required: true });
const ok = <T extends z.ZodType>(description: string, schema: T) => ({ description, content: { 'application/json': { schema } } });

const cx = (c: Context<AppEnv>): CommandContext => ({ db: c.var.db(), env: c.env, ctx: c.executionCtx });
const auditOf = (c: Context<AppEnv>): AuditContext => ({ actor: actorOf(principalOf(c)), ip: clientIp(c), requestId: c.var.requestId });

const assign = createRoute({
  method: 'post',
  path: '/v1/ops/orders/{id}/assign',
  operationId: 'assignOrderToDriver',
  tags: ['Operations'],
  summary: 'Give an order to a chosen driver (assign or reassign)',
  description:
    'Who may call: ops and admin. The order (preparing or ready, not picked up) goes to `driverId`, who must be active, in the order’s city and connected to its area, holding no other order. An open offer is withdrawn; a previous driver’s app drops the order (`assignment.reassigned`) and the chosen driver’s app gets `assignment`. The event is `order.assigned` with the operator as actor. The same driver again: 200 with `unchanged: true`, nothing written. Audited (order.assign, order.reassign).',
  middleware: [requireAuth('ops', 'admin')] as const,
  request: { params: orderParam, body: json(z.object({ driverId: IdText, reason: Reason }).strict().openapi('OperatorAssignment')) },
  responses: {
    200: ok(
      'Assigned',
      z
        .object({
          orderId: z.string(),
          driverId: z.string(),
          previousDriverId: z.string().nullable(),
          seq: z.number().int(),
          unchanged: z.boolean(),
          driverTold: z.boolean().openapi({ description: 'The city shard carried it out at once (false: it catches up from the order’s relay and the driver’s next connect).' }),
        })
        .openapi('OperatorAssignmentResult'),
    ),
    ...problemResponses(401, 403, 404, 409, 422, 503),
  },
});

const cancel = createRoute({
  method: 'post',
  path: '/v1/ops/orders/{id}/cancel',
  operationId: 'cancelOrderAsOperator',
  tags: ['Operations'],
  summary: 'Cancel an order and refund it, in full or in part',
  description:
    'Who may call: ops and admin. Any order not yet delivered (pending_payment, placed, preparing, ready, in_delivery) is cancelled. `refundCents` omitted: everything still refundable is refunded (an unpaid intent is cancelled); otherwise that amount, at most what was paid less what is refunded or being refunded (422 above it); 0: no refund. The refund is asked for at once; one the provider does not confirm stays pending and the cron asks again. Audited (order.cancel).',
  middleware: [requireAuth('ops', 'admin')] as const,
  request: {
    params: orderParam,
    body: json(z.object({ reason: Reason, refundCents: z.number().int().min(0).optional() }).strict().openapi('OperatorCancellation')),
  },
  responses: {
    200: ok(
      'Cancelled',
      z
        .object({ orderId: z.string(), status: z.string(), seq: z.number().int(), refund: z.object({ refundId: z.string(), amountCents: z.number().int() }).nullable() })
        .openapi('OperatorCancellationResult'),
    ),
    ...problemResponses(401, 403, 404, 409, 422, 503),
  },
});

const offline = createRoute({
  method: 'post',
  path: '/v1/ops/drivers/{id}/offline',
  operationId: 'setDriverOffline',
  tags: ['Operations'],
  summary: 'Set a driver offline',
  description:
    'Who may call: ops and admin. The driver gets no more offers until they go online again in their app; an open offer of theirs is declined for them; an order they hold stays theirs (reassign it). They are told why on their socket. Audited (driver.set_offline).',
  middleware: [requireAuth('ops', 'admin')] as const,
  request: { params: driverParam, body: json(z.object({ reason: Reason }).strict().openapi('DriverOffline')) },
  responses: {
    200: ok('Set offline', z.object({ driverId: z.string(), wasOnline: z.boolean() }).openapi('DriverOfflineResult')),
    ...problemResponses(401, 403, 404, 422, 503),
  },
});

const message = createRoute({
  method: 'post',
  path: '/v1/ops/drivers/{id}/messages',
  operationId: 'messageDriver',
  tags: ['Operations'],
  summary: 'Send a driver a message',
  description:
    'Who may call: ops and admin. Shown in the driver app at once when it is connected (`ops.message` on the driver channel) and pushed to the driver’s devices (best effort). Not stored; the audit row keeps its length, not its text (driver.message).',
  middleware: [requireAuth('ops', 'admin')] as const,
  request: { params: driverParam, body: json(z.object({ text: MultilineText.trim().min(1).max(500) }).strict().openapi('DriverMessage')) },
  responses: {
    200: ok('Sent', z.object({ driverId: z.string(), live: z.boolean(), pushDevices: z.number().int() }).openapi('DriverMessageResult')),
    ...problemResponses(401, 403, 404, 422, 503),
  },
});

const minutes = (fallback: number) => z.coerce.number().int().min(1).max(240).default(fallback);
const AlertSchema = z.object({
  kind: z.enum(['no_merchant_answer', 'no_driver_found', 'driver_not_moving']),
  orderId: z.string(),
  number: z.string(),
  merchantName: z.string(),
  status: z.string(),
  driverId: z.string().nullable(),
  since: z.string().nullable().openapi({ format: 'date-time', description: 'When the wait began; null: the driver is not connected.' }),
  ageSeconds: z.number().int().nullable(),
});

const stuck = createRoute({
  method: 'get',
  path: '/v1/ops/orders/stuck',
  operationId: 'listStuckOrders',
  tags: ['Operations'],
  summary: 'The unassigned queue with its age, and alerts for stuck orders',
  description:
    'Who may call: ops and admin. `unassigned`: the city’s accepted orders without a driver, longest waiting first. `alerts`: placed and not accepted for `merchantMinutes` (no_merchant_answer), without a driver for `driverMinutes` (no_driver_found), and held by a driver whose last position fix is older than `movingMinutes` or who is not connected (driver_not_moving). At most 200 of each.',
  middleware: [requireAuth('ops', 'admin')] as const,
  request: { query: z.object({ cityId: IdText, merchantMinutes: minutes(5), driverMinutes: minutes(5), movingMinutes: minutes(3) }) },
  responses: {
    200: ok(
      'What needs an operator',
      z
        .object({
          unassigned: z.array(
            z.object({ orderId: z.string(), number: z.string(), merchantName: z.string(), status: z.string(), dispatch: z.string(), waitingSince: z.string().openapi({ format: 'date-time' }), ageSeconds: z.number().int() }),
          ),
          alerts: z.array(AlertSchema),
        })
        .openapi('StuckOrders'),
    ),
    ...problemResponses(401, 403, 422, 503),
  },
});

export const opsActionRoutes = createRouter()
  .openapi(assign, async (c) => {
    const { id: orderId } = c.req.valid('param');
    const body = c.req.valid('json');
    const r = await operatorAssign(cx(c), { orderId, driverId: body.driverId, reason: body.reason, audit: auditOf(c) });
    return c.json({ orderId, driverId: body.driverId, previousDriverId: r.previousDriverId, seq: r.order.seq, unchanged: r.unchanged, driverTold: r.unchanged || r.shard?.ok === true }, 200);
  })
  .openapi(cancel, async (c) => {
    const { id: orderId } = c.req.valid('param');
    const body = c.req.valid('json');
    const r = await operatorCancel(cx(c), { orderId, reason: body.reason, refundCents: body.refundCents, audit: auditOf(c) });
    return c.json({ orderId, status: r.order.status, seq: r.order.seq, refund: r.refund }, 200);
  })
  .openapi(offline, async (c) => {
    const { id: driverId } = c.req.valid('param');
    const r = await operatorSetOffline(cx(c), { driverId, reason: c.req.valid('json').reason, audit: auditOf(c) });
    return c.json({ driverId, wasOnline: r.wasOnline }, 200);
  })
  .openapi(message, async (c) => {
    const { id: driverId } = c.req.valid('param');
    const r = await operatorMessageDriver(cx(c), { driverId, text: c.req.valid('json').text, audit: auditOf(c) });
    return c.json({ driverId, ...r }, 200);
  })
  .openapi(stuck, async (c) => {
    const { cityId, ...thresholds } = c.req.valid('query');
    c.header('Cache-Control', 'no-store');
    return c.json(await stuckOrders(cx(c), cityId, thresholds), 200);
  });
