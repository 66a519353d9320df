import { z, type RouteConfig } from '@hono/zod-openapi';
import { PUBLIC_EVENT_TYPES } from '../services/events/envelope';
import { OrderSchema } from './orders';
import { IdText, Text } from './text';

const idParam = (name: string, example: string) => IdText.openapi({ param: { name, in: 'path' }, example });

export const WebhookParams = z.object({ id: idParam('id', 'mer_0h3k9x2m4p6r8t0v2x4z') });
export const WebhookEndpointParams = WebhookParams.extend({ webhookId: idParam('webhookId', 'whk_0h3k9x2m4p6r8t0v2x4z') });
export const WebhookDeliveryParams = WebhookEndpointParams.extend({ deliveryId: idParam('deliveryId', 'whd_0h3k9x2m4p6r8t0v2x4z') });

export const WebhookEventType = z.enum([...PUBLIC_EVENT_TYPES, '*']);

/** How a delivery's body reads (ADR 0045), for the registration's description and the document's `webhooks`. */
export const WEBHOOK_BODY_DESCRIPTION =
  'Each delivery POSTs `{ id, type, createdAt, seq, data: { order } }`. `data.order` is the order exactly as GET /v1/orders/{id} shows it to the merchant, ' +
  'as it was at that event (not when the delivery is sent); `seq` is that event’s seq (also `data.order.seq`). A payment event carries the order as of its ' +
  'latest event when the payment event was first handled, and that seq. Deliveries of one order to one endpoint go out in seq order: a later event waits ' +
  'while an earlier one the endpoint subscribed to is not yet delivered, at most 10 minutes, or until the earlier one is dead. Every attempt of an event ' +
  'sends the same bytes; keep the highest seq seen per order and ignore anything lower.';

export const WebhookEventSchema = z
  .object({
    id: z.string().openapi({ description: 'The event id, also the Webhook-Id header: the same on every attempt and replay.', example: 'obx_0h3k9x2m4p6r8t0v2x4z' }),
    type: z.enum(PUBLIC_EVENT_TYPES),
    createdAt: z.string().openapi({ format: 'date-time', description: 'When the event happened.' }),
    seq: z.number().int().min(1).openapi({ description: 'The order event’s seq (GET /v1/orders/{id}/events), equal to `data.order.seq`.' }),
    data: z.object({ order: OrderSchema.openapi({ description: 'The order as GET /v1/orders/{id} shows it to the merchant, as of this event.' }) }),
  })
  .openapi('WebhookEvent', { description: WEBHOOK_BODY_DESCRIPTION });

/** The document's `webhooks` entry for what a merchant endpoint receives (registered by the webhooks router). */
export const webhookEventDoc = {
  method: 'post',
  path: 'order-event',
  operationId: 'receiveOrderEvent',
  summary: 'What a registered endpoint receives, signed per Standard Webhooks',
  description: WEBHOOK_BODY_DESCRIPTION,
  request: { body: { content: { 'application/json': { schema: WebhookEventSchema } } } },
  responses: { 200: { description: 'Any 2xx: delivered. Anything else (redirects included) is retried with backoff for 24 h.' } },
} satisfies RouteConfig;

export const WebhookInput = z
  .object({
    url: Text.trim().min(1).max(2048).openapi({ example: 'https://merchant.example.com/hooks/delivery' }),
    events: z.array(WebhookEventType).min(1).max(PUBLIC_EVENT_TYPES.length + 1).openapi({ description: 'Event types, or ["*"] for all.' }),
    description: Text.trim().max(200).optional(),
  })
  .strict()
  .openapi('WebhookInput', { description: WEBHOOK_BODY_DESCRIPTION });

export const WebhookEndpointSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    active: z.boolean(),
    createdAt: z.string(),
  })
  .openapi('WebhookEndpoint');

export const WebhookCreatedSchema = WebhookEndpointSchema.extend({
  secret: z
    .string()
    .optional()
    .openapi({
      description:
        'whsec_<base64>: shown in the first answer only, keep it to verify signatures. Stored encrypted; an Idempotency-Key replay of the registration answers the endpoint without it.',
      example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    }),
}).openapi('WebhookCreated');

export const WebhookDeliverySchema = z
  .object({
    id: z.string(),
    eventId: z.string().openapi({ description: 'The Webhook-Id header: the same on every attempt of the event.' }),
    event: z.string().openapi({ example: 'order.placed' }),
    attempt: z.number().int(),
    trigger: z.enum(['event', 'retry', 'replay']),
    status: z.enum(['pending', 'succeeded', 'failed', 'dead']).openapi({ description: '`dead`: retries exhausted (24 h); only a replay sends it again.' }),
    statusCode: z.number().int().nullable().openapi({ description: 'What the receiver answered; null when it could not be reached.' }),
    latencyMs: z.number().int().nullable(),
    error: z.string().nullable(),
    nextRetryAt: z.string().nullable().openapi({ description: 'When the next automatic attempt is due, if one is.' }),
    createdAt: z.string(),
  })
  .openapi('WebhookDelivery');
