/**
 * The web apps' sessions in cookies (ADR 0087). Each app (customer,
 * merchant, driver, ops) has its own pair, so four people can use the four
 * apps in one browser:
 * - `__Host-dp_<app>`: the access token (Path=/, 15 minutes);
 * - `__Secure-dp_<app>_refresh`: the refresh token (Path=/v1/auth, 30 days);
 * both `Secure; HttpOnly; SameSite=Strict`: no script ever sees a token.
 *
 * A request uses a cookie only when it names its app: `X-Session-App`, or on
 * a WebSocket upgrade (which cannot carry headers) `?session=`. Requests
 * authenticated so that change something, and every such upgrade, must come
 * from our own origin (`Origin`), the CSRF check beside SameSite=Strict and
 * the custom header. Bearer tokens and API keys are unaffected.
 */
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../env';
import { Problem, problems } from '../problem';
import type { UserRole } from '../services/auth/principal';

export const SESSION_APPS = ['customer', 'merchant', 'driver', 'ops'] as const;
export type SessionApp = (typeof SESSION_APPS)[number];

export const SESSION_APP_HEADER = 'X-Session-App';
/** The query parameter naming the app on a WebSocket upgrade. */
export const SESSION_APP_QUERY = 'session';

const ACCESS_PREFIX = 'dp_';
export const accessCookieName = (app: SessionApp) => `__Host-${ACCESS_PREFIX}${app}`;
export const refreshCookieName = (app: SessionApp) => `__Secure-${ACCESS_PREFIX}${app}_refresh`;
/** The refresh cookie goes to sign-in, refresh and logout only. */
export const REFRESH_COOKIE_PATH = '/v1/auth';

/** The app an account of this role works in (its cookies are that app's). */
export const appForRole = (role: UserRole): SessionApp => (role === 'admin' ? 'ops' : role);

const isSessionApp = (value: string): value is SessionApp => (SESSION_APPS as readonly string[]).includes(value);

const isUpgrade = (c: Context<AppEnv>) => c.req.header('upgrade')?.toLowerCase() === 'websocket';

/** The app the request names (header, or `?session=` on an upgrade); null: none, so no cookie is used. */
export function namedSessionApp(c: Context<AppEnv>): SessionApp | null {
  const named = c.req.header(SESSION_APP_HEADER) ?? (isUpgrade(c) ? c.req.query(SESSION_APP_QUERY) : undefined);
  if (named === undefined || named === '') return null;
  if (!isSessionApp(named)) {
    throw problems.validation([{ path: `header.${SESSION_APP_HEADER.toLowerCase()}`, message: `One of ${SESSION_APPS.join(', ')}.` }]);
  }
  return named;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Our own origins: the one the request was made to, and the public one (a proxy in front may differ). */
function ownOrigins(c: Context<AppEnv>): Set<string> {
  const origins = new Set([new URL(c.req.url).origin]);
  try {
    origins.add(new URL(c.env.PUBLIC_BASE_URL).origin);
  } catch {
    // A malformed PUBLIC_BASE_URL adds nothing.
  }
  return origins;
}

/** CSRF: a cookie-authenticated request that changes something, or opens a socket, comes from our own pages. */
export function assertOwnOrigin(c: Context<AppEnv>): void {
  if (SAFE_METHODS.has(c.req.method) && !isUpgrade(c)) return;
  const origin = c.req.header('origin');
  if (origin && ownOrigins(c).has(origin)) return;
  throw new Problem(403, 'csrf-refused', 'A request authenticated by a session cookie must come from this site (Origin).');
}

/** The access token of the named app's cookie, CSRF-checked; undefined when the request names no app or has no cookie. */
export function cookieAccessToken(c: Context<AppEnv>): string | undefined {
  const app = namedSessionApp(c);
  if (!app) return undefined;
  const token = getCookie(c, accessCookieName(app));
  if (!token) return undefined;
  assertOwnOrigin(c);
  return token;
}

/** The refresh token of an app's cookie (sent to /v1/auth only): the named app's by default. */
export function cookieRefreshToken(c: Context<AppEnv>, app: SessionApp | null = namedSessionApp(c)): string | undefined {
  return app ? getCookie(c, refreshCookieName(app)) || undefined : undefined;
}

const ATTRIBUTES = { secure: true, httpOnly: true, sameSite: 'Strict' } as const;

export function setSessionCookies(c: Context<AppEnv>, app: SessionApp, tokens: { accessToken: string; expiresIn: number; refreshToken?: string | undefined; refreshExpiresIn: number }): void {
  setCookie(c, accessCookieName(app), tokens.accessToken, { ...ATTRIBUTES, path: '/', maxAge: tokens.expiresIn });
  if (tokens.refreshToken) setCookie(c, refreshCookieName(app), tokens.refreshToken, { ...ATTRIBUTES, path: REFRESH_COOKIE_PATH, maxAge: tokens.refreshExpiresIn });
}
