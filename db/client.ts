import postgres from 'postgres';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';

export type Database = PostgresJsDatabase & { $client: postgres.Sql };

export interface OpenOptions {
  /** Upper bound of sockets this client opens (Workers allow 6 per invocation). */
  max?: number;
  /** Seconds to wait for a connection before failing (readiness answers fast). */
  connectTimeoutSeconds?: number;
}

/**
 * One client per request (a module-level client breaks across requests in workerd):
 * Hyperdrive pools the real connections, so opening one is cheap.
 * `fetch_types: false` saves a round trip; the schema uses no custom array types
 * that need OID lookup. `prepare: false` sends each query as one unnamed
 * Parse/Bind/Execute/Sync: with named statements postgres.js first sends
 * Parse/Describe and waits for the answer, and a client that lives for one
 * request never reuses what it prepared, so every query cost two round trips
 * to the database instead of one (measured by bench/order-flow.ts's proxy;
 * docs/capacity.md). No `schema` is given to drizzle: nothing uses its
 * relational query API (`db.query.*`), and building that config again for
 * every request's client cost about as much as the client itself (measured
 * 0.45 ms against 0.23 ms per client in Node).
 */
export function openDatabase(connectionString: string, options: OpenOptions = {}): Database {
  const sql = postgres(connectionString, {
    max: options.max ?? 5,
    fetch_types: false,
    prepare: false,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    onnotice: () => {},
  });
  return drizzle(sql) as Database;
}

/**
 * A `json` column of a query (a `json_agg` subquery, say). With
 * `fetch_types: false` postgres.js may hand it over as its text rather than
 * parsed; this gives the value either way.
 */
export function jsonColumn<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** SQLSTATE of a Postgres error, through drizzle's DrizzleQueryError wrapper. */
export function pgErrorCode(error: unknown): { code?: string; constraint?: string } {
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    const { code, constraint_name: constraint } = e as { code?: unknown; constraint_name?: unknown };
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
      return { code, ...(typeof constraint === 'string' ? { constraint } : {}) };
    }
    e = (e as { cause?: unknown }).cause;
  }
  return {};
}
