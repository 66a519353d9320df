import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { ZodError } from 'zod';
import type { AppEnv } from './env';
import { problems, type FieldError } from './problem';

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'https://delivery.example.com/problems/validation-failed' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

/** Response entries for the problems a route can answer, for its OpenAPI description. */
export function problemResponses(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: 'Malformed request (for example, invalid JSON)',
    401: 'Missing or invalid credentials',
    403: 'Authenticated but not allowed',
    404: 'Not found, or not yours',
    409: 'Conflict with the current state',
    413: 'Body too large',
    415: 'Unsupported media type',
    422: 'Invalid fields',
    429: 'Rate limited (see Retry-After)',
    503: 'A dependency is unavailable (see Retry-After)',
  };
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: descriptions[status] ?? 'Problem',
        content: { 'application/problem+json': { schema: ProblemSchema } },
      },
    ]),
  );
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
