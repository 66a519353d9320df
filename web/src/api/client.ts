/**
 * Minimal typed fetch wrapper for the platform API.
 *
 * - Sends/accepts JSON.
 * - Sends no credentials of its own: the web apps' sessions are HttpOnly
 *   cookies the browser sends, for the app a call names (`X-Session-App`,
 *   added by apps/shared/session.ts; ADR 0087). No token is ever stored
 *   where a script could read it.
 * - Turns every failure (HTTP error, network error, malformed body) into an
 *   {@link ApiProblem} carrying RFC 9457 problem-details fields, so UI code has
 *   a single error shape to render.
 */

const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem details as returned by the API. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string | undefined;
  instance?: string | undefined;
  /** Extension members (e.g. validation `errors`). */
  [extension: string]: unknown;
}

/** Error thrown by {@link apiFetch} for any unsuccessful call. */
export class ApiProblem extends Error {
  readonly type: string;
  readonly title: string;
  /** HTTP status; `0` when no response was received (network failure). */
  readonly status: number;
  readonly detail: string | undefined;
  readonly instance: string | undefined;
  /** The full problem document, including extension members. */
  readonly problem: ProblemDetails;

  constructor(problem: ProblemDetails) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.name = 'ApiProblem';
    this.type = problem.type;
    this.title = problem.title;
    this.status = problem.status;
    this.detail = problem.detail;
    this.instance = problem.instance;
    this.problem = problem;
  }
}

/** Converts anything caught from {@link apiFetch} into an {@link ApiProblem}. */
export function toApiProblem(error: unknown): ApiProblem {
  if (error instanceof ApiProblem) return error;
  return new ApiProblem({
    type: 'about:blank',
    title: 'Unexpected error',
    status: 0,
    detail: error instanceof Error ? error.message : String(error),
  });
}

// ---------------------------------------------------------------------------

export interface ApiFetchInit extends Omit<RequestInit, 'body'> {
  /** Raw body, sent as-is. Prefer {@link ApiFetchInit.json}. */
  body?: BodyInit | null;
  /** Value serialised with `JSON.stringify` and sent as `application/json`. */
  json?: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isJsonContentType(contentType: string | null): boolean {
  if (!contentType) return false;
  const mediaType = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

/** Builds problem details from an error response, tolerating non-RFC bodies. */
async function problemFromResponse(response: Response): Promise<ApiProblem> {
  const fallbackTitle = response.statusText || `Request failed with status ${String(response.status)}`;
  let body: unknown = undefined;
  if (isJsonContentType(response.headers.get('Content-Type'))) {
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
  }

  if (isRecord(body)) {
    const { type, title, status, detail, instance, ...extensions } = body;
    return new ApiProblem({
      ...extensions,
      type: typeof type === 'string' ? type : 'about:blank',
      title: typeof title === 'string' && title ? title : fallbackTitle,
      status: typeof status === 'number' ? status : response.status,
      detail: typeof detail === 'string' ? detail : undefined,
      instance: typeof instance === 'string' ? instance : undefined,
    });
  }

  return new ApiProblem({
    type: 'about:blank',
    title: fallbackTitle,
    status: response.status,
    detail:
      response.status >= 500
        ? 'The service is unavailable right now. Please try again shortly.'
        : undefined,
  });
}

/**
 * Calls the API and resolves with the parsed JSON body typed as `T`.
 * Resolves with `undefined` for empty responses (e.g. 204).
 * Rejects with {@link ApiProblem}; an aborted request rejects with the
 * original `AbortError` so callers can ignore it.
 *
 * Note: the body is not validated at runtime; `T` is trusted.
 */
export async function apiFetch<T>(path: string, init: ApiFetchInit = {}): Promise<T> {
  const { json, headers: initHeaders, body: rawBody, ...rest } = init;
  const headers = new Headers(initHeaders);

  if (!headers.has('Accept')) {
    headers.set('Accept', `application/json, ${PROBLEM_CONTENT_TYPE}`);
  }

  let body: BodyInit | null | undefined = rawBody;
  if (json !== undefined) {
    body = JSON.stringify(json);
    headers.set('Content-Type', 'application/json');
  } else if (typeof body === 'string' && !headers.has('Content-Type')) {
    headers.set('Content-Type', 'application/json');
  }

  let response: Response;
  try {
    response = await fetch(path, { credentials: 'same-origin', ...rest, headers, body: body ?? null });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiProblem({
      type: 'about:blank',
      title: 'Network error',
      status: 0,
      detail: 'Could not reach the server. Check your connection and try again.',
    });
  }

  if (!response.ok) {
    throw await problemFromResponse(response);
  }

  if (response.status === 204 || response.status === 205) {
    return undefined as T;
  }

  const text = await response.text();
  if (text === '') return undefined as T;
  if (!isJsonContentType(response.headers.get('Content-Type'))) {
    throw new ApiProblem({
      type: 'about:blank',
      title: 'Unexpected response',
      status: response.status,
      detail: 'The server did not return JSON.',
    });
  }
  try {
    const data: unknown = JSON.parse(text);
    return data as T;
  } catch {
    throw new ApiProblem({
      type: 'about:blank',
      title: 'Unexpected response',
      status: response.status,
      detail: 'The server returned malformed JSON.',
    });
  }
}
