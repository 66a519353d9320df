/**
 * POST /v1/webhooks/twilio/status: Twilio's message status callback (the
 * StatusCallback URL given with every SMS). Who may call: Twilio, proven by
 * `X-Twilio-Signature` (HMAC-SHA1 of the URL and the sorted form fields with
 * the auth token), checked with the SDK's own `validateRequest`. The full
 * SDK is not loaded here: `twilio/lib/webhooks/webhooks` is a small module.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { validateRequest } from 'twilio/lib/webhooks/webhooks';
import { createRouter, problemResponses } from '../openapi';
import { Problem, problems } from '../problem';
import { applyProviderStatus } from '../services/notifications/log';

const TwilioStatusForm = z
  .looseObject({
    MessageSid: z.string().optional(),
    MessageStatus: z.string().optional().openapi({ example: 'delivered' }),
    AccountSid: z.string().optional(),
    ErrorCode: z.string().optional(),
  })
  .openapi('TwilioStatusCallback');

const route = createRoute({
  method: 'post',
  path: '/v1/webhooks/twilio/status',
  tags: ['Webhooks (providers)'],
  summary: 'Twilio SMS delivery status callback',
  description:
    'Who may call: Twilio. The X-Twilio-Signature header must match the URL (PUBLIC_BASE_URL + path) and the form fields signed with the account’s auth token; otherwise 403 and nothing changes. `delivered` marks the notification log entry delivered; `undelivered`/`failed` mark it failed.',
  security: [],
  // Not `required`: the signature is checked before anything else, so a call
  // without Twilio's form is a 403, never a validation error that would tell
  // a prober which fields matter.
  request: { body: { required: false, content: { 'application/x-www-form-urlencoded': { schema: TwilioStatusForm } } } },
  responses: {
    204: { description: 'Recorded (or nothing to record)' },
    ...problemResponses(403, 422),
  },
});

export const twilioWebhookRoutes = createRouter().openapi(route, async (c) => {
  const isForm = (c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded');
  const params: Record<string, string> = {};
  if (isForm) for (const [k, v] of Object.entries(await c.req.parseBody())) if (typeof v === 'string') params[k] = v;
  const signature = c.req.header('x-twilio-signature') ?? '';
  // Twilio signs the URL it was given, which is built from PUBLIC_BASE_URL (proxies may rewrite the host we see).
  const url = `${c.env.PUBLIC_BASE_URL.replace(/\/+$/, '')}${c.req.path}${new URL(c.req.url).search}`;
  if (!signature || !validateRequest(c.env.TWILIO_AUTH_TOKEN, signature, url, params)) {
    throw new Problem(403, 'invalid-signature', 'The X-Twilio-Signature header does not match this request.');
  }
  if (params.AccountSid !== c.env.TWILIO_ACCOUNT_SID) throw new Problem(403, 'invalid-signature', 'The callback is for another account.');
  const sid = params.MessageSid ?? params.SmsSid;
  const status = params.MessageStatus ?? params.SmsStatus;
  if (!sid || !status) throw problems.validation([{ path: 'form.MessageSid', message: 'MessageSid and MessageStatus are required' }]);
  if (status === 'delivered') await applyProviderStatus(c.var.db(), 'twilio', sid, 'delivered');
  else if (status === 'undelivered' || status === 'failed') {
    await applyProviderStatus(c.var.db(), 'twilio', sid, 'failed', `twilio: ${status}${params.ErrorCode ? ` (error ${params.ErrorCode})` : ''}`);
  }
  return c.body(null, 204);
});
