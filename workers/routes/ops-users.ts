/**
 * DELETE /v1/ops/users/{userId}/sessions: an operator ends every session of
 * an account at once (a stolen phone, an account taken over, a member of
 * staff who left without being removed): refresh tokens revoked, access
 * tokens refused from the next request, live sockets closed with 4401
 * (ADR 0082). The account itself stays; its owner signs in again (and should
 * change its password). Who may call: ops and admin (everyone else 403).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { principalOf, requireAuth, sessionsOf, withSessions } from '../middleware/auth';
import { clientIp } from '../middleware/rate-limit';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { IdText } from '../schemas/text';
import { actorOf, recordAudit } from '../services/audit';
import { loadIdentity } from '../services/auth/accounts';
import { endAllSessions } from '../services/auth/revocation';
import { revokeAllSessions } from '../services/auth/sessions';
import { liveSocketCloser } from '../services/auth/socket-revocation';

const endSessions = createRoute({
  method: 'delete',
  path: '/v1/ops/users/{userId}/sessions',
  operationId: 'endUserSessions',
  tags: ['Operations'],
  summary: 'End every session of an account at once',
  description:
    'Who may call: ops and admin. Every refresh token of the account is revoked, every access token refused from its next request (401), its live feed and driver sockets closed with 4401. The account stays: its owner signs in again. Audited (operator.sessions_revoked). Unknown or erased account: 404.',
  middleware: [requireAuth('ops', 'admin')] as const,
  request: { params: z.object({ userId: IdText.openapi({ param: { name: 'userId', in: 'path' }, example: 'usr_0h3k9x2m4p6r8t0v2x4z' }) }) },
  responses: {
    200: {
      description: 'Ended',
      content: { 'application/json': { schema: z.object({ userId: z.string(), sessionsEnded: z.number().int(), refreshTokensRevoked: z.number().int() }).openapi('SessionsEnded') } },
    },
    ...problemResponses(401, 403, 404, 503),
  },
});

export const opsUserRoutes = createRouter().openapi(endSessions, async (c) => {
  const { userId } = c.req.valid('param');
  const db = c.var.db();
  const identity = await loadIdentity(db, userId);
  if (!identity || identity.status !== 'active') throw problems.notFound('No such account.');
  const holder = { userId, ...(identity.merchantId ? { merchantIds: [identity.merchantId] } : {}), ...(identity.driverId ? { driverId: identity.driverId } : {}) };
  const sids = await withSessions(() => endAllSessions({ sessions: sessionsOf(c), sockets: liveSocketCloser(c.env, db) }, holder, 'operator'));
  const refreshTokensRevoked = await revokeAllSessions(db, userId);
  await recordAudit(db, {
    actor: actorOf(principalOf(c)),
    action: 'operator.sessions_revoked',
    target: { type: 'user', id: userId },
    ip: clientIp(c),
    requestId: c.var.requestId,
    metadata: { sessionsEnded: sids.length, refreshTokensRevoked },
  });
  return c.json({ userId, sessionsEnded: sids.length, refreshTokensRevoked }, 200);
});
