import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { matchedRoutes } from 'hono/route';
import { log } from '../../domain/log';
import { METRICS } from '../../domain/metrics';
import { flushMetricsLater, metrics } from '../../durable-objects/metrics-aggregator/port';
import type { AppEnv } from '../env';

/** The critical operations of the latency SLO (docs/slo.md), by method and route template. */
const OPERATIONS: ReadonlyMap<string, string> = new Map([
  ['POST /v1/orders', 'create'],
  ['POST /v1/webhooks/stripe', 'pay_confirmation'],
  ['POST /v1/orders/:id/accept', 'accept'],
  ['POST /v1/orders/:id/ready', 'ready'],
  ['POST /v1/orders/:id/pickup', 'pickup'],
  ['POST /v1/orders/:id/deliver', 'deliver'],
  ['GET /v1/orders/:id/tracking', 'tracking_read'],
  ['GET /v1/track/:token', 'tracking_read'],
]);

/** Methods outside this set are counted as OTHER: a label value never comes from the caller. */
const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;
const ZERO_TRACE = '0'.repeat(32);

/** The W3C trace id of the caller's `traceparent`, or a fresh one. */
export function traceIdOf(header: string | undefined): string {
  const m = header ? TRACEPARENT.exec(header.trim().toLowerCase()) : null;
  return m && m[1] !== ZERO_TRACE ? m[1]! : crypto.randomUUID().replace(/-/g, '');
}

/**
 * The route that answered, as declared (`/v1/orders/:id`), never the path (a
 * path may carry a token). The last matched route with a method is the
 * handler's, also when a middleware refused the request before it ran (401);
 * an unknown path is "(no route)".
 */
export function routeTemplate(c: Context<AppEnv>): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) if (routes[i]!.method !== 'ALL') return routes[i]!.path;
  return '(no route)';
}

const principalKind = (c: Context<AppEnv>): string => {
  const p = c.get('principal');
  return !p ? 'anonymous' : p.type === 'api_key' ? 'api_key' : p.role;
};

/**
 * One measurement and one log line per request (ADR 0090, docs/logging.md):
 * the request counter and duration histogram (and the operation histogram of
 * a critical route) go to this isolate's recorder, flushed to the aggregator
 * after the answer; the line carries ids, the route template, the status,
 * the duration and the kind of caller, nothing personal (no path, no query).
 */
export const observe = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  const traceId = traceIdOf(c.req.header('traceparent'));
  c.set('traceId', traceId);
  await next();
  const durationMs = Date.now() - started;
  const status = c.res.status;
  const route = routeTemplate(c);
  const method = METHODS.has(c.req.method) ? c.req.method : 'OTHER';
  const seconds = durationMs / 1000;
  metrics.inc(METRICS.httpRequests, [route, method, String(status)]);
  metrics.observe(METRICS.httpDuration, [route, method], seconds);
  const operation = OPERATIONS.get(`${method} ${route}`);
  if (operation) metrics.observe(METRICS.operationDuration, [operation], seconds);
  try {
    flushMetricsLater(c.env, c.executionCtx);
  } catch {
    // No execution context (a bare app.fetch in a test): the delta waits for the next request.
  }
  const failure = c.get('failure');
  const fields = {
    requestId: c.get('requestId'),
    traceId,
    method,
    route,
    status,
    durationMs,
    principal: principalKind(c),
    ...(operation ? { operation } : {}),
    ...(failure ? { error: failure.error, ...(failure.unexpected ? { stack: failure.error.stack } : {}) } : {}),
  };
  if (status >= 500) log[failure && !failure.unexpected ? 'warn' : 'error']('request failed', fields);
  else log.info('request', fields);
});
