/**
 * RFC 9457 problem details. Every failure leaving the API is one of these:
 * domain code throws `Problem`, the app's one `onError` renders it, and anything
 * else becomes a 500 problem without internals (never a stack trace).
 */
export interface FieldError {
  path: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Problem type URIs are stable identifiers documented in docs/problems.md. */
export const PROBLEM_BASE = 'https://delivery.example.com/problems/';

export class Problem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, unknown>;

  constructor(
    status: number,
    slug: string,
    detail: string,
    options: {
      title?: string;
      errors?: FieldError[];
      headers?: Record<string, string>;
      extensions?: Record<string, unknown>;
    } = {},
  ) {
    super(detail);
    this.name = 'Problem';
    this.status = status;
    this.type = PROBLEM_BASE + slug;
    this.title = options.title ?? TITLES[status] ?? 'Error';
    this.detail = detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }

  toBody(instance?: string): ProblemBody {
    return {
      ...this.extensions,
      type: this.type,
      title: this.title,
      status: this.status,
      detail: this.detail,
      ...(instance ? { instance } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

export const problems = {
  malformed: (detail = 'The request body is not valid JSON.') => new Problem(400, 'malformed-request', detail),
  validation: (errors: FieldError[]) =>
    new Problem(422, 'validation-failed', 'One or more fields are invalid.', { errors }),
  unauthorized: (detail = 'Missing or invalid credentials.') =>
    new Problem(401, 'unauthorized', detail, { headers: { 'WWW-Authenticate': 'Bearer' } }),
  forbidden: (detail = 'You are not allowed to do this.') => new Problem(403, 'forbidden', detail),
  notFound: (detail = 'No such resource.') => new Problem(404, 'not-found', detail),
  conflict: (slug: string, detail: string, extensions?: Record<string, unknown>) =>
    new Problem(409, slug, detail, extensions ? { extensions } : {}),
  tooLarge: (limitBytes: number) =>
    new Problem(413, 'body-too-large', `The request body exceeds ${limitBytes} bytes.`),
  rateLimited: (retryAfterSeconds: number, detail = 'Too many requests; try again later.') =>
    new Problem(429, 'rate-limited', detail, {
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    }),
  unavailable: (detail: string, retryAfterSeconds = 5) =>
    new Problem(503, 'dependency-unavailable', detail, {
      headers: { 'Retry-After': String(retryAfterSeconds) },
    }),
  internal: () => new Problem(500, 'internal-error', 'An unexpected error occurred. It has been logged.'),
};

export function problemResponse(problem: Problem, instance?: string, extraHeaders: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem.toBody(instance)), {
    status: problem.status,
    headers: { 'Content-Type': 'application/problem+json', ...problem.headers, ...extraHeaders },
  });
}
