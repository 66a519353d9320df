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
 *
 * The options are parsed once per isolate (issue 14): `postgres(url, …)`
 * parses the URL and its defaults every time and, unless told otherwise, also
 * builds a second, idle client for logical-replication `subscribe()`, which
 * nothing here uses. Handing it options it already parsed (the object carries
 * `shared`, as postgres.js's own subscriber does) skips both; each client gets
 * its own copies of what a client writes to (`parameters`, `shared`, its type
 * maps). Measured in Node: 176 → 106 µs per client (docs/capacity.md).
 */
export function openDatabase(connectionString: string, options: OpenOptions = {}): Database {
  const sql = postgres(clientOptions(connectionString, options));
  return drizzle(sql) as Database;
}

type ParsedOptions = postgres.ParsedOptions<Record<string, postgres.PostgresType>>;

const parsedOptions = new Map<string, ParsedOptions>();

function clientOptions(connectionString: string, options: OpenOptions): postgres.Options<Record<string, postgres.PostgresType>> {
  const max = options.max ?? 5;
  const connectTimeout = options.connectTimeoutSeconds ?? 5;
  const key = `${max}|${connectTimeout}|${connectionString}`;
  let parsed = parsedOptions.get(key);
  if (!parsed) {
    // Parsed by postgres.js itself, once: this client is never used (it opens no socket until a query).
    parsed = postgres(connectionString, { max, fetch_types: false, prepare: false, connect_timeout: connectTimeout, onnotice: () => {} }).options;
    // A handful of connection strings per isolate; a rotated one replaces the rest rather than piling up.
    if (parsedOptions.size >= 8) parsedOptions.clear();
    parsedOptions.set(key, parsed);
  }
  const own = parsed as ParsedOptions & { parsers: Record<string, unknown>; serializers: Record<string, unknown> };
  return {
    ...own,
    parameters: {},
    shared: { retries: 0, typeArrayMap: {} },
    parsers: { ...own.parsers },
    serializers: { ...own.serializers },
    no_subscribe: true,
  } as unknown as postgres.Options<Record<string, postgres.PostgresType>>;
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
