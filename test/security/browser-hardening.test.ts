/**
 * Browser hardening (ADR 0086, 0087). Before: no answer carried a CSP,
 * `X-Content-Type-Options`, `frame-ancestors` or `Referrer-Policy`; sign-in
 * answers could be cached; /docs ran an inline script; the web apps kept
 * their tokens in localStorage (the API could only answer them in the body).
 * Here: every kind of Worker answer and the build's `_headers` for the pages;
 * the web apps' cookie sessions (attributes, which cookie a request uses,
 * refresh, logout, a sign-in that replaces another) and their CSRF defence.
 * The browser side (headers as served, no CSP violation in a whole journey,
 * no demo password in a production bundle) is in test/e2e.
 */
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { API_CSP, DOCS_CSP, HSTS } from '../../domain/browser-policy';
import { headersFile } from '../../scripts/lib/web-build';
import { call, createCity, PASSWORD, randomIp, register, registrationBody } from '../workers/auth-helpers';
import * as commerce from '../workers/helpers/commerce';

const ORIGIN = 'http://platform.test';

const fetchWorker = (path: string, init: RequestInit = {}, origin = ORIGIN) => exports.default.fetch(new Request(`${origin}${path}`, init));

function expectCommonHeaders(res: Response, csp: string) {
  expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
  expect(res.headers.get('X-Frame-Options')).toBe('DENY');
  expect(res.headers.get('Content-Security-Policy')).toBe(csp);
  expect(res.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'");
  expect(res.headers.get('Referrer-Policy')).toBe('no-referrer');
}

describe('V14.4.3 V14.4.4 V14.4.6 V14.4.7 API8:2023 every answer of the Worker carries the security headers', () => {
  it('a JSON answer, a problem, a 404, the OpenAPI document, /metrics refused, /healthz', async () => {
    for (const path of ['/v1/cities', '/v1/orders', '/v1/no-such-route', '/openapi.json', '/metrics', '/healthz']) {
      const res = await fetchWorker(path);
      expectCommonHeaders(res, API_CSP);
    }
  });

  it('/docs is our page: scripts are files only (no inline script), its CSP allows no inline script', async () => {
    const res = await fetchWorker('/docs');
    expect(res.status).toBe(200);
    expectCommonHeaders(res, DOCS_CSP);
    expect(DOCS_CSP).toMatch(/script-src 'self';/);
    const html = await res.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((m) => m[1]!.trim())).toEqual(['src="/docs/setup.js"', 'src="/vendor/scalar/standalone.js"', 'src="/docs/reference.js"']);
    for (const m of scripts) expect(m[2]!.trim()).toBe('');
    const js = await fetchWorker('/docs/reference.js');
    expect(js.headers.get('Content-Type')).toMatch(/^text\/javascript/);
    expect(await js.text()).toContain('"url":"/openapi.json"');
    // The bundle's zod is told to run jitless before it loads: no `new Function` probe for the CSP to refuse.
    expect(await (await fetchWorker('/docs/setup.js')).text()).toContain('jitless: true');
  });
});

describe('V14.4.5 API8:2023 HSTS in production only', () => {
  it('over https outside local mode; never over http nor in local mode', async () => {
    const ctx = { waitUntil: () => undefined, passThroughOnException: () => undefined, props: {} } as unknown as ExecutionContext;
    const { createApp } = await import('../../workers/app');
    const app = createApp();
    const hsts = async (url: string, appEnv: string) => (await app.fetch(new Request(url), { ...env, APP_ENV: appEnv } as Env, ctx)).headers.get('Strict-Transport-Security');
    expect(await hsts('https://delivery.example.com/healthz', 'production')).toBe(HSTS);
    expect(await hsts('http://delivery.example.com/healthz', 'production')).toBeNull();
    expect(await hsts('https://127.0.0.1:8787/healthz', 'local')).toBeNull();
    expect(await hsts('http://127.0.0.1:8787/healthz', 'local')).toBeNull();
  });
});

describe('V14.4.3 V14.4.5 V14.4.6 V14.4.7 V8.3.4 API8:2023 the pages’ headers, written by the build into _headers', () => {
  const rules = (file: string) => {
    const out = new Map<string, Map<string, string>>();
    let current: Map<string, string> | undefined;
    for (const line of file.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      if (!line.startsWith(' ')) out.set(line, (current = new Map()));
      else {
        const [name, ...value] = line.trim().split(': ');
        current!.set(name!, value.join(': '));
      }
    }
    return out;
  };

  it('production: a strict CSP with Stripe’s sources only, nosniff, DENY, a referrer policy, HSTS', () => {
    const pages = rules(headersFile('production', null)).get('/*')!;
    const csp = pages.get('Content-Security-Policy')!;
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*(?!\.js\.stripe\.com)/);
    expect(csp).toContain("script-src 'self' https://js.stripe.com https://*.js.stripe.com;");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).not.toContain('127.0.0.1');
    expect(pages.get('X-Content-Type-Options')).toBe('nosniff');
    expect(pages.get('X-Frame-Options')).toBe('DENY');
    expect(pages.get('Referrer-Policy')).toBe('strict-origin-when-cross-origin');
    expect(pages.get('Strict-Transport-Security')).toBe(HSTS);
  });

  it('local: nothing of Stripe, the fake on loopback, no HSTS; tracking pages are noindex and no-referrer in both', () => {
    const local = rules(headersFile('local', null));
    const csp = local.get('/*')!.get('Content-Security-Policy')!;
    expect(csp).not.toContain('stripe');
    expect(csp).toContain("connect-src 'self' http://127.0.0.1:* http://localhost:*");
    expect(csp).toContain("frame-src 'none'");
    expect(local.get('/*')!.has('Strict-Transport-Security')).toBe(false);
    for (const file of [headersFile('local', null), headersFile('production', 'https://tiles.example')]) {
      const track = rules(file).get('/track/*')!;
      expect(track.get('X-Robots-Tag')).toBe('noindex, nofollow, noarchive');
      expect(track.get('Referrer-Policy')).toBe('no-referrer');
    }
    expect(rules(headersFile('production', 'https://tiles.example')).get('/*')!.get('Content-Security-Policy')).toContain("img-src 'self' data: blob: https://tiles.example;");
  });

  it('GET /v1/track/{token}, the data behind the page, is not indexed either and sends no referrer', async () => {
    const cityId = await commerce.createCity();
    const m = await commerce.createMerchant(cityId);
    const productId = await commerce.createProduct(m.merchantId, 900);
    const { key } = await m.apiKey();
    const body = commerce.orderBody(m.merchantId, [{ productId, quantity: 1 }], { customer: { name: 'Walk-in', phone: '+33612345678' }, paid: true });
    const { order } = await commerce.placeOrder(key, body);
    const res = await fetchWorker(new URL(order.trackingUrl as string).pathname.replace('/track/', '/v1/track/'));
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Robots-Tag')).toBe('noindex, nofollow, noarchive');
    expect(res.headers.get('Referrer-Policy')).toBe('no-referrer');
    expect(res.headers.get('Cache-Control')).toBe('no-store');
  });
});

/** The Set-Cookie values of an answer, by cookie name. */
function cookiesOf(res: Response): Map<string, string> {
  return new Map(res.headers.getSetCookie().map((c) => [c.split('=')[0]!, c]));
}
const valueOf = (setCookie: string) => setCookie.split(';')[0]!.split('=').slice(1).join('=');

interface Browser {
  jar: Map<string, string>;
  ip: string;
}
const newBrowser = (): Browser => ({ jar: new Map(), ip: randomIp() });

/** A request as the web app in a browser sends it: the jar's cookies for the path, the app named, our Origin on unsafe methods. */
async function browserCall(b: Browser, path: string, init: { method?: string; app?: string | null; origin?: string | null; body?: unknown; upgrade?: boolean } = {}) {
  const headers = new Headers({ 'CF-Connecting-IP': b.ip });
  const cookies = [...b.jar.entries()].filter(([name]) => !name.endsWith('_refresh') || path.startsWith('/v1/auth')).map(([n, v]) => `${n}=${v}`);
  if (cookies.length > 0) headers.set('Cookie', cookies.join('; '));
  if (init.app !== null) headers.set('X-Session-App', init.app ?? 'customer');
  const method = init.method ?? (init.body !== undefined ? 'POST' : 'GET');
  const origin = init.origin === undefined ? (method === 'GET' && !init.upgrade ? null : ORIGIN) : init.origin;
  if (origin) headers.set('Origin', origin);
  if (init.upgrade) headers.set('Upgrade', 'websocket');
  if (init.body !== undefined) headers.set('Content-Type', 'application/json');
  const res = await fetchWorker(path, { method, headers, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
  for (const [name, setCookie] of cookiesOf(res)) {
    if (/Max-Age=0/i.test(setCookie)) b.jar.delete(name);
    else b.jar.set(name, valueOf(setCookie));
  }
  return res;
}

async function signedInCustomer() {
  const cityId = await createCity();
  const body = registrationBody('customer', cityId);
  const b = newBrowser();
  const res = await browserCall(b, '/v1/auth/register', { body, app: 'customer' });
  expect(res.status).toBe(201);
  return { b, email: body.email, cityId, res };
}

describe('V3.4.1 V3.4.2 V3.4.3 V3.4.4 V3.4.5 V8.2.2 V8.2.1 API2:2023 the web apps’ sessions in HttpOnly cookies, never in a body', () => {
  it('sign-up and sign-in set __Host- and __Secure- cookies (Secure, HttpOnly, SameSite=Strict, scoped paths), no token in the body, no-store', async () => {
    const { b, email, res } = await signedInCustomer();
    const set = cookiesOf(res);
    const access = set.get('__Host-dp_customer')!;
    const refresh = set.get('__Secure-dp_customer_refresh')!;
    for (const cookie of [access, refresh]) {
      expect(cookie).toMatch(/; Secure/);
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; SameSite=Strict/);
      expect(cookie).not.toMatch(/Domain=/i);
    }
    expect(access).toMatch(/; Path=\/(;|$)/);
    expect(access).toMatch(/Max-Age=900/);
    expect(refresh).toMatch(/; Path=\/v1\/auth(;|$)/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['expiresIn', 'user']);
    expect(JSON.stringify(body)).not.toMatch(/rt_|eyJ/);
    expect(res.headers.get('Cache-Control')).toBe('no-store');

    const login = await browserCall(b, '/v1/auth/login', { body: { email, password: PASSWORD }, app: 'customer' });
    expect(login.status).toBe(200);
    expect(login.headers.get('Cache-Control')).toBe('no-store');
    const loginBody = (await login.json()) as Record<string, unknown>;
    expect(loginBody).not.toHaveProperty('accessToken');
    expect(loginBody).not.toHaveProperty('refreshToken');
    expect(loginBody).not.toHaveProperty('deviceToken');
    // API clients are unchanged: tokens in the body, and never cached either.
    const api = await call('/v1/auth/login', { body: { email, password: PASSWORD } });
    expect(api.headers.get('Cache-Control')).toBe('no-store');
    expect(((await api.json()) as { accessToken?: string }).accessToken).toMatch(/^eyJ/);
  });

  it('a request uses the cookie of the app it names, and no cookie without one', async () => {
    const { b } = await signedInCustomer();
    const me = await browserCall(b, '/v1/me');
    expect(me.status).toBe(200);
    expect(me.headers.get('Cache-Control')).toMatch(/no-store/);
    expect((await browserCall(b, '/v1/me', { app: null })).status).toBe(401);
    // Another app's name: that app has no cookie here.
    expect((await browserCall(b, '/v1/me', { app: 'merchant' })).status).toBe(401);
    expect((await browserCall(b, '/v1/me', { app: 'admin' })).status).toBe(422);
  });

  it('refresh rotates the cookies; the old refresh cookie is refused after and its refusal clears them; logout clears them and ends the session', async () => {
    const { b } = await signedInCustomer();
    const before = b.jar.get('__Secure-dp_customer_refresh')!;
    const refreshed = await browserCall(b, '/v1/auth/refresh', { body: {} });
    expect(refreshed.status).toBe(200);
    expect(Object.keys((await refreshed.json()) as object)).toEqual(['expiresIn']);
    expect(b.jar.get('__Secure-dp_customer_refresh')).not.toBe(before);
    expect((await browserCall(b, '/v1/me')).status).toBe(200);

    // A stolen copy of the old cookie: reuse revokes the family and clears the cookies of whoever sent it.
    const thief: Browser = { jar: new Map([['__Secure-dp_customer_refresh', before]]), ip: randomIp() };
    const reused = await browserCall(thief, '/v1/auth/refresh', { body: {} });
    expect(reused.status).toBe(401);
    expect(thief.jar.size).toBe(0);
    expect((await browserCall(b, '/v1/me')).status).toBe(401);

    const { b: other } = await signedInCustomer();
    const access = other.jar.get('__Host-dp_customer')!;
    const out = await browserCall(other, '/v1/auth/logout', { body: {} });
    expect(out.status).toBe(204);
    expect(other.jar.size).toBe(0);
    const replay: Browser = { jar: new Map([['__Host-dp_customer', access]]), ip: randomIp() };
    expect((await browserCall(replay, '/v1/me')).status).toBe(401);
  });

  it('a sign-in goes to the account’s own app, and ends the session it replaces there', async () => {
    const cityId = await createCity();
    const owner = await register('merchant', cityId);
    const b = newBrowser();
    // Signed in from the customer app with a merchant account: the merchant app's cookies.
    const first = await browserCall(b, '/v1/auth/login', { body: { email: owner.user.email, password: PASSWORD }, app: 'customer' });
    expect(first.status).toBe(200);
    expect([...b.jar.keys()].sort()).toEqual(['__Host-dp_merchant', '__Secure-dp_merchant_refresh', 'device']);
    const firstAccess = b.jar.get('__Host-dp_merchant')!;
    const staff = await register('merchant', cityId);
    const second = await browserCall(b, '/v1/auth/login', { body: { email: staff.user.email, password: PASSWORD }, app: 'merchant' });
    expect(second.status).toBe(200);
    // The first person's session ended when the second took the app over in this browser.
    const gone: Browser = { jar: new Map([['__Host-dp_merchant', firstAccess]]), ip: randomIp() };
    expect((await browserCall(gone, '/v1/me', { app: 'merchant' })).status).toBe(401);
    expect(((await (await browserCall(b, '/v1/me', { app: 'merchant' })).json()) as { id: string }).id).toBe(staff.user.id);
  });
});

describe('V4.2.2 V13.2.3 API8:2023 CSRF: a cookie-authenticated change or socket must come from this site', () => {
  it('an unsafe method without Origin or from another origin is 403; from ours it works; reads need no Origin', async () => {
    const { b } = await signedInCustomer();
    const devices = '/v1/me/devices';
    const body = { pushToken: `fcm-${crypto.randomUUID()}`, platform: 'web' };
    const none = await browserCall(b, devices, { body, origin: null });
    expect(none.status).toBe(403);
    expect(((await none.json()) as { type: string }).type).toMatch(/csrf-refused$/);
    expect((await browserCall(b, devices, { body, origin: 'https://evil.example' })).status).toBe(403);
    expect((await browserCall(b, devices, { body })).status).toBeLessThan(300);
    expect((await browserCall(b, '/v1/me', { origin: null })).status).toBe(200);
  });

  it('a WebSocket upgrade by cookie from another origin is refused before it reaches the channel', async () => {
    const cityId = await createCity();
    const b = newBrowser();
    const owner = registrationBody('merchant', cityId);
    const res = await browserCall(b, '/v1/auth/register', { body: owner, app: 'merchant' });
    const { user } = (await res.json()) as { user: { merchantId: string } };
    const path = `/v1/merchants/${user.merchantId}/live?session=merchant`;
    const foreign = await browserCall(b, path, { upgrade: true, origin: 'https://evil.example', app: null });
    expect(foreign.status).toBe(403);
    const own = await browserCall(b, path, { upgrade: true, app: null });
    expect(own.status).toBe(101);
    own.webSocket?.accept();
    own.webSocket?.close(1000, 'done');
  });
});
