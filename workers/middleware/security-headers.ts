/**
 * Security headers on everything the Worker answers (ADR 0086): the API,
 * problems and 404s, /metrics, /openapi.json and the /docs page. The web
 * apps' pages are static assets, which get theirs from the build's
 * `_headers` file; the policies live in domain/browser-policy.ts.
 *
 * First in the chain, so it sees the final response whatever answered it
 * (a route, `onError`, `notFound`). A WebSocket upgrade's 101 is left
 * alone: it carries no document.
 */
import { createMiddleware } from 'hono/factory';
import { API_CSP, COMMON_HEADERS, DOCS_CSP, HSTS } from '../../domain/browser-policy';
import { isLocalMode, type AppEnv } from '../env';

/** The headers a Worker answer to `url` gets (a header the route set itself wins, except the CSP). */
export function workerSecurityHeaders(url: URL, env: Pick<Env, 'APP_ENV'>): Record<string, string> {
  const docsPage = url.pathname === '/docs' || url.pathname.startsWith('/docs/');
  return {
    ...COMMON_HEADERS,
    'Content-Security-Policy': docsPage ? DOCS_CSP : API_CSP,
    'Referrer-Policy': 'no-referrer',
    // Browsers ignore HSTS over http; a local run (http on loopback) never sends it.
    ...(url.protocol === 'https:' && !isLocalMode(env) ? { 'Strict-Transport-Security': HSTS } : {}),
  };
}

export const securityHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (c.res.status === 101) return;
  const url = new URL(c.req.url);
  const headers = workerSecurityHeaders(url, c.env);
  // Answers of the API are not kept by browsers or shared caches unless a route says so (the city list does).
  if (url.pathname.startsWith('/v1/')) headers['Cache-Control'] = 'no-store';
  try {
    apply(c.res.headers, headers);
  } catch {
    // Headers of a response fetched from elsewhere (a Durable Object) are immutable: answer a copy.
    const copy = new Response(c.res.body, c.res);
    apply(copy.headers, headers);
    c.res = copy;
  }
});

function apply(target: Headers, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'Content-Security-Policy' || !target.has(name)) target.set(name, value);
  }
}
