import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { ZodError } from 'zod';
import type { AppEnv } from './env';
import { problems, type FieldError } from './problem';

export const ProblemSchema = z
  .object({
    type: z.string().openapi({
      example: 'https://delivery.example.com/problems/validation-failed',
      description:
        'A stable URI under https://delivery.example.com/problems/. The shared ones: `validation-failed` (422: fields in `errors`, including a control character, lone surrogate or noncharacter anywhere in the query or body), ' +
        '`not-found` (404: also a path carrying such a character), `malformed-request` (400), `unauthorized` (401), `forbidden` (403), `body-too-large` (413), ' +
        '`unsupported-media-type` (415: also a JSON or form body in a charset other than UTF-8), `rate-limited` (429, with Retry-After: also too many live connections), ' +
        '`dependency-unavailable` (503, with Retry-After), `internal-error` (500, never with internals). Routes add their own, named in their descriptions (e.g. `idempotency-key-reused`, `illegal-transition`).',
    }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' as const, minimum: 1 } } };

/** Response entries for the problems a route can answer, for its OpenAPI description. */
export function problemResponses(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: 'Malformed request (for example, invalid JSON)',
    401: 'Missing or invalid credentials',
    403: 'Authenticated but not allowed',
    404: 'Not found, or not yours (also: a path carrying a control character or an invalid code point)',
    409: 'Conflict with the current state',
    413: 'Body too large',
    415: 'Unsupported media type',
    422: 'Invalid fields (`validation-failed`, each field named in `errors`), including any string of the path, query or body that carries a control character, a lone surrogate or a noncharacter',
    429: 'Rate limited (see Retry-After)',
    503: 'A dependency is unavailable (see Retry-After)',
  };
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: descriptions[status] ?? 'Problem',
        ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
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
 * is too large or is not of the declared type.
 */
export function documentEdgeResponses(app: Pick<OpenAPIHono<AppEnv>, 'openAPIRegistry'>): void {
  for (const def of app.openAPIRegistry.definitions) {
    if (def.type !== 'route') continue;
    const route = def.route;
    const edge = [422];
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
