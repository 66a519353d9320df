/**
 * GET /v1/me: the caller. (The other /v1/me/* routes — preferences, devices,
 * export, erasure — live with their own domains.)
 */
import { createRoute } from '@hono/zod-openapi';
import { principalOf, requireAuth } from '../middleware/auth';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { UserSchema } from '../schemas/identity';
import { loadIdentity, loadUserView } from '../services/auth/accounts';

const getMe = createRoute({
  method: 'get',
  path: '/v1/me',
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

export const meRoutes = createRouter().openapi(getMe, async (c) => {
  const principal = principalOf(c);
  if (principal.type !== 'user') throw problems.forbidden('A merchant API key is not a user.');
  const db = c.var.db();
  const identity = await loadIdentity(db, principal.userId);
  const user = identity && identity.status === 'active' ? await loadUserView(db, identity) : undefined;
  if (!user) throw problems.unauthorized('The account no longer exists.');
  c.header('Cache-Control', 'private, no-store');
  return c.json(user, 200);
});
