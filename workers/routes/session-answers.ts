/**
 * The identity routes' answers for the web apps' cookie sessions (ADR 0087;
 * the cookies themselves: middleware/session-cookies.ts). A request naming
 * its app (`X-Session-App`) gets its tokens in that app's cookies and a body
 * without them; an API client, the tokens in the body as ever. Every answer
 * is `Cache-Control: no-store`.
 */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { serialize } from 'hono/utils/cookie';
import { eq } from 'drizzle-orm';
import { refreshTokens } from '../../db/schema/index';
import { log } from '../../domain/log';
import type { AppEnv } from '../env';
import { sessionsOf, withSessions } from '../middleware/auth';
import { accessCookieName, appForRole, cookieRefreshToken, namedSessionApp, REFRESH_COOKIE_PATH, refreshCookieName, setSessionCookies, type SessionApp } from '../middleware/session-cookies';
import type { UserRole } from '../services/auth/principal';
import { endSession } from '../services/auth/revocation';
import { hashRefreshToken, REFRESH_TOKEN_TTL_SECONDS, revokeFamily } from '../services/auth/sessions';
import { liveSocketCloser } from '../services/auth/socket-revocation';

interface Tokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType?: 'Bearer';
}

/**
 * A sign-in or sign-up in an app where someone else (or the same person) is
 * signed in: the session its refresh cookie holds is ended, as signing out
 * first would have (the new cookies replace it; it must not live on unseen).
 * Best effort: the sign-in never fails for it.
 */
async function endReplacedSession(c: Context<AppEnv>, app: SessionApp): Promise<void> {
  const old = cookieRefreshToken(c, app);
  if (!old) return;
  try {
    const db = c.var.db();
    const [row] = await db.select({ userId: refreshTokens.userId, familyId: refreshTokens.familyId }).from(refreshTokens).where(eq(refreshTokens.tokenHash, await hashRefreshToken(old)));
    if (!row) return;
    await withSessions(() => endSession({ sessions: sessionsOf(c), sockets: liveSocketCloser(c.env, db) }, { userId: row.userId }, row.familyId, 'logout'));
    await revokeFamily(db, row.familyId);
  } catch (error) {
    log.warn('sign-in: the session it replaces was not ended', { app, error });
  }
}

/**
 * The body of a sign-in, sign-up (`replacing`) or refresh. Cookie mode: the
 * tokens go into the cookies of the account's app, the body keeps the rest.
 */
export async function sessionBody<T extends Tokens>(c: Context<AppEnv>, body: T, role: UserRole, options: { replacing: boolean }): Promise<Omit<T, 'accessToken' | 'refreshToken' | 'tokenType'> & Partial<Tokens>> {
  c.header('Cache-Control', 'no-store');
  if (!namedSessionApp(c)) return body;
  const app = appForRole(role);
  if (options.replacing) await endReplacedSession(c, app);
  const { accessToken, refreshToken, tokenType: _bearer, ...rest } = body;
  setSessionCookies(c, app, { accessToken, expiresIn: body.expiresIn, refreshToken, refreshExpiresIn: REFRESH_TOKEN_TTL_SECONDS });
  return rest;
}

const expired = (name: string, path: string) => serialize(name, '', { path, secure: true, httpOnly: true, sameSite: 'Strict', maxAge: 0 });

/** Set-Cookie values that clear an app's session cookies. */
export const clearedCookies = (app: SessionApp): string[] => [expired(accessCookieName(app), '/'), expired(refreshCookieName(app), REFRESH_COOKIE_PATH)];

/**
 * A refused refresh or a logout in cookie mode: the answer also clears the
 * app's cookies (a problem is answered by onError, which does not see
 * headers set on the context, hence a response built here).
 */
export function withClearedCookies(c: Context<AppEnv>, response: Response): Response {
  const app = namedSessionApp(c);
  if (!app) return response;
  const res = new Response(response.body, response);
  for (const cookie of clearedCookies(app)) res.headers.append('Set-Cookie', cookie);
  res.headers.set('Cache-Control', 'no-store');
  return res;
}

/** On the refresh route: in cookie mode, a refusal (401) also clears the cookies it refused. */
export const clearCookiesOnRefusal = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (c.res.status !== 401) return;
  const app = namedSessionApp(c);
  if (!app) return;
  const res = new Response(c.res.body, c.res);
  for (const cookie of clearedCookies(app)) res.headers.append('Set-Cookie', cookie);
  c.res = res;
});
