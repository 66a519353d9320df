/**
 * Merchant webhooks (docs/api.md, Merchant webhooks). Who may call: the merchant's
 * owner or a manager (capability `webhooks`); its staff and API keys: 403;
 * another merchant: 404; everyone else: 403.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { isLocalMode } from '../env';
import { assertMerchantAccess, principalOf, requireAuth } from '../middleware/auth';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { pageQuery } from '../schemas/common';
import { WebhookCreatedSchema, WebhookDeliveryParams, WebhookDeliverySchema, WebhookEndpointParams, WebhookEndpointSchema, WebhookInput, WebhookParams, webhookEventDoc } from '../schemas/webhooks';
import { dataKeys } from '../services/secrets/data-keys';
import { replayDelivery } from '../services/webhooks/deliveries';
import { createEndpoint, deleteEndpoint, deliveryView, endpointView, findDelivery, findEndpoint, listDeliveries, listEndpoints, MAX_ENDPOINTS_PER_MERCHANT } from '../services/webhooks/endpoints';
import { checkWebhookTarget, dohResolver } from '../services/webhooks/url-policy';
import { log } from '../../domain/log';
import { scheduleWebhookRetry } from '../queue/retry-message';
import { OptionalIdempotencyHeaders } from '../schemas/orders';
import { withIdempotency, withIdempotentCall } from './idempotent';
import { Text } from '../schemas/text';
import { routeResponse } from '../raw-response';

const WHO = 'Who may call: the owner or a manager of {id}; its staff and API keys get 403, another merchant 404.';

function merchantOf(c: Context<AppEnv>, merchantId: string): void {
  assertMerchantAccess(principalOf(c), merchantId, 'webhooks');
}

async function endpointOf(c: Context<AppEnv>, merchantId: string, endpointId: string) {
  merchantOf(c, merchantId);
  const endpoint = await findEndpoint(c.var.db(), merchantId, endpointId);
  if (!endpoint) throw problems.notFound('No such webhook.');
  return endpoint;
}

const create = createRoute({
  method: 'post',
  path: '/v1/merchants/{id}/webhooks',
  operationId: 'createWebhook',
  tags: ['Merchant webhooks'],
  summary: 'Register a webhook endpoint (the signing secret is shown once)',
  description: `${WHO} Outside local mode the URL must be https, without credentials, and neither it nor any address its name resolves to may be loopback, private, link-local, unique-local, CGNAT, multicast, reserved, NAT64 or an IPv4-mapped/-compatible form; wildcard-DNS names (nip.io, sslip.io, …) and names that spell such an address are refused too (422). The URL is checked again, its name resolved, before every delivery: nothing is sent to a target that fails the check or cannot be resolved then. At most ${MAX_ENDPOINTS_PER_MERCHANT} endpoints per merchant (409). Deliveries are signed per Standard Webhooks with the returned secret, which is shown in this answer only: it is stored encrypted and never shown again. Accepts Idempotency-Key: a retry with the same key and body answers the endpoint first registered, without \`secret\` (\`Idempotent-Replayed: true\`); a merchant who lost the secret deletes the endpoint and registers another.`,
  middleware: [requireAuth('merchant')] as const,
  request: {
    params: WebhookParams,
    headers: OptionalIdempotencyHeaders,
    body: { required: true, content: { 'application/json': { schema: WebhookInput } } },
  },
  responses: {
    201: {
      description: 'Registered; keep the secret (absent when the answer is an Idempotency-Key replay)',
      headers: { 'Idempotent-Replayed': { description: '`true` on a replay of the first registration, which carries no `secret`.', schema: { type: 'string' } } },
      content: { 'application/json': { schema: WebhookCreatedSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 409, 415, 422, 503),
  },
});

const list = createRoute({
  method: 'get',
  path: '/v1/merchants/{id}/webhooks',
  operationId: 'listWebhooks',
  tags: ['Merchant webhooks'],
  summary: 'The merchant’s webhook endpoints (without secrets)',
  description: WHO,
  middleware: [requireAuth('merchant')] as const,
  request: { params: WebhookParams },
  responses: {
    200: { description: 'The endpoints', content: { 'application/json': { schema: z.object({ items: z.array(WebhookEndpointSchema) }) } } },
    ...problemResponses(401, 403, 404, 503),
  },
});

const remove = createRoute({
  method: 'delete',
  path: '/v1/merchants/{id}/webhooks/{webhookId}',
  operationId: 'deleteWebhook',
  tags: ['Merchant webhooks'],
  summary: 'Remove a webhook endpoint and its delivery log',
  description: WHO,
  middleware: [requireAuth('merchant')] as const,
  request: { params: WebhookEndpointParams },
  responses: { 204: { description: 'Removed' }, ...problemResponses(401, 403, 404, 503) },
});

const deliveries = createRoute({
  method: 'get',
  path: '/v1/merchants/{id}/webhooks/{webhookId}/deliveries',
  operationId: 'listWebhookDeliveries',
  tags: ['Merchant webhooks'],
  summary: 'Delivery log: every attempt, newest first',
  description: `${WHO} Each attempt with its event, status code, latency and, when one is scheduled, the next retry. Filter one event with \`eventId\`.`,
  middleware: [requireAuth('merchant')] as const,
  request: { params: WebhookEndpointParams, query: z.object({ ...pageQuery, eventId: Text.max(64).optional() }) },
  responses: {
    200: {
      description: 'A page of attempts',
      content: { 'application/json': { schema: z.object({ items: z.array(WebhookDeliverySchema), nextCursor: z.string().nullable() }) } },
    },
    ...problemResponses(401, 403, 404, 422, 503),
  },
});

const replay = createRoute({
  method: 'post',
  path: '/v1/merchants/{id}/webhooks/{webhookId}/deliveries/{deliveryId}/replay',
  operationId: 'replayWebhookDelivery',
  tags: ['Merchant webhooks'],
  summary: 'Send a delivery’s event again, now',
  description: `${WHO} One attempt, made before answering, with the same Webhook-Id and body as the original; it is not retried automatically if it fails. Answers the new attempt. Accepts Idempotency-Key: a retry with the same key answers the attempt first made, byte for byte (\`Idempotent-Replayed: true\`), and sends nothing again.`,
  middleware: [requireAuth('merchant')] as const,
  request: { params: WebhookDeliveryParams, headers: OptionalIdempotencyHeaders },
  responses: {
    201: { description: 'The new attempt', content: { 'application/json': { schema: WebhookDeliverySchema } } },
    ...problemResponses(401, 403, 404, 409, 422, 503),
  },
});

export const merchantWebhookRoutes = createRouter()
  .openapi(create, async (c) => {
    const { id } = c.req.valid('param');
    merchantOf(c, id);
    const input = c.req.valid('json');
    // Names are resolved and every address must be public (url-policy.ts, ADR 0085). A name
    // that cannot be resolved now is accepted: every delivery resolves it again and sends nothing unless it can.
    const target = await checkWebhookTarget(input.url, { localMode: isLocalMode(c.env), resolve: dohResolver(c.env.DNS_RESOLVER_URL) });
    if (!target.ok && 'refused' in target) throw problems.validation([{ path: 'json.url', message: target.refused }]);
    if (!target.ok) log.warn('webhook registration: name not resolved now; deliveries will check it', { merchantId: id, reason: target.unresolved });
    const keys = await dataKeys(c.env.DATA_ENCRYPTION_KEYS);
    // A raw Response, so a replay is the stored bytes (the typed c.json cannot express that).
    const response = await withIdempotency(c, principalOf(c), c.req.valid('header')['idempotency-key'], input, async (tx) => {
      const created = await createEndpoint(tx, keys, id, input);
      if (created === 'too_many') throw problems.conflict('too-many-webhooks', `A merchant may register at most ${MAX_ENDPOINTS_PER_MERCHANT} webhook endpoints.`);
      const endpoint = endpointView(created.endpoint);
      // Shown once: the Idempotency-Key record keeps the endpoint without its secret (ADR 0083).
      return { status: 201, body: { ...endpoint, secret: created.secret }, replayBody: endpoint, headers: { 'Cache-Control': 'no-store' } };
    });
    return routeResponse(create, response);
  })
  .openapi(list, async (c) => {
    const { id } = c.req.valid('param');
    merchantOf(c, id);
    return c.json({ items: (await listEndpoints(c.var.db(), id)).map(endpointView) }, 200);
  })
  .openapi(remove, async (c) => {
    const { id, webhookId } = c.req.valid('param');
    merchantOf(c, id);
    if (!(await deleteEndpoint(c.var.db(), id, webhookId))) throw problems.notFound('No such webhook.');
    return c.body(null, 204);
  })
  .openapi(deliveries, async (c) => {
    const { id, webhookId } = c.req.valid('param');
    const endpoint = await endpointOf(c, id, webhookId);
    const { limit, cursor, eventId } = c.req.valid('query');
    const page = await listDeliveries(c.var.db(), endpoint.id, { limit, cursor, eventId });
    c.header('Cache-Control', 'private, no-store');
    return c.json({ items: page.items.map(deliveryView), nextCursor: page.nextCursor }, 200);
  })
  .openapi(replay, async (c) => {
    const { id, webhookId, deliveryId } = c.req.valid('param');
    const endpoint = await endpointOf(c, id, webhookId);
    const delivery = await findDelivery(c.var.db(), endpoint.id, deliveryId);
    if (!delivery) throw problems.notFound('No such delivery.');
    const response = await withIdempotentCall(c, principalOf(c), c.req.valid('header')['idempotency-key'], {}, async () => {
      const made = await replayDelivery(
        {
          db: c.var.db(),
          localMode: isLocalMode(c.env),
          resolve: dohResolver(c.env.DNS_RESOLVER_URL),
          encryptionKeys: c.env.DATA_ENCRYPTION_KEYS,
          scheduleRetry: (endpointId, eventId, delaySeconds) => scheduleWebhookRetry(c.env.EVENTS, endpointId, eventId, delaySeconds),
        },
        endpoint,
        delivery,
      );
      return { status: 201, body: deliveryView(made) };
    });
    return routeResponse(replay, response);
  });

// What a registered endpoint receives: the document's `webhooks` entry (OpenAPI 3.1).
merchantWebhookRoutes.openAPIRegistry.registerWebhook(webhookEventDoc);
