/**
 * Lifecycle steps: POST /v1/orders/{id}/{step}. Who may call (docs/api.md):
 * - accept, reject, ready: the order's merchant (any of its staff, its API key);
 * - arrived, pickup, deliver, fail: the order's assigned driver;
 * - cancel: its customer before `preparing`, its merchant before `in_delivery`.
 * A party to the order taking a step that is not theirs: 403. Anyone else:
 * 404. A step the current status does not allow: 409 with `currentStatus`.
 * Each step is a command (services/orders/commands/): it commits its event
 * and outbox row with the change (of two concurrent steps exactly one wins)
 * and runs what follows the commit; this router only authenticates,
 * validates, calls it and serializes.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { assertMerchantAccess, principalOf, requireAuth } from '../middleware/auth';
import { limiterOf } from '../middleware/rate-limit';
import { createRouter, problemResponses } from '../openapi';
import { OrderIdParam, OrderSchema } from '../schemas/orders';
import { eventActorOf } from '../services/orders/access';
import {
  acceptOrder, cancelOrder, deliverOrder, driverArrived, failDelivery, ID_DOCUMENT_TYPES, markReady, pickUpOrder, rejectOrder,
  type CommandContext, type StepInput,
} from '../services/orders/commands/index';
import type { OrderStep } from '../services/orders/state-machine';
import { orderView, type OrderViewer } from '../services/orders/view';
import { visibleOrder } from './orders';
import { Text } from '../schemas/text';

const ReasonBody = z.object({ reason: Text.trim().min(1).max(300).optional() }).strict().openapi('StepReason');

const DeliverBody = z
  .object({
    pin: z.string().regex(/^\d{4}$/, 'The 4-digit code the customer was sent.').optional(),
    photoUrl: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional()
      .openapi({ description: 'The `url` that POST /v1/orders/{id}/proof-photos answered for this order; any other link is refused (422).' }),
    idCheck: z
      .object({
        documentType: z.enum(ID_DOCUMENT_TYPES),
        birthYear: z.number().int().min(1900).max(new Date().getUTCFullYear()),
      })
      .strict()
      .optional()
      .openapi({ description: 'Required when the order contains a product that requires a prescription.' }),
  })
  .strict()
  .refine((b) => (b.pin === undefined) !== (b.photoUrl === undefined), { message: 'Give exactly one proof: `pin` or `photoUrl`.' })
  .openapi('DeliveryProof');

const WHO: Record<OrderStep, string> = {
  accept: 'its merchant; from placed (→ preparing). Starts dispatch.',
  reject: 'its merchant; from placed (→ rejected). A captured payment is refunded.',
  ready: 'its merchant; from preparing (→ ready).',
  arrived: 'its assigned driver; while preparing or ready (status unchanged, recorded in the history).',
  pickup: 'its assigned driver; from ready (→ in_delivery).',
  deliver: 'its assigned driver; from in_delivery (→ delivered), with proof: the customer’s PIN or a photo uploaded with POST /v1/orders/{id}/proof-photos (its `url` as `photoUrl`), plus an ID check for prescription orders. After 5 wrong PINs for one order within an hour the PIN is refused with 429 and Retry-After (a photo still works).',
  fail: 'its assigned driver; from in_delivery (→ failed).',
  cancel: 'its customer before preparing, its merchant before in_delivery (→ cancelled). A captured payment is refunded; an unpaid one is cancelled at Stripe.',
  paid: '',
  payment_canceled: '',
};

const stepDescription = (step: OrderStep) =>
  `Who may call: ${WHO[step]} Other parties to the order: 403; anyone else: 404; not allowed in the current status: 409 with currentStatus.`;

const stepResponses = {
  200: { description: 'The order after the step', content: { 'application/json': { schema: OrderSchema } } },
  ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503),
};

/** Each step's operationId in the OpenAPI document (verbNoun, stable). */
const OPERATION_IDS: Record<OrderStep, string> = {
  accept: 'acceptOrder',
  reject: 'rejectOrder',
  ready: 'markOrderReady',
  arrived: 'reportDriverArrived',
  pickup: 'pickUpOrder',
  deliver: 'deliverOrder',
  fail: 'failOrder',
  cancel: 'cancelOrder',
  paid: '',
  payment_canceled: '',
};

const common = (step: OrderStep) => ({
  method: 'post' as const,
  path: `/v1/orders/{id}/${step}`,
  operationId: OPERATION_IDS[step],
  tags: ['Orders'],
  summary: `Order step: ${step}`,
  description: stepDescription(step),
  middleware: [requireAuth('customer', 'merchant', 'driver')],
  responses: stepResponses,
});

const plainStep = (step: OrderStep) => createRoute({ ...common(step), request: { params: OrderIdParam } });

const reasonStep = (step: OrderStep) =>
  createRoute({ ...common(step), request: { params: OrderIdParam, body: { required: false, content: { 'application/json': { schema: ReasonBody } } } } });

const deliverStep = createRoute({
  ...common('deliver'),
  responses: { ...stepResponses, ...problemResponses(429) },
  request: { params: OrderIdParam, body: { required: true, content: { 'application/json': { schema: DeliverBody } } } },
});

/**
 * The caller of a step: who they are to the order (anyone else: 404; merchant
 * staff also need the `orders` permission), as the commands take it.
 */
async function stepCaller(c: Context<AppEnv>, orderId: string): Promise<{ viewer: OrderViewer; input: StepInput }> {
  const principal = principalOf(c);
  const { detail, relation } = await visibleOrder(c.var.db(), principal, orderId);
  if (relation.viewer === 'merchant') assertMerchantAccess(principal, detail.order.merchantId, 'orders');
  return { viewer: relation.viewer, input: { orderId, actor: { step: relation.actor, event: eventActorOf(principal) }, known: detail } };
}

const commandContext = (c: Context<AppEnv>): CommandContext => ({ db: c.var.db(), env: c.env, ctx: c.executionCtx });

export const orderStepRoutes = createRouter()
  .openapi(plainStep('accept'), async (c) => {
    const { viewer, input } = await stepCaller(c, c.req.valid('param').id);
    const { detail } = await acceptOrder(commandContext(c), input);
    return c.json(await orderView(detail, viewer, c.env), 200);
  })
  .openapi(reasonStep('reject'), async (c) => {
    const { viewer, input } = await stepCaller(c, c.req.valid('param').id);
    const { detail } = await rejectOrder(commandContext(c), { ...input, reason: c.req.valid('json')?.reason });
    return c.json(await orderView(detail, viewer, c.env), 200);
  })
  .openapi(plainStep('ready'), async (c) => {
    const { viewer, input } = await stepCaller(c, c.req.valid('param').id);
    const { detail } = await markReady(commandContext(c), input);
    return c.json(await orderView(detail, viewer, c.env), 200);
  })
  .openapi(plainStep('arrived'), async (c) => {
    const { viewer, input } = await stepCaller(c, c.req.valid('param').id);
    const { detail } = await driverArrived(commandContext(c), input);
    return c.json(await orderView(detail, viewer, c.env), 200);
  })
  .openapi(plainStep('pickup'), async (c) => {
    const { viewer, input } = await stepCaller(c, c.req.valid('param').id);
    const { detail } = await pickUpOrder(commandContext(c), input);
    return c.json(await orderView(detail, viewer, c.env), 200);
  })
  .openapi(deliverStep, async (c) => {
    const { viewer, input } = await stepCaller(c, c.req.valid('param').id);
    const { detail } = await deliverOrder(commandContext(c), { ...input, proof: c.req.valid('json'), limiter: limiterOf(c) });
    return c.json(await orderView(detail, viewer, c.env), 200);
  })
  .openapi(reasonStep('fail'), async (c) => {
    const { viewer, input } = await stepCaller(c, c.req.valid('param').id);
    const { detail } = await failDelivery(commandContext(c), { ...input, reason: c.req.valid('json')?.reason });
    return c.json(await orderView(detail, viewer, c.env), 200);
  })
  .openapi(reasonStep('cancel'), async (c) => {
    const { viewer, input } = await stepCaller(c, c.req.valid('param').id);
    const { detail } = await cancelOrder(commandContext(c), { ...input, reason: c.req.valid('json')?.reason });
    return c.json(await orderView(detail, viewer, c.env), 200);
  });
