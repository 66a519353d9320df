import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { ZodError } from 'zod';
import type { AppEnv } from './env';
import { problems, type FieldError } from './problem';
import { PROBLEM_TYPES } from './problem-types';

const typesWith = (member: string) =>
  PROBLEM_TYPES.filter((p) => p.members.includes(member))
    .map((p) => `\`${p.slug}\``)
    .join(', ');

export const ProblemSchema = z
  .object({
    type: z.string().openapi({
      example: 'https://delivery.example.com/problems/validation-failed',
      description:
        'A stable URI: https://delivery.example.com/problems/ followed by one of ' +
        PROBLEM_TYPES.map((p) => `\`${p.slug}\` (${p.statuses.join('/')})`).join(', ') +
        '. docs/problems.md says when each is answered and which members it carries.',
    }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional().openapi({ description: 'The request’s id (also the X-Request-Id header), for support.' }),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: `Each invalid field (${typesWith('errors')}).` }),
    currentStatus: z.string().optional().openapi({ description: `The order’s status when the request was refused (${typesWith('currentStatus')}).` }),
    currentDispatch: z.string().optional().openapi({ description: `The order’s dispatch state when the step was refused (${typesWith('currentDispatch')}).` }),
    reason: z.string().optional().openapi({ description: `Why, as a code (${typesWith('reason')}).` }),
    orderId: z.string().optional().openapi({ description: `The order that stands in the way (${typesWith('orderId')}).` }),
    orderIds: z.array(z.string()).optional().openapi({ description: `The orders that stand in the way (${typesWith('orderIds')}).` }),
    openOrders: z.number().int().optional().openapi({ description: `How many orders are still open (${typesWith('openOrders')}).` }),
    merchantId: z.string().optional().openapi({ description: `The business that stands in the way (${typesWith('merchantId')}).` }),
    limit: z.number().int().optional().openapi({ description: `The limit reached (${typesWith('limit')}).` }),
    accepted: z.array(z.string()).optional().openapi({ description: `The media types accepted (${typesWith('accepted')}).` }),
    releaseAt: z.string().optional().openapi({ format: 'date-time', description: `When the scheduled order is released to its merchant (${typesWith('releaseAt')}).` }),
    zone: z.object({ id: z.string(), name: z.string() }).optional().openapi({ description: `The service zone the drop-off lies in (${typesWith('zone')}).` }),
    opensAt: z.string().datetime().nullable().optional().openapi({ description: `The shop’s next opening, null when none in the next two weeks (${typesWith('opensAt')}).` }),
    timezone: z.string().optional().openapi({ description: `The IANA time zone the shop’s hours are read in (${typesWith('timezone')}).` }),
  })
  .openapi('Problem', { description: 'An RFC 9457 problem. Members beyond type, title, status, detail and instance appear only with the types named in their descriptions (docs/problems.md).' });

/**
 * Retry-After is the only throttling header the API sends (no RateLimit-* or
 * X-RateLimit-* headers): integer seconds, at least 1, on every 429 and 503
 * and on 409 `idempotency-key-in-use`.
 */
const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds (an integer, at least 1) to wait before trying again. The API sends no other rate-limit headers.',
    schema: { type: 'integer' as const, minimum: 1 },
  },
};

/** Response entries for the problems a route can answer, for its OpenAPI description. */
export function problemResponses(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: 'Malformed request (for example, invalid JSON)',
    401: 'Missing or invalid credentials',
    403: 'Authenticated but not allowed',
    404: 'Not found, or not yours (also: a path carrying a control character or an invalid code point)',
    409: 'Conflict with the current state (`idempotency-key-in-use` comes with Retry-After)',
    413: 'Body too large',
    415: 'Unsupported media type',
    422: 'Invalid fields (`validation-failed`, each field named in `errors`), including any string of the path, query or body that carries a control character, a lone surrogate or a noncharacter',
    500: 'An unexpected error (`internal-error`), logged; never with internals',
    429: 'Rate limited (see Retry-After)',
    503: 'A dependency is unavailable (see Retry-After)',
  };
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: descriptions[status] ?? 'Problem',
        ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : status === 409 ? { headers: { 'Retry-After': { ...RETRY_AFTER['Retry-After'], required: false } } } : {}),
        content: { 'application/problem+json': { schema: ProblemSchema } },
      },
    ]),
  );
}

/**
 * The problems every operation can answer because of the app's shared
 * middleware, added to each route's documentation where the route does not
 * list them: 422 for a refused character in the query or body (ADR 0084),
 * 404 for one in a path parameter, 401 for bad credentials on any /v1 route
 * (middleware/auth.ts), and 400, 413 and 415 for a body that does not parse,
 * is too large or is not of the declared type; and 500, which any operation
 * may answer (`internal-error`, never with internals).
 */
export function documentEdgeResponses(app: Pick<OpenAPIHono<AppEnv>, 'openAPIRegistry'>): void {
  for (const def of app.openAPIRegistry.definitions) {
    if (def.type !== 'route') continue;
    const route = def.route;
    const edge = [422, 500];
    if (route.path.startsWith('/v1/')) edge.push(401);
    if (/\{\w+\}/.test(route.path)) edge.push(404);
    if (route.request?.body) edge.push(400, 413, 415);
    const missing = edge.filter((status) => !(String(status) in route.responses));
    if (missing.length > 0) def.route = { ...route, responses: { ...route.responses, ...problemResponses(...missing) } };
  }
}

export function zodIssuesToFieldErrors(error: ZodError, target: string): FieldError[] {
  return error.issues.map((issue) => ({
    path: [target, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}

/**
 * Every router is an OpenAPIHono whose failed validation becomes a 422 problem
 * listing the path of each invalid field.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw problems.validation(zodIssuesToFieldErrors(result.error, result.target));
      }
    },
  });
}
