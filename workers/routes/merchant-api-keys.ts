/**
 * /v1/merchants/{id}/api-keys: the owner's server-to-server credentials.
 * Who may call: the merchant owner of {id}, with an access token. Staff
 * accounts and API keys of {id} get 403; anyone acting for another merchant
 * gets 404 (that merchant's keys are not theirs to know about); customers,
 * drivers and operators get 403.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { assertMerchantAccess, principalOf, requireAuth } from '../middleware/auth';
import { clientIp } from '../middleware/rate-limit';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { pageQuery } from '../schemas/common';
import { actorOf } from '../services/audit';
import { insertApiKey, listApiKeys, revokeApiKey } from '../services/auth/api-keys';
import { OptionalIdempotencyHeaders } from '../schemas/orders';
import { withIdempotency } from './idempotent';
import { IdText, Text } from '../schemas/text';
import { routeResponse } from '../raw-response';

const MerchantParam = z.object({
  id: IdText.openapi({ param: { name: 'id', in: 'path' }, example: 'mer_0h3k9x2m4p6r8t0v2x4z' }),
});
const KeyParams = MerchantParam.extend({
  keyId: IdText.openapi({ param: { name: 'keyId', in: 'path' }, example: 'key_0h3k9x2m4p6r8t0v2x4z' }),
});

const ApiKeySchema = z
  .object({
    id: z.string(),
    prefix: z.string().openapi({ description: 'The visible start of the key, to tell keys apart.', example: 'dpk_7f3k9x2m' }),
    name: z.string().nullable(),
    createdAt: z.string().openapi({ format: 'date-time' }),
    lastUsedAt: z.string().nullable().openapi({ format: 'date-time' }),
    revokedAt: z.string().nullable().openapi({ format: 'date-time' }),
  })
  .openapi('ApiKey');

const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z
    .string()
    .optional()
    .openapi({ description: 'The key itself. Shown in the first answer only: only its hash is stored, and an Idempotency-Key replay answers the key without it.', example: 'dpk_7f3k9x2m_…' }),
}).openapi('CreatedApiKey');

const who = 'Who may call: the merchant owner of {id}. Staff and API keys of {id}: 403; another merchant: 404; other roles: 403.';

const create = createRoute({
  method: 'post',
  path: '/v1/merchants/{id}/api-keys',
  operationId: 'createApiKey',
  tags: ['Identity'],
  summary: 'Create an API key (shown once)',
  description: `${who} Audited (api_key.create). Accepts Idempotency-Key: a retry with the same key and body answers the key first created, without \`key\` (\`Idempotent-Replayed: true\`), and creates no other; the same key with another body is a 409 \`idempotency-key-reused\`.`,
  middleware: [requireAuth('merchant')] as const,
  request: {
    params: MerchantParam,
    headers: OptionalIdempotencyHeaders,
    body: {
      required: false,
      content: { 'application/json': { schema: z.object({ name: Text.trim().max(80).optional() }).openapi('NewApiKey') } },
    },
  },
  responses: {
    201: { description: 'The key, shown this once', content: { 'application/json': { schema: CreatedApiKeySchema } } },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422),
  },
});

const list = createRoute({
  method: 'get',
  path: '/v1/merchants/{id}/api-keys',
  operationId: 'listApiKeys',
  tags: ['Identity'],
  summary: 'List API keys (prefixes only, never the keys)',
  description: who,
  middleware: [requireAuth('merchant')] as const,
  request: { params: MerchantParam, query: z.object(pageQuery) },
  responses: {
    200: {
      description: 'Keys, oldest first',
      content: { 'application/json': { schema: z.object({ items: z.array(ApiKeySchema), nextCursor: z.string().nullable() }) } },
    },
    ...problemResponses(401, 403, 404, 422),
  },
});

const revoke = createRoute({
  method: 'delete',
  path: '/v1/merchants/{id}/api-keys/{keyId}',
  operationId: 'revokeApiKey',
  tags: ['Identity'],
  summary: 'Revoke an API key',
  description: `${who} Revoking a revoked key answers 204 again. Audited (api_key.revoke).`,
  middleware: [requireAuth('merchant')] as const,
  request: { params: KeyParams },
  responses: {
    204: { description: 'Revoked; the key no longer authenticates' },
    ...problemResponses(401, 403, 404, 422),
  },
});

export const merchantApiKeyRoutes = createRouter()
  .openapi(create, async (c) => {
    const { id } = c.req.valid('param');
    const principal = principalOf(c);
    assertMerchantAccess(principal, id, 'api_keys');
    if (principal.type !== 'user') throw problems.forbidden();
    const body = c.req.valid('json') ?? {};
    const audit = { actor: actorOf(principal), ip: clientIp(c), requestId: c.var.requestId };
    const response = await withIdempotency(c, principal, c.req.valid('header')['idempotency-key'], body, async (tx) => {
      const { view, key } = await insertApiKey(tx, id, { name: body.name, createdBy: principal.userId }, audit);
      // Shown once: the Idempotency-Key record keeps the key's view without the key (as webhook secrets, ADR 0083).
      return { status: 201, body: { ...view, key }, replayBody: view, headers: { 'Cache-Control': 'no-store' } };
    });
    // A raw Response, so a replay is the stored bytes (the typed c.json cannot express that).
    return routeResponse(create, response);
  })
  .openapi(list, async (c) => {
    const { id } = c.req.valid('param');
    assertMerchantAccess(principalOf(c), id, 'api_keys');
    const page = await listApiKeys(c.var.db(), id, c.req.valid('query'));
    if ('kind' in page) throw problems.validation([{ path: 'query.cursor', message: 'Not a cursor from this list.' }]);
    return c.json(page, 200);
  })
  .openapi(revoke, async (c) => {
    const { id, keyId } = c.req.valid('param');
    const principal = principalOf(c);
    assertMerchantAccess(principal, id, 'api_keys');
    const result = await revokeApiKey(c.var.db(), id, keyId, { actor: actorOf(principal), ip: clientIp(c), requestId: c.var.requestId });
    if (result === 'not_found') throw problems.notFound('No such API key.');
    return c.body(null, 204);
  });
