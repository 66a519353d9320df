import { and, eq, isNull } from 'drizzle-orm';
import { createMiddleware } from 'hono/factory';
import { merchantApiKeys } from '../../db/schema/index';
import type { AppEnv } from '../env';
import { problems } from '../problem';
import { API_KEY_PATTERN, hashApiKey } from '../services/auth/api-keys';
import { merchantAccess, type MerchantCapability, type Principal, type UserRole } from '../services/auth/principal';
import { InvalidTokenError, verifyAccessToken } from '../services/auth/tokens';
import { sessionRegistryFrom, SessionRegistryUnavailableError, type SessionRegistry } from '../services/auth/session-registry';
import { log } from '../../domain/log';
import { cookieAccessToken } from './session-cookies';

/** The session registry of a request (ADR 0082). */
export const sessionsOf = (c: { env: Pick<Env, 'ACCOUNT_SESSIONS'> }): SessionRegistry => sessionRegistryFrom(c.env);

/** Turns a registry outage into a 503: an access token is never honoured unchecked. */
export async function withSessions<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SessionRegistryUnavailableError) {
      log.warn('session registry unavailable', { error: error.cause });
      throw problems.unavailable('Sessions cannot be checked right now; try again shortly.', 2);
    }
    throw error;
  }
}

const SESSION_ENDED: Record<string, string> = {
  unknown: 'The session of this access token is not known; sign in again (or refresh).',
  revoked: 'The session of this access token has ended; sign in again.',
  expired: 'The session of this access token has expired; sign in again.',
  account_erased: 'The account no longer exists.',
};

/**
 * A verified access token is honoured only while its session is live: one
 * call to the account's AccountSessions object (a primary-key read there).
 */
async function principalFromAccessToken(c: Parameters<Parameters<typeof createMiddleware<AppEnv>>[0]>[0], token: string): Promise<Principal> {
  let principal: Principal;
  try {
    principal = await verifyAccessToken(c.env.JWT_SIGNING_KEYS, token);
  } catch (error) {
    if (error instanceof InvalidTokenError) {
      throw problems.unauthorized(error.reason === 'expired' ? 'The access token has expired.' : 'The access token is not valid.');
    }
    throw error;
  }
  if (principal.type !== 'user') throw problems.unauthorized('The access token is not valid.');
  const { userId, sessionId } = principal;
  const outcome = await withSessions(() => sessionsOf(c).check(userId, sessionId));
  if (!outcome.live) throw problems.unauthorized(SESSION_ENDED[outcome.reason] ?? SESSION_ENDED.revoked);
  return principal;
}

function bearerFrom(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw problems.unauthorized('The Authorization header must be "Bearer <token>".');
  return match[1];
}

async function principalFromApiKey(c: Parameters<Parameters<typeof createMiddleware<AppEnv>>[0]>[0], key: string): Promise<Principal> {
  const keyHash = await hashApiKey(key);
  const [row] = await c.var
    .db()
    .select({ id: merchantApiKeys.id, merchantId: merchantApiKeys.merchantId })
    .from(merchantApiKeys)
    .where(and(eq(merchantApiKeys.keyHash, keyHash), isNull(merchantApiKeys.revokedAt)));
  if (!row) throw problems.unauthorized('Unknown or revoked API key.');
  // last_used_at is informative: update it after the response, never on the hot path.
  c.executionCtx.waitUntil(
    c.var.db().update(merchantApiKeys).set({ lastUsedAt: new Date() }).where(eq(merchantApiKeys.id, row.id)).then(() => undefined, () => undefined),
  );
  return { type: 'api_key', keyId: row.id, merchantId: row.merchantId, role: 'merchant' };
}

/**
 * Resolves the caller, when credentials are present: a JWT access token (its
 * session checked live, ADR 0082) or a merchant API key (checked not revoked)
 * in `Authorization: Bearer`. On WebSocket upgrades only,
 * `?access_token=` is accepted too (browsers cannot set headers there, RFC 6750).
 * Otherwise the web apps' session cookie of the app the request names
 * (`X-Session-App`, or `?session=` on an upgrade), CSRF-checked (ADR 0087).
 * Bad credentials are a 401 even on public routes, so a client learns its token
 * is wrong instead of silently getting the anonymous view.
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  let token = bearerFrom(c.req.header('authorization'));
  if (!token && c.req.header('upgrade')?.toLowerCase() === 'websocket') {
    token = c.req.query('access_token') || undefined;
  }
  token ??= cookieAccessToken(c);
  if (token) {
    if (API_KEY_PATTERN.test(token)) {
      c.set('principal', await principalFromApiKey(c, token));
    } else {
      c.set('principal', await principalFromAccessToken(c, token));
    }
  }
  await next();
});

/** The route needs a caller with one of these roles (none listed: any signed-in caller). */
export const requireAuth = (...roles: UserRole[]) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const principal = c.get('principal');
    if (!principal) throw problems.unauthorized();
    if (roles.length > 0 && !roles.includes(principal.role)) throw problems.forbidden();
    await next();
  });

/** The principal of a route behind `requireAuth`. */
export function principalOf(c: { get(key: 'principal'): Principal | undefined }): Principal {
  const principal = c.get('principal');
  if (!principal) throw problems.unauthorized();
  return principal;
}

/** Throws the problem `merchantAccess` calls for: 404 for another business, 403 for a missing capability. */
export function assertMerchantAccess(principal: Principal, merchantId: string, capability: MerchantCapability): void {
  const access = merchantAccess(principal, merchantId, capability);
  if (access === 'not_yours') throw problems.notFound('No such merchant.');
  if (access === 'forbidden') throw problems.forbidden();
}
