import { z } from '@hono/zod-openapi';
import { PUBLIC_EVENT_TYPES } from '../services/events/envelope';

const idParam = (name: string, example: string) => z.string().min(1).max(64).openapi({ param: { name, in: 'path' }, example });

export const WebhookParams = z.object({ id: idParam('id', 'mer_0h3k9x2m4p6r8t0v2x4z') });
export const WebhookEndpointParams = WebhookParams.extend({ webhookId: idParam('webhookId', 'whk_0h3k9x2m4p6r8t0v2x4z') });
export const WebhookDeliveryParams = WebhookEndpointParams.extend({ deliveryId: idParam('deliveryId', 'whd_0h3k9x2m4p6r8t0v2x4z') });

export const WebhookEventType = z.enum([...PUBLIC_EVENT_TYPES, '*']);

export const WebhookInput = z
  .object({
    url: z.string().trim().min(1).max(2048).openapi({ example: 'https://merchant.example.com/hooks/delivery' }),
    events: z.array(WebhookEventType).min(1).max(PUBLIC_EVENT_TYPES.length + 1).openapi({ description: 'Event types, or ["*"] for all.' }),
    description: z.string().trim().max(200).optional(),
  })
  .strict()
  .openapi('WebhookInput');

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
  secret: z.string().openapi({ description: 'whsec_<base64>: shown once, keep it to verify signatures.', example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }),
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
