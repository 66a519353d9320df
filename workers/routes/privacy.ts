/**
 * GET /v1/me/export and DELETE /v1/me: the caller's GDPR rights of access and
 * portability (Art. 15/20) and of erasure (Art. 17). See workers/services/privacy.ts.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { principalOf, requireAuth, sessionsOf, withSessions } from '../middleware/auth';
import { liveSocketCloser } from '../services/auth/socket-revocation';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { recordAudit, userActor } from '../services/audit';
import { erasePersonalData, exportPersonalData } from '../services/privacy';

const exportMe = createRoute({
  method: 'get',
  path: '/v1/me/export',
  operationId: 'exportMe',
  tags: ['Your data'],
  summary: 'Everything held about the caller (GDPR Art. 15/20), as JSON',
  description:
    'Who may call: any signed-in user, for itself only. Answered as a download (Content-Disposition). Holds the profile, notification preferences, devices, driver and merchant roles, orders (items, own delivery contact, status history, own payment, how the handover was proven, delivery photos with their URLs, the order’s chat: a customer’s thread with the driver, a driver’s own messages), refunds and sign-in activity.',
  middleware: [requireAuth()] as const,
  responses: {
    200: { description: 'The export', content: { 'application/json': { schema: z.object({ exportedAt: z.string(), user: z.object({ id: z.string(), role: z.string() }).passthrough() }).passthrough() } } },
    ...problemResponses(401, 403),
  },
});

const eraseMe = createRoute({
  method: 'delete',
  path: '/v1/me',
  operationId: 'deleteMe',
  tags: ['Your data'],
  summary: 'Erase the caller (GDPR Art. 17)',
  description:
    'Who may call: any signed-in user, for itself only. Personal data is deleted or blanked; orders, payments and logs kept for legal reasons lose the link to the person. Refused with 409 while an order of the caller is in progress (`order-in-progress`), or while the caller owns a business (`owner-of-business`: hand it to a member with POST /v1/merchants/{id}/ownership-transfer, or close it with POST /v1/merchants/{id}/close, first).',
  middleware: [requireAuth()] as const,
  responses: {
    204: { description: 'Erased; every session of the account has ended: its access tokens get 401 from the next request, its live sockets are closed with 4401' },
    ...problemResponses(401, 403, 409),
  },
});

const userIdOf = (c: Parameters<typeof principalOf>[0]) => {
  const principal = principalOf(c);
  if (principal.type !== 'user') throw problems.forbidden('A merchant API key is not a person.');
  return principal;
};

export const privacyRoutes = createRouter()
  .openapi(exportMe, async (c) => {
    const principal = userIdOf(c);
    const data = await exportPersonalData(c.var.db(), principal.userId, c.env.PUBLIC_BASE_URL);
    if (!data) throw problems.unauthorized('The account no longer exists.');
    c.header('Cache-Control', 'private, no-store');
    c.header('Content-Disposition', `attachment; filename="my-data-${principal.userId}.json"`);
    return c.json(data, 200);
  })
  .openapi(eraseMe, async (c) => {
    const principal = userIdOf(c);
    const db = c.var.db();
    await withSessions(() => erasePersonalData(db, principal.userId, c.env.PROOF_PHOTOS, { sessions: sessionsOf(c), sockets: liveSocketCloser(c.env, db) }));
    // No personal data in the entry: the id now names nobody.
    await recordAudit(db, { actor: userActor(principal.userId, principal.role), action: 'account.erased', target: { type: 'user', id: principal.userId }, requestId: c.var.requestId });
    return c.body(null, 204);
  });
