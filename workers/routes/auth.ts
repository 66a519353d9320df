/**
 * /v1/auth: register, login, refresh, logout. Thin: each handler validates
 * (zod, through the OpenAPI route), calls services/auth and maps the outcome
 * to an answer. Who may call: anyone, except logout (a signed-in user).
 */
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { principalOf, requireAuth, sessionsOf, withSessions } from '../middleware/auth';
import { clientIp, limiterOf, rateLimit, throttled, withLimiter } from '../middleware/rate-limit';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { LoginBodySchema, LoginSessionSchema, LogoutBodySchema, RefreshBodySchema, RegisterBodySchema, SessionSchema, TokenPairSchema } from '../schemas/identity';
import { getCookie, setCookie } from 'hono/cookie';
import { cookieRefreshToken, namedSessionApp } from '../middleware/session-cookies';
import { SessionAppHeaders } from '../schemas/session';
import { clearCookiesOnRefusal, sessionBody, withClearedCookies } from './session-answers';
import { kickOutboxRelay } from '../services/outbox-relay';
import { DEVICE_COOKIE, DEVICE_TOKEN_TTL_SECONDS } from '../services/auth/device-tokens';
import { recordAudit, actorOf, SYSTEM_ACTOR } from '../services/audit';
import { loadIdentity, loadUserView, type Identity } from '../services/auth/accounts';
import { attemptLogin } from '../services/auth/login';
import { registerAccount } from '../services/auth/registration';
import { endSession } from '../services/auth/revocation';
import { familyOfToken, revokeFamily, rotateRefreshToken, startSession, type IssuedRefreshToken } from '../services/auth/sessions';
import { liveSocketCloser } from '../services/auth/socket-revocation';
import { RULES } from '../services/auth/throttle';
import { ACCESS_TOKEN_TTL_SECONDS, issueAccessToken } from '../services/auth/tokens';
import { routeResponse } from '../raw-response';

const jsonBody = <T>(schema: T, description: string) => ({
  required: true,
  description,
  content: { 'application/json': { schema } },
});

/** How the sign-in answers name the web apps' cookie sessions (ADR 0087). */
const COOKIE_SESSIONS =
  ' Browsers of the web apps send `X-Session-App`: the session is then held in the HttpOnly cookies of the account’s app (`__Host-dp_<app>`, `__Secure-dp_<app>_refresh`; Secure, SameSite=Strict), a session of that app in this browser is ended, and the body carries no token (ADR 0087). Never cached (`Cache-Control: no-store`).';

const register = createRoute({
  method: 'post',
  path: '/v1/auth/register',
  operationId: 'registerUser',
  tags: ['Identity'],
  summary: 'Create a customer, merchant or driver account',
  description:
    'Who may call: anyone (throttled per IP and per email). A merchant registration creates the business and its owner account; a driver registration creates the driver record. Operators cannot register (role ops/admin is a 422).' +
    COOKIE_SESSIONS,
  security: [],
  request: { headers: SessionAppHeaders, body: jsonBody(RegisterBodySchema, 'The account, by role') },
  responses: {
    201: { description: 'Registered and signed in', content: { 'application/json': { schema: SessionSchema } } },
    ...problemResponses(400, 401, 409, 413, 415, 422, 429, 503),
  },
});

const login = createRoute({
  method: 'post',
  path: '/v1/auth/login',
  operationId: 'logIn',
  tags: ['Identity'],
  summary: 'Sign in with email and password',
  description:
    'Who may call: anyone. An unknown email and a wrong password get the same 401 in the same time. Throttled without ever locking the owner out (429 with Retry-After): at most 20 attempts a minute per IP; failures slow down, with delays that double, the (account, IP) pair that makes them (after 3, up to 15 min) and the IP (after 10, up to 5 min); an account-wide limit (after 10 failures an hour, delays up to 1 min, never more than about 75 failures an hour) applies only to devices that never signed in to the account. ' +
    'A device that has signed in before sends back its `deviceToken` (body) or `device` cookie and is only limited by its own failures. The answer carries the device token (and sets the cookie: HttpOnly, Secure, SameSite=Strict, path /v1/auth). After 10 failures in an hour the account owner is told by email, once per window.' +
    COOKIE_SESSIONS,
  security: [],
  request: { headers: SessionAppHeaders, body: jsonBody(LoginBodySchema, 'Credentials') },
  responses: {
    200: { description: 'Signed in', content: { 'application/json': { schema: LoginSessionSchema } } },
    ...problemResponses(400, 401, 413, 415, 422, 429, 503),
  },
});

const refresh = createRoute({
  method: 'post',
  path: '/v1/auth/refresh',
  operationId: 'refreshSession',
  tags: ['Identity'],
  summary: 'Exchange a refresh token for a new token pair',
  description:
    'Who may call: anyone holding a refresh token. The token is single use: the answer carries its successor. Presenting a token that was already exchanged revokes its whole family (every session descended from that sign-in) and answers 401. ' +
    'The web apps send no token but `X-Session-App`: the app’s refresh cookie is used, and both cookies are set again (a refusal clears them); the body then carries no token (ADR 0087). Never cached.',
  security: [],
  middleware: [rateLimit({ bucket: 'refresh', rule: RULES.refreshesPerIp }), clearCookiesOnRefusal] as const,
  request: { headers: SessionAppHeaders, body: jsonBody(RefreshBodySchema, 'The current refresh token') },
  responses: {
    200: { description: 'A new pair', content: { 'application/json': { schema: TokenPairSchema.openapi('TokenPair') } } },
    ...problemResponses(400, 401, 413, 415, 422, 429, 503),
  },
});

const logout = createRoute({
  method: 'post',
  path: '/v1/auth/logout',
  operationId: 'logOut',
  tags: ['Identity'],
  summary: 'Sign out: revoke the refresh-token family of this session',
  description:
    'Who may call: a signed-in user (access token; an API key gets 403). Ends the session the access token was issued in and, when a refresh token of the caller is given, its session too: their refresh tokens are revoked, every access token of those sessions is refused from the next request on (401), and the live sockets opened in them (merchant feed, driver channel) are closed with 4401. ' +
    'The web apps (`X-Session-App`, authenticated by the app’s cookie): the refresh cookie’s session ends too, and both cookies are cleared (ADR 0087).',
  middleware: [requireAuth()] as const,
  request: { headers: SessionAppHeaders, body: { required: false, content: { 'application/json': { schema: LogoutBodySchema } } } },
  responses: {
    204: { description: 'Signed out' },
    ...problemResponses(400, 401, 403, 413, 415, 422),
  },
});

async function tokensFor(c: Context<AppEnv>, identity: Identity, familyId: string) {
  const { token } = await issueAccessToken(c.env.JWT_SIGNING_KEYS, {
    sub: identity.userId,
    role: identity.role,
    ...(identity.merchantId ? { mid: identity.merchantId } : {}),
    ...(identity.merchantRole ? { mrole: identity.merchantRole } : {}),
    ...(identity.driverId ? { did: identity.driverId } : {}),
    sid: familyId,
  });
  return { accessToken: token, tokenType: 'Bearer' as const, expiresIn: ACCESS_TOKEN_TTL_SECONDS };
}

/** Opens the session in the account's registry (ADR 0082): its access tokens are honoured from now on. */
async function openSession(c: Context<AppEnv>, userId: string, refresh: IssuedRefreshToken): Promise<IssuedRefreshToken> {
  const opened = await withSessions(() => sessionsOf(c).open(userId, refresh.familyId, refresh.expiresAt));
  if (!opened.opened) throw problems.unauthorized(opened.reason === 'account_erased' ? 'The account no longer exists.' : 'This session has ended; sign in again.');
  return refresh;
}

/** A new session: its first refresh token (opened in the registry), an access token and the user, fetched side by side. */
export async function newSessionBody(c: Context<AppEnv>, identity: Identity, refresh: Promise<IssuedRefreshToken>) {
  const [session, user] = await Promise.all([refresh.then((r) => openSession(c, identity.userId, r)), loadUserView(c.var.db(), identity)]);
  if (!user) throw problems.unauthorized();
  return { user, ...(await tokensFor(c, identity, session.familyId)), refreshToken: session.token };
}

const INVALID_LOGIN = 'The email or password is incorrect.';

export const authRoutes = createRouter()
  .openapi(register, async (c) => {
    const body = c.req.valid('json');
    const outcome = await withLimiter(() =>
      registerAccount({ db: c.var.db(), limiter: limiterOf(c), ip: clientIp(c), requestId: c.var.requestId }, body),
    );
    switch (outcome.kind) {
      case 'throttled':
        return throttled(outcome.retryAfterSeconds);
      case 'email_taken':
        throw problems.conflict('email-taken', 'An account with this email already exists.');
      case 'unknown_city':
        throw problems.validation([{ path: `json.${outcome.path}`, message: 'No such city (see GET /v1/cities).' }]);
      case 'ok':
        return c.json(await sessionBody(c, await newSessionBody(c, outcome.identity, Promise.resolve(outcome.refresh)), outcome.identity.role, { replacing: true }), 201);
    }
  })
  .openapi(login, async (c) => {
    const { email, password, deviceToken } = c.req.valid('json');
    const db = c.var.db();
    const outcome = await withLimiter(() =>
      attemptLogin(
        { db, limiter: limiterOf(c), ip: clientIp(c), requestId: c.var.requestId, signingKeys: c.env.JWT_SIGNING_KEYS, deviceToken: deviceToken ?? getCookie(c, DEVICE_COOKIE) },
        email,
        password,
      ),
    );
    if (outcome.kind === 'throttled') return throttled(outcome.retryAfterSeconds);
    if (outcome.kind === 'invalid') {
      if (outcome.noticeQueued) kickOutboxRelay(c.env, c.executionCtx);
      throw problems.unauthorized(INVALID_LOGIN);
    }
    const body = await newSessionBody(c, outcome.identity, startSession(db, outcome.identity.userId));
    setCookie(c, DEVICE_COOKIE, outcome.device.token, { path: '/v1/auth', httpOnly: true, secure: true, sameSite: 'Strict', maxAge: DEVICE_TOKEN_TTL_SECONDS });
    // The web apps keep the device token in its HttpOnly cookie only, like the session's tokens (ADR 0087).
    const answer = await sessionBody(c, body, outcome.identity.role, { replacing: true });
    return c.json(namedSessionApp(c) ? answer : { ...answer, deviceToken: outcome.device.token }, 200);
  })
  .openapi(refresh, async (c) => {
    // The web apps' refresh token is their cookie's (ADR 0087).
    const refreshToken = c.req.valid('json').refreshToken ?? cookieRefreshToken(c);
    if (!refreshToken && !namedSessionApp(c)) throw problems.validation([{ path: 'json.refreshToken', message: 'Required (the web apps name their app instead: X-Session-App).' }]);
    if (!refreshToken) throw problems.unauthorized('No refresh cookie for this app: sign in again.');
    const db = c.var.db();
    const outcome = await db.transaction(async (tx) => {
      const result = await rotateRefreshToken(tx, refreshToken);
      if (result.kind === 'reused') {
        await withSessions(() => sessionsOf(c).revoke(result.userId, result.familyId, 'refresh_reuse'));
        await recordAudit(tx, {
          actor: SYSTEM_ACTOR,
          action: 'auth.refresh_reuse',
          target: { type: 'user', id: result.userId },
          ip: clientIp(c),
          requestId: c.var.requestId,
          metadata: { familyId: result.familyId, tokensRevoked: result.revoked },
        });
      }
      return result;
    });
    if (outcome.kind === 'reused') throw problems.unauthorized('This refresh token was already used; the session has been revoked. Sign in again.');
    if (outcome.kind === 'invalid') throw problems.unauthorized('The refresh token is not valid.');
    const identity = await loadIdentity(db, outcome.userId);
    if (!identity || identity.status !== 'active') {
      await revokeFamily(db, outcome.refresh.familyId);
      throw problems.unauthorized('The account no longer exists.');
    }
    // Extends the session in the registry, or adopts a family opened before it existed; a session
    // the registry knows as revoked never comes back, whatever Postgres says.
    const opened = await withSessions(() => sessionsOf(c).open(identity.userId, outcome.refresh.familyId, outcome.refresh.expiresAt));
    if (!opened.opened) {
      await revokeFamily(db, outcome.refresh.familyId);
      throw problems.unauthorized('This session has ended; sign in again.');
    }
    return c.json(await sessionBody(c, { ...(await tokensFor(c, identity, outcome.refresh.familyId)), refreshToken: outcome.refresh.token }, identity.role, { replacing: false }), 200);
  })
  .openapi(logout, async (c) => {
    const principal = principalOf(c);
    if (principal.type !== 'user') throw problems.forbidden('API keys have no session to sign out of.');
    const body = c.req.valid('json');
    const db = c.var.db();
    const families = new Set<string>([principal.sessionId]);
    // The web apps' refresh token is their cookie's (ADR 0087).
    const refreshToken = body.refreshToken ?? cookieRefreshToken(c);
    if (refreshToken) {
      const family = await familyOfToken(db, refreshToken, principal.userId);
      if (family) families.add(family);
    }
    const deps = { sessions: sessionsOf(c), sockets: liveSocketCloser(c.env, db) };
    const holder = { userId: principal.userId, ...(principal.merchantId ? { merchantIds: [principal.merchantId] } : {}), ...(principal.driverId ? { driverId: principal.driverId } : {}) };
    let revoked = 0;
    for (const family of families) {
      await withSessions(() => endSession(deps, holder, family, 'logout'));
      revoked += await revokeFamily(db, family);
    }
    await recordAudit(db, {
      actor: actorOf(principal),
      action: 'auth.logout',
      target: { type: 'user', id: principal.userId },
      ip: clientIp(c),
      requestId: c.var.requestId,
      metadata: { families: [...families], tokensRevoked: revoked },
    });
    return routeResponse(logout, withClearedCookies(c, c.body(null, 204)));
  });
