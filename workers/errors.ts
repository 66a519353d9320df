import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv } from './env';
import { Problem, problems, problemResponse } from './problem';

/** postgres.js / socket failures that mean "the database is not there", not "the query is wrong". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000', // connection_exception
  '08003', // connection_does_not_exist
  '08006', // connection_failure
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
  // A pool in front of Postgres (Hyperdrive, pgbouncer) that had no server
  // connection free in time answers with a protocol error: overload, not a bad query.
  '08P01', // protocol_violation (pgbouncer's query_wait_timeout, pool full)
]);

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    const message = String((e as { message?: unknown }).message ?? '');
    if (/connect(ion)? (refused|timed out|timeout)|connection attempt failed|connection (terminated|reset)|network connection lost|socket (has been )?closed|cannot connect to the specified address|query_wait_timeout|no more connections allowed/i.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

function toProblem(error: unknown): Problem {
  if (error instanceof Problem) return error;
  if (error instanceof HTTPException) {
    switch (error.status) {
      case 400:
        // Hono's JSON validator raises 400 for a body that does not parse.
        return problems.malformed(/json/i.test(error.message) ? 'The request body is not valid JSON.' : error.message || 'Malformed request.');
      case 413:
        return problems.tooLarge(0);
      case 415:
        return new Problem(415, 'unsupported-media-type', 'Send the body as application/json.');
      default:
        return new Problem(error.status, 'http-error', error.message || 'Request failed.');
    }
  }
  if (isDatabaseUnavailable(error)) return problems.unavailable('The database is temporarily unavailable.');
  return problems.internal();
}

/** The app's one error handler: every failure is an RFC 9457 problem, never a stack trace. */
export function onError(error: Error, c: Context<AppEnv>): Response {
  const problem = toProblem(error);
  if (problem.status >= 500) {
    // Expected outages (a Problem such as 503) are logged without a stack; an
    // unexpected error keeps its stack frames in the log, never in the answer.
    // The request's one log line (middleware/observe) describes the error
    // without its query's parameters (domain/log.ts).
    c.set('failure', { error, unexpected: !(error instanceof Problem) });
  }
  const response = problemResponse(problem, c.req.path, { 'X-Request-Id': c.get('requestId') ?? '' });
  return response;
}

export function notFound(c: Context<AppEnv>): Response {
  return problemResponse(problems.notFound(`No route for ${c.req.method} ${c.req.path}.`), c.req.path);
}
