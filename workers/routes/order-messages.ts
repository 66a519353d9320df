/**
 * /v1/orders/{id}/messages: chat between an order's parties
 * (services/chat/messages.ts, docs/decisions/0113). Who may call: the order's
 * customer (thread customer_driver), its merchant (merchant_driver; staff
 * with the `orders` capability, or an API key) and its assigned driver
 * (both); anyone else 404, operators included (they message drivers with
 * POST /v1/ops/drivers/{id}/messages).
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { assertMerchantAccess, principalOf, requireAuth } from '../middleware/auth';
import { createRouter, problemResponses } from '../openapi';
import type { AppEnv } from '../env';
import { problems } from '../problem';
import { IdText, MultilineText } from '../schemas/text';
import type { Principal } from '../services/auth/principal';
import { announceMessage, insertMessage, listMessages, MAX_MESSAGE_CHARS, threadsOf, threadToWrite, viewOf } from '../services/chat/messages';
import type { OrderMessage } from '../../db/schema/index';
import { OptionalIdempotencyHeaders } from '../schemas/orders';
import { withIdempotency } from './idempotent';
import { relationTo } from '../services/orders/access';
import { loadOrder } from '../services/orders/repository';
import { routeResponse } from '../raw-response';

const ThreadSchema = z.enum(['customer_driver', 'merchant_driver']);
const MessageSchema = z
  .object({
    id: z.string(),
    thread: ThreadSchema,
    senderRole: z.enum(['customer', 'merchant', 'driver']),
    mine: z.boolean().openapi({ description: 'Sent by the caller (their account, or for a merchant, their business).' }),
    body: z.string(),
    at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('OrderMessage');
const params = z.object({ id: IdText.openapi({ param: { name: 'id', in: 'path' } }) });
const roles = ['customer', 'merchant', 'driver'] as const;

const list = createRoute({
  method: 'get',
  path: '/v1/orders/{id}/messages',
  operationId: 'listOrderMessages',
  tags: ['Orders'],
  summary: 'The order’s chat threads the caller takes part in',
  description:
    'Who may call: the order’s customer (customer_driver), merchant (merchant_driver) and assigned driver (both); anyone else 404. Oldest first, at most `limit`. A new message is announced on the order’s live channel and the driver’s channel as a `chat` frame without its text: read them again here.',
  middleware: [requireAuth(...roles)] as const,
  request: { params, query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(200) }) },
  responses: {
    200: { description: 'The messages', content: { 'application/json': { schema: z.object({ items: z.array(MessageSchema) }) } } },
    ...problemResponses(401, 403, 404, 422, 503),
  },
});

const post = createRoute({
  method: 'post',
  path: '/v1/orders/{id}/messages',
  operationId: 'postOrderMessage',
  tags: ['Orders'],
  summary: 'Write to the order’s driver, or as its driver',
  description: `Who may call: as GET. The customer writes in customer_driver, the merchant in merchant_driver (\`thread\` may be omitted), the driver names the thread. At most ${MAX_MESSAGE_CHARS} characters. Refused with 409 \`chat-closed\` before a driver is assigned and once the order ended. No phone number is exchanged; see ADR 0113 for the masked call. Accepts Idempotency-Key: a retry with the same key and body answers the message first stored, byte for byte (\`Idempotent-Replayed: true\`), and stores no other; the same key with another body is a 409 \`idempotency-key-reused\`.`,
  middleware: [requireAuth(...roles)] as const,
  request: {
    params,
    headers: OptionalIdempotencyHeaders,
    body: { content: { 'application/json': { schema: z.object({ thread: ThreadSchema.optional(), body: MultilineText.trim().min(1).max(MAX_MESSAGE_CHARS) }).strict().openapi('NewOrderMessage') } }, required: true },
  },
  responses: {
    201: { description: 'Stored and announced', content: { 'application/json': { schema: MessageSchema } } },
    ...problemResponses(401, 403, 404, 409, 422, 503),
  },
});

/** Who the caller is in the chat: their relation to the order and the id their messages carry. */
async function partyOf(c: Context<AppEnv>, orderId: string) {
  const principal = principalOf(c);
  const order = await loadOrder(c.var.db(), orderId);
  const relation = order ? relationTo(principal, order) : null;
  if (!order || !relation) throw problems.notFound('No such order.');
  if (relation.viewer === 'merchant') assertMerchantAccess(principal, order.merchantId, 'orders');
  return { order, viewer: relation.viewer, senderId: senderIdOf(principal, relation.viewer, order.merchantId) };
}

/** A merchant's messages belong to the business (any of its staff sees them as `mine`); others' to the account or driver. */
function senderIdOf(p: Principal, viewer: 'customer' | 'merchant' | 'driver', merchantId: string): string {
  if (viewer === 'merchant') return merchantId;
  if (viewer === 'driver' && p.type === 'user' && p.driverId) return p.driverId;
  return p.type === 'user' ? p.userId : p.keyId;
}

export const orderMessageRoutes = createRouter()
  .openapi(list, async (c) => {
    const { id: orderId } = c.req.valid('param');
    const party = await partyOf(c, orderId);
    const rows = await listMessages(c.var.db(), orderId, threadsOf(party.viewer), c.req.valid('query').limit);
    c.header('Cache-Control', 'no-store');
    return c.json({ items: rows.map((m) => viewOf(m, party.senderId)) }, 200);
  })
  .openapi(post, async (c) => {
    const { id: orderId } = c.req.valid('param');
    const body = c.req.valid('json');
    const party = await partyOf(c, orderId);
    const thread = threadToWrite(party.viewer, body.thread);
    // Set inside the transaction (a closure TypeScript's narrowing does not follow).
    let stored = null as OrderMessage | null;
    // A raw Response, so a replay is the stored bytes; only a message stored by this request is announced.
    const response = await withIdempotency(c, principalOf(c), c.req.valid('header')['idempotency-key'], body, async (tx) => {
      stored = await insertMessage(tx, party.order, { thread, senderRole: party.viewer, senderId: party.senderId, body: body.body });
      return { status: 201, body: viewOf(stored, party.senderId) };
    });
    if (stored) announceMessage({ db: c.var.db(), env: c.env, ctx: c.executionCtx }, party.order, stored);
    return routeResponse(post, response);
  });
