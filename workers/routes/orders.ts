/**
 * /v1/orders: creating and reading orders. Who may call:
 * - POST: customers (access token), or a merchant's API key for its own
 *   merchant (with `customer`, and `paid: true` for off-platform payment);
 *   merchant staff accounts, drivers and operators: 403. Idempotency-Key required.
 * - GET list: any signed-in caller; it lists the orders the caller is a party
 *   to (its own as customer, its merchant's, its assignments as driver).
 * - GET one, /events: the order's customer, merchant or assigned driver;
 *   anyone else: 404 (another tenant's order is never revealed).
 * Placing is the `placeOrder` command (services/orders/commands/); this
 * router keeps the Idempotency-Key record and the stored answer's bytes.
 */
import { ACTOR_TYPES } from '../../domain/order';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Database } from '../../db/client';
import type { AppEnv } from '../env';
import { isLocalMode } from '../env';
import { principalOf, requireAuth } from '../middleware/auth';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { pageQuery } from '../schemas/common';
import { CreatedOrderSchema, IdempotencyHeaders, NewOrderSchema, ORDER_STATUS_VALUES, OrderIdParam, OrderSchema } from '../schemas/orders';
import type { Principal } from '../services/auth/principal';
import { claimKey, completeKey, idempotencyScope, KeyNotClaimed, releaseKey, replayResponse, requestHash, type FoldedClaim } from '../services/idempotency';
import { relationTo } from '../services/orders/access';
import { clientSecretOf, placeOrder, type CommandContext, type PlacedOrder } from '../services/orders/commands/index';
import type { OrderCreator } from '../services/orders/create';
import { decodeCursor } from '../services/orders/cursor';
import { listOrders, loadOrder, loadOrderDetail, loadStatusEvents, withRefunds, type ListScope } from '../services/orders/repository';
import { openTrackingToken, trackingUrl } from '../services/orders/codes';
import { dataKeys } from '../services/secrets/data-keys';
import { orderView, type OrderDetail } from '../services/orders/view';
import { routeResponse } from '../raw-response';

/** The client secret is not kept in the idempotency record (db/schema/payments.ts): fetched again on replay. */
const CLIENT_SECRET_PLACEHOLDER = JSON.stringify('{{payment_intent.client_secret}}');

/**
 * What the customer app needs to confirm the PaymentIntent, beside its client
 * secret. Local runs have no Stripe.js (offline): the browser confirms at the
 * Stripe fake (`apiBase`), as Stripe.js would at Stripe. Production gives the
 * publishable key that Stripe's Payment Element is mounted with (ADR 0071).
 */
function checkoutConfig(env: Env): { apiBase?: string; publishableKey?: string } {
  if (isLocalMode(env)) return { apiBase: env.STRIPE_API_BASE, publishableKey: 'pk_test_local' };
  return env.STRIPE_PUBLISHABLE_KEY ? { publishableKey: env.STRIPE_PUBLISHABLE_KEY } : {};
}

function creatorOf(principal: Principal): OrderCreator {
  if (principal.type === 'api_key') return { kind: 'merchant_api', merchantId: principal.merchantId, keyId: principal.keyId };
  if (principal.role === 'customer') return { kind: 'customer', userId: principal.userId };
  throw problems.forbidden(principal.role === 'merchant' ? 'Merchants create orders with their API key.' : 'Only customers and merchants create orders.');
}

/** Nor is the tracking link (its token is stored hashed and sealed, ADR 0083): opened again on replay. */
const TRACKING_URL_PLACEHOLDER = JSON.stringify('{{order.tracking_url}}');

/** The stored answer: the first one without its secrets, which a replay puts back (`restoreSecrets`). */
function storedAnswer(text: string, secrets: { clientSecret?: string | undefined; trackingUrl: string }): string {
  const withoutUrl = text.replace(JSON.stringify(secrets.trackingUrl), TRACKING_URL_PLACEHOLDER);
  return secrets.clientSecret ? withoutUrl.replace(JSON.stringify(secrets.clientSecret), CLIENT_SECRET_PLACEHOLDER) : withoutUrl;
}

async function restoreSecrets(cx: CommandContext, stored: string): Promise<string> {
  if (!stored.includes(CLIENT_SECRET_PLACEHOLDER) && !stored.includes(TRACKING_URL_PLACEHOLDER)) return stored;
  const orderId = (JSON.parse(stored) as { order: { id: string } }).order.id;
  let text = stored;
  if (text.includes(TRACKING_URL_PLACEHOLDER)) {
    const order = await loadOrder(cx.db, orderId);
    if (!order) throw problems.internal();
    const token = await openTrackingToken(await dataKeys(cx.env.DATA_ENCRYPTION_KEYS), order);
    text = text.replace(TRACKING_URL_PLACEHOLDER, JSON.stringify(trackingUrl(cx.env.PUBLIC_BASE_URL, token)));
  }
  if (text.includes(CLIENT_SECRET_PLACEHOLDER)) text = text.replace(CLIENT_SECRET_PLACEHOLDER, JSON.stringify(await clientSecretOf(cx, orderId)));
  return text;
}

const commandContext = (c: Context<AppEnv>): CommandContext => ({ db: c.var.db(), env: c.env, ctx: c.executionCtx });

const create = createRoute({
  method: 'post',
  path: '/v1/orders',
  operationId: 'createOrder',
  tags: ['Orders'],
  summary: 'Place an order (priced on the server)',
  description:
    'Who may call: customers; a merchant API key for its own merchant (give `customer`; `paid: true` for orders paid off-platform, placed at once). Other roles: 403. ' +
    'Idempotency-Key is required: the same key and body return the first answer byte for byte (`Idempotent-Replayed: true`); another body is a 409. ' +
    'Validation (422, nothing written): the merchant exists, is open, and its city serves the dropoff; products belong to it and are available; quantities 1–99; at most 50 lines; a `scheduledFor` window within the scheduling rules (ADR 0108). ' +
    'A scheduled order is paid and placed as any other, then held until its `scheduledFor.releaseAt`, when the minute cron releases it to the merchant (`order.released`). ' +
    'One transaction writes the order, its items, its first status event and its outbox row; a PaymentIntent is then opened with an idempotency key derived from the order id. ' +
    'If Stripe fails, the answer is 503 and the order stays pending_payment: a retry with the same Idempotency-Key completes it.',
  middleware: [requireAuth('customer', 'merchant')] as const,
  request: {
    headers: IdempotencyHeaders,
    body: { required: true, content: { 'application/json': { schema: NewOrderSchema } } },
  },
  responses: {
    201: {
      description: 'The order (status pending_payment, or placed when paid off-platform) and the client secret to pay it with',
      headers: { Location: { schema: { type: 'string' }, description: '/v1/orders/{id}' } },
      content: { 'application/json': { schema: CreatedOrderSchema } },
    },
    ...problemResponses(400, 401, 403, 409, 413, 415, 422, 503),
    502: { description: 'The payment provider refused the payment', content: { 'application/problem+json': { schema: z.object({}).passthrough() } } },
  },
});

const list = createRoute({
  method: 'get',
  path: '/v1/orders',
  operationId: 'listOrders',
  tags: ['Orders'],
  summary: 'Orders the caller may see, newest first',
  description: 'Who may call: any signed-in caller. Customers see their orders, merchants (staff and API keys) their merchant’s, drivers their assignments. Cursor-paginated.',
  middleware: [requireAuth()] as const,
  request: { query: z.object({ status: z.enum(ORDER_STATUS_VALUES).optional(), ...pageQuery }) },
  responses: {
    200: { description: 'A page of orders', content: { 'application/json': { schema: z.object({ items: z.array(OrderSchema), nextCursor: z.string().nullable() }) } } },
    ...problemResponses(401, 422, 503),
  },
});

const get = createRoute({
  method: 'get',
  path: '/v1/orders/{id}',
  operationId: 'getOrder',
  tags: ['Orders'],
  summary: 'One order',
  description: 'Who may call: its customer (who also sees `deliveryPin` once placed), its merchant, its assigned driver. Anyone else: 404.',
  middleware: [requireAuth()] as const,
  request: { params: OrderIdParam },
  responses: {
    200: { description: 'The order', content: { 'application/json': { schema: OrderSchema } } },
    ...problemResponses(401, 404, 503),
  },
});

const events = createRoute({
  method: 'get',
  path: '/v1/orders/{id}/events',
  operationId: 'listOrderEvents',
  tags: ['Orders'],
  summary: 'Status history of an order, oldest first',
  description: 'Who may call: as GET /v1/orders/{id}.',
  middleware: [requireAuth()] as const,
  request: { params: OrderIdParam },
  responses: {
    200: {
      description: 'Every status change with who made it',
      content: {
        'application/json': {
          schema: z.object({
            items: z.array(
              z.object({
                seq: z.number().int().min(1).openapi({ description: 'Per order: 1, 2, 3… without gaps, in the order the changes committed.' }),
                type: z.string().nullable().openapi({ description: 'order.created, order.placed, order.assigned, order.dispatch_changed, order.driver_arrived, order.escalated (still placed past its city’s deadline: the merchant was told again; actor system), order.released (a scheduled order went to its merchant; status unchanged; actor system), …; null on events older than the timeline.' }),
                status: z.enum(ORDER_STATUS_VALUES),
                dispatch: z.string().nullable(),
                at: z.string().openapi({ format: 'date-time' }),
                actor: z.enum(ACTOR_TYPES),
                reason: z.string().nullable(),
                order: z
                  .record(z.string(), z.unknown())
                  .optional()
                  .openapi({ description: 'The order’s own fields as of this event (id, number, seq, status, dispatch, driverId, totals, times; snapshot version `v`). No contact data, PIN or tracking token.' }),
              }),
            ),
          }),
        },
      },
    },
    ...problemResponses(401, 404, 503),
  },
});

/** The order and the caller's relation to it, or 404. */
export async function visibleOrder(db: Database, principal: Principal, id: string): Promise<{ detail: OrderDetail; relation: NonNullable<ReturnType<typeof relationTo>> }> {
  const detail = await loadOrderDetail(db, id);
  const relation = detail ? relationTo(principal, detail.order) : null;
  if (!detail || !relation) throw problems.notFound('No such order.');
  return { detail, relation };
}

export const orderRoutes = createRouter()
  .openapi(create, async (c) => {
    const principal = principalOf(c);
    const creator = creatorOf(principal);
    const body = c.req.valid('json');
    const cx = commandContext(c);
    const ref = { scope: idempotencyScope(principal), key: c.req.valid('header')['idempotency-key'] };
    const hash = await requestHash('POST', '/v1/orders', body);
    // A new key (the common case) is claimed in the order's first statement (ADR 0104); `taken` says
    // whether this request holds it, so that only a claim of its own is released if it fails.
    const folded: FoldedClaim = { hash, taken: false };
    try {
      let placed: PlacedOrder;
      try {
        placed = await placeOrder(cx, { order: body, creator, idempotency: ref, claim: folded });
      } catch (error) {
        if (!(error instanceof KeyNotClaimed)) throw error;
        const claim = await claimKey(cx.db, ref, hash);
        // Raw Responses here and below: the exact stored bytes (typed c.json cannot express that).
        if (claim.kind === 'replay') return routeResponse(create, replayResponse(claim, await restoreSecrets(cx, claim.body)));
        folded.taken = true;
        // A retry after a failure further on (claim 'resume'): the order exists, the command finishes it.
        placed = await placeOrder(cx, { order: body, creator, idempotency: ref, resumeOrderId: claim.kind === 'resume' ? claim.resourceId : null });
      }
      const { detail, payment } = placed;
      const clientSecret = payment?.clientSecret;
      const order = await orderView(detail, creator.kind === 'customer' ? 'customer' : 'merchant', c.env);
      const payload = { order, ...(clientSecret ? { payment: { clientSecret, ...checkoutConfig(c.env) } } : {}) };
      const text = JSON.stringify(payload);
      const headers = { 'Content-Type': 'application/json', Location: `/v1/orders/${detail.order.id}` };
      const stored = storedAnswer(text, { clientSecret, trackingUrl: order.trackingUrl });
      // The intent id and the stored answer in one statement (one round trip).
      await completeKey(cx.db, ref, { status: 201, body: stored, headers }, payment?.recordIntent ? [payment.recordIntent] : []);
      return routeResponse(create, new Response(text, { status: 201, headers }));
    } catch (error) {
      if (folded.taken) await releaseKey(cx.db, ref);
      throw error;
    }
  })
  .openapi(list, async (c) => {
    const principal = principalOf(c);
    const { status, limit, cursor } = c.req.valid('query');
    const after = cursor ? decodeCursor(cursor) : undefined;
    if (after === null) throw problems.validation([{ path: 'query.cursor', message: 'Not a cursor from this list.' }]);
    let scope: ListScope | null = null;
    let viewer: 'customer' | 'merchant' | 'driver' = 'customer';
    if (principal.role === 'merchant' && principal.merchantId) [scope, viewer] = [{ merchantId: principal.merchantId }, 'merchant'];
    else if (principal.type === 'user' && principal.role === 'customer') scope = { customerId: principal.userId };
    else if (principal.type === 'user' && principal.role === 'driver' && principal.driverId) [scope, viewer] = [{ driverId: principal.driverId }, 'driver'];
    // Operators are party to no order: their tools read orders elsewhere.
    if (!scope) return c.json({ items: [], nextCursor: null }, 200);
    const page = await listOrders(c.var.db(), { scope, limit, ...(status ? { status } : {}), ...(after ? { after } : {}) });
    const details = viewer === 'driver' ? page.details : await withRefunds(c.var.db(), page.details);
    return c.json({ items: await Promise.all(details.map((d) => orderView(d, viewer, c.env))), nextCursor: page.nextCursor }, 200);
  })
  .openapi(get, async (c) => {
    const { detail, relation } = await visibleOrder(c.var.db(), principalOf(c), c.req.valid('param').id);
    c.header('Cache-Control', 'no-store');
    const [shown] = relation.viewer === 'driver' ? [detail] : await withRefunds(c.var.db(), [detail]);
    return c.json(await orderView(shown!, relation.viewer, c.env), 200);
  })
  .openapi(events, async (c) => {
    const { id } = c.req.valid('param');
    const db = c.var.db();
    await visibleOrder(db, principalOf(c), id);
    const rows = await loadStatusEvents(db, id);
    return c.json({ items: rows.map((r) => ({ seq: r.seq, type: r.type, status: r.status, dispatch: r.dispatch, at: r.at.toISOString(), actor: r.actorType, reason: r.reason, ...(r.snapshot ? { order: r.snapshot } : {}) })) }, 200);
  });
