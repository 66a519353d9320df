/**
 * GET /v1/dev/outbox: local mode only (APP_ENV local or test). Every message
 * that would have been sent, with its rendered text. Outside local mode the
 * route answers 404 like any unknown path.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { isLocalMode } from '../env';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { DevMessageSchema } from '../schemas/notifications';
import { listCapturedMessages } from '../services/notifications/dev-outbox';
import { Text } from '../schemas/text';

const route = createRoute({
  method: 'get',
  path: '/v1/dev/outbox',
  operationId: 'listDevOutbox',
  tags: ['Local mode only'],
  summary: 'Messages that would have been sent (local mode only)',
  description:
    'Who may call: anyone, in local mode only; 404 everywhere else. The newest 500 matching messages, oldest first. `to` is a phone number, an email address or a push token, matched exactly.',
  security: [],
  request: {
    query: z.object({
      orderId: Text.max(64).optional(),
      to: Text.max(320).optional(),
    }),
  },
  responses: {
    200: { description: 'The messages', content: { 'application/json': { schema: z.object({ items: z.array(DevMessageSchema) }) } } },
    ...problemResponses(404, 422, 503),
  },
});

export const devOutboxRoutes = createRouter().openapi(route, async (c) => {
  if (!isLocalMode(c.env)) throw problems.notFound(`No route for GET ${c.req.path}.`);
  const { orderId, to } = c.req.valid('query');
  const rows = await listCapturedMessages(c.var.db(), { ...(orderId ? { orderId } : {}), ...(to ? { to } : {}) });
  c.header('Cache-Control', 'no-store');
  return c.json(
    {
      items: rows.map((m) => ({
        id: m.id,
        channel: m.channel,
        to: m.to,
        event: m.event,
        locale: m.locale,
        ...(m.subject !== null ? { subject: m.subject } : {}),
        body: m.body,
        ...(m.orderId !== null ? { orderId: m.orderId } : {}),
        at: m.at.toISOString(),
      })),
    },
    200,
  );
});
