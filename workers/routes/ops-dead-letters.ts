/**
 * /v1/ops/dead-letters: queue messages the consumers gave up on, for
 * operators to inspect and replay once the cause is fixed. Who may call:
 * ops and admin only (everyone else 403).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { requireAuth } from '../middleware/auth';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { pageQuery } from '../schemas/common';
import { listDeadLetters, replayDeadLetter } from '../queue/dead-letters';
import type { DeadLetter } from '../../db/schema/index';
import { IdText } from '../schemas/text';

const DeadLetterSchema = z
  .object({
    id: z.string(),
    queue: z.string().openapi({ example: 'delivery-events' }),
    messageId: z.string(),
    body: z.unknown().openapi({ description: 'The message as it was on the queue (an event envelope, or a shard fact).' }),
    error: z.string().nullable(),
    attempts: z.number().int(),
    createdAt: z.string(),
    replayedAt: z.string().nullable(),
  })
  .openapi('DeadLetter');

const view = (d: DeadLetter) => ({
  id: d.id,
  queue: d.queue,
  messageId: d.messageId,
  body: d.body,
  error: d.error,
  attempts: d.attempts,
  createdAt: d.createdAt.toISOString(),
  replayedAt: d.replayedAt?.toISOString() ?? null,
});

const list = createRoute({
  method: 'get',
  path: '/v1/ops/dead-letters',
  operationId: 'listDeadLetters',
  tags: ['Operations'],
  summary: 'Parked queue messages, newest first',
  description: 'Who may call: ops and admin. `pending=true` lists only those not replayed yet.',
  middleware: [requireAuth('ops', 'admin')] as const,
  request: { query: z.object({ ...pageQuery, pending: z.enum(['true', 'false']).optional() }) },
  responses: {
    200: {
      description: 'A page of dead letters',
      content: { 'application/json': { schema: z.object({ items: z.array(DeadLetterSchema), nextCursor: z.string().nullable() }) } },
    },
    ...problemResponses(401, 403, 422, 503),
  },
});

const replay = createRoute({
  method: 'post',
  path: '/v1/ops/dead-letters/{id}/replay',
  operationId: 'replayDeadLetter',
  tags: ['Operations'],
  summary: 'Put a parked message back on its queue',
  description:
    'Who may call: ops and admin. The body is sent again as it was; consumers are idempotent, so anything already done is not done twice. A message already replayed is 409 (if it fails again it is parked as a new dead letter).',
  middleware: [requireAuth('ops', 'admin')] as const,
  request: { params: z.object({ id: IdText.openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: {
    202: { description: 'Sent to the queue', content: { 'application/json': { schema: DeadLetterSchema } } },
    ...problemResponses(401, 403, 404, 409, 503),
  },
});

export const opsDeadLetterRoutes = createRouter()
  .openapi(list, async (c) => {
    const { limit, cursor, pending } = c.req.valid('query');
    const page = await listDeadLetters(c.var.db(), { limit, ...(cursor ? { cursor } : {}), pending: pending === 'true' });
    c.header('Cache-Control', 'no-store');
    return c.json({ items: page.items.map(view), nextCursor: page.nextCursor }, 200);
  })
  .openapi(replay, async (c) => {
    const outcome = await replayDeadLetter(c.var.db(), c.env.EVENTS, c.req.valid('param').id);
    if (outcome.result === 'missing') throw problems.notFound('No such dead letter.');
    if (outcome.result === 'already') {
      throw problems.conflict('already-replayed', `This message was replayed at ${outcome.row.replayedAt?.toISOString()}.`);
    }
    return c.json(view(outcome.row), 202);
  });
