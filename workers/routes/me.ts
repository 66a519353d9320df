/**
 * GET /v1/me: the caller; POST /v1/me/password: change the caller's password
 * (every session ends, a new one is returned). (The other /v1/me/* routes —
 * preferences, devices, export, erasure — live with their own domains.)
 */
import { createRoute, z } from '@hono/zod-openapi';
import { principalOf, requireAuth, sessionsOf, withSessions } from '../middleware/auth';
import { clientIp, limiterOf, throttled, withLimiter } from '../middleware/rate-limit';
import { createRouter, problemResponses } from '../openapi';
import { Problem, problems } from '../problem';
import { PasswordSchema, SessionSchema, UserSchema } from '../schemas/identity';
import { actorOf } from '../services/audit';
import { loadIdentity, loadUserView } from '../services/auth/accounts';
import { changePassword } from '../services/auth/password-change';
import { liveSocketCloser } from '../services/auth/socket-revocation';
import { MAX_PASSWORD_LENGTH } from '../services/auth/password';
import { newSessionBody } from './auth';
import { sessionBody } from './session-answers';
import { kickOutboxRelay } from '../services/outbox-relay';

const getMe = createRoute({
  method: 'get',
  path: '/v1/me',
  operationId: 'getMe',
  tags: ['Identity'],
  summary: 'The signed-in user, with role and merchantId / driverId',
  description:
    'Who may call: any signed-in user (access token). A merchant API key is not a user and gets 403. Read from the database, so a role or membership change shows here at once, and in the access token at the next refresh.',
  middleware: [requireAuth()] as const,
  responses: {
    200: { description: 'The caller', content: { 'application/json': { schema: UserSchema } } },
    ...problemResponses(401, 403),
  },
});

const PasswordChangeSchema = z
  .object({
    currentPassword: z.string().min(1).max(MAX_PASSWORD_LENGTH).openapi({ description: 'The password in use now (asked again: a stolen access token alone cannot change it).' }),
    newPassword: PasswordSchema,
  })
  .openapi('PasswordChange');

const changeMyPassword = createRoute({
  method: 'post',
  path: '/v1/me/password',
  operationId: 'changePassword',
  tags: ['Identity'],
  summary: "Change the caller's password; every session ends",
  description:
    'Who may call: any signed-in user (access token; an API key gets 403). The current password is asked again: a wrong one is 403 `wrong-password`, and after 5 wrong ones in 15 minutes the route answers 429 with Retry-After. ' +
    'On success every session of the account ends at once — refresh tokens revoked, access tokens refused from the next request (401), live sockets closed with 4401 — and the answer is a new session (tokens) for the caller. The owner is told by email. Audited (auth.password_change).',
  middleware: [requireAuth()] as const,
  request: { body: { required: true, content: { 'application/json': { schema: PasswordChangeSchema } } } },
  responses: {
    200: { description: 'Changed; a new session for the caller', content: { 'application/json': { schema: SessionSchema } } },
    ...problemResponses(400, 401, 403, 409, 413, 415, 422, 429, 503),
  },
});

export const meRoutes = createRouter()
  .openapi(changeMyPassword, async (c) => {
    const principal = principalOf(c);
    if (principal.type !== 'user') throw problems.forbidden('A merchant API key has no password.');
    const db = c.var.db();
    const holder = { userId: principal.userId, ...(principal.merchantId ? { merchantIds: [principal.merchantId] } : {}), ...(principal.driverId ? { driverId: principal.driverId } : {}) };
    const outcome = await withLimiter(
      () =>
        withSessions(() =>
          changePassword(
            { db, limiter: limiterOf(c), revocation: { sessions: sessionsOf(c), sockets: liveSocketCloser(c.env, db) }, audit: { actor: actorOf(principal), ip: clientIp(c), requestId: c.var.requestId } },
            holder,
            c.req.valid('json'),
          ),
        ),
      'Password changes are briefly unavailable; try again shortly.',
    );
    switch (outcome.kind) {
      case 'throttled':
        return throttled(outcome.retryAfterSeconds);
      case 'wrong_password':
        throw new Problem(403, 'wrong-password', 'The current password is incorrect.');
      case 'same_password':
        throw problems.validation([{ path: 'json.newPassword', message: 'Choose a password other than the current one.' }]);
      case 'no_password':
        throw problems.conflict('no-password', 'This account has no password to change.');
      case 'ok': {
        const identity = await loadIdentity(db, principal.userId);
        if (!identity || identity.status !== 'active') throw problems.unauthorized('The account no longer exists.');
        kickOutboxRelay(c.env, c.executionCtx); // the owner's email about the change
        c.header('Cache-Control', 'no-store');
        // The web apps (X-Session-App) get the new session in their cookies (ADR 0087).
        return c.json(await sessionBody(c, await newSessionBody(c, identity, Promise.resolve(outcome.refresh)), identity.role, { replacing: false }), 200);
      }
    }
  })
  .openapi(getMe, async (c) => {
  const principal = principalOf(c);
  if (principal.type !== 'user') throw problems.forbidden('A merchant API key is not a user.');
  const db = c.var.db();
  const identity = await loadIdentity(db, principal.userId);
  const user = identity && identity.status === 'active' ? await loadUserView(db, identity) : undefined;
  if (!user) throw problems.unauthorized('The account no longer exists.');
  c.header('Cache-Control', 'private, no-store');
  return c.json(user, 200);
});
