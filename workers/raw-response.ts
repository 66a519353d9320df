import type { RouteConfig, RouteConfigToTypedResponse } from '@hono/zod-openapi';

/**
 * A raw Response as the route's declared response type (issue 17, ADR 0116).
 * Some answers cannot be built with `c.json`: a byte-identical idempotent
 * replay, a WebSocket 101 from a Durable Object, a stored photo's bytes, a
 * body already serialised for the idempotency record. @hono/zod-openapi types
 * a raw Response only for routes with a content-less response, so these need
 * one narrowing: this one, named by the route it answers, instead of an
 * `as never` per handler. That the status and body match the route's
 * documentation is not something TypeScript can see in bytes; the workerd
 * suites check every answer against the OpenAPI document (test/support/worker-entry.ts).
 */
export function routeResponse<R extends RouteConfig>(_route: R, response: Response): RouteConfigToTypedResponse<R> {
  return response as unknown as RouteConfigToTypedResponse<R>;
}
