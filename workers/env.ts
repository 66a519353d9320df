import type { Database } from '../db/client';
import type { Principal } from './services/auth/principal';

/** What a request carries through the Hono context. */
export interface AppVariables {
  requestId: string;
  /** Lazily opened per request by the db middleware; closed after the response. */
  db: () => Database;
  /** The authenticated caller, when credentials were given (see middleware/auth). */
  principal?: Principal;
  /** The W3C trace id of this request: the caller's `traceparent`, or a fresh one (middleware/observe). */
  traceId: string;
  /** What onError answered a 5xx for; the request's one log line describes it (middleware/observe). */
  failure?: { error: Error; unexpected: boolean };
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}

export const isLocalMode = (env: Pick<Env, 'APP_ENV'>): boolean => env.APP_ENV === 'local' || env.APP_ENV === 'test';
