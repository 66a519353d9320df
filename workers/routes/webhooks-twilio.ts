/**
 * POST /v1/webhooks/twilio/status: Twilio's message status callback (the
 * StatusCallback URL given with every SMS). Who may call: Twilio, proven by
 * `X-Twilio-Signature` (HMAC-SHA1 of the URL and the sorted form fields with
 * the auth token), checked with the SDK's own `validateRequest`. The full
 * SDK is not loaded here: `twilio/lib/webhooks/webhooks` is a small module.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { validateRequest } from 'twilio/lib/webhooks/webhooks';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { createRouter, problemResponses } from '../openapi';
import { Problem, problems } from '../problem';
import { recordDeliveryFailure } from '../services/notifications/fallback';
import { applyProviderStatus } from '../services/notifications/log';
import { kickOutboxRelay } from '../services/outbox-relay';

const TwilioStatusForm = z
  .looseObject({
    MessageSid: z.string().optional(),
    MessageStatus: z.string().optional().openapi({ example: 'delivered' }),
    AccountSid: z.string().optional(),
    ErrorCode: z.string().optional(),
  })
  .openapi('TwilioStatusCallback');

/**
 * Runs before the body is validated: a request that is not Twilio's is a 403
 * whatever it carries, never a validation error that tells a prober which
 * fields matter.
 */
const twilioSignature = createMiddleware<AppEnv>(async (c, next) => {
  const isForm = (c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded');
  const params: Record<string, string> = {};
  if (isForm) for (const [k, v] of Object.entries(await c.req.parseBody())) if (typeof v === 'string') params[k] = v;
  const signature = c.req.header('x-twilio-signature') ?? '';
  // Twilio signs the URL it was given, which is built from PUBLIC_BASE_URL (proxies may rewrite the host we see).
  const url = `${c.env.PUBLIC_BASE_URL.replace(/\/+$/, '')}${c.req.path}${new URL(c.req.url).search}`;
  if (!isForm || !signature || !validateRequest(c.env.TWILIO_AUTH_TOKEN, signature, url, params)) {
    throw new Problem(403, 'invalid-signature', 'The X-Twilio-Signature header does not match this request.');
  }
  if (params.AccountSid !== c.env.TWILIO_ACCOUNT_SID) throw new Problem(403, 'invalid-signature', 'The callback is for another account.');
  await next();
});

const route = createRoute({
  method: 'post',
  path: '/v1/webhooks/twilio/status',
  operationId: 'receiveTwilioStatus',
  tags: ['Webhooks (providers)'],
  summary: 'Twilio SMS delivery status callback',
  description:
    'Who may call: Twilio. The X-Twilio-Signature header must match the URL (PUBLIC_BASE_URL + path) and the form fields signed with the account’s auth token; otherwise 403 and nothing changes (checked before anything else). `delivered` marks the notification log entry delivered; `undelivered`/`failed` mark it failed and, once, hand the message to the next channel the recipient allows when its rule sends on one channel only (a rule that uses every allowed channel has nothing left to add).',
  security: [],
  middleware: [twilioSignature] as const,
  request: { body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: TwilioStatusForm } } } },
  responses: {
    204: { description: 'Recorded (or nothing to record)' },
    ...problemResponses(403, 422),
  },
});

export const twilioWebhookRoutes = createRouter().openapi(route, async (c) => {
  const params = c.req.valid('form') as Record<string, unknown>;
  const text = (k: string) => (typeof params[k] === 'string' ? (params[k] as string) : undefined);
  const sid = text('MessageSid') ?? text('SmsSid');
  const status = text('MessageStatus') ?? text('SmsStatus');
  if (!sid || !status) throw problems.validation([{ path: 'form.MessageSid', message: 'MessageSid and MessageStatus are required' }]);
  if (status === 'delivered') await applyProviderStatus(c.var.db(), 'twilio', sid, 'delivered');
  else if (status === 'undelivered' || status === 'failed') {
    const code = text('ErrorCode');
    // The failure and its fallback (the next allowed channel, once) commit together.
    const failed = await recordDeliveryFailure(c.var.db(), 'twilio', sid, `twilio: ${status}${code ? ` (error ${code})` : ''}`);
    if (failed > 0) kickOutboxRelay(c.env, c.executionCtx);
  }
  return c.body(null, 204);
});
