import postgres from 'postgres';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import * as schema from './schema/index';

export type Database = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };

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
 * that need OID lookup.
 */
export function openDatabase(connectionString: string, options: OpenOptions = {}): Database {
  const sql = postgres(connectionString, {
    max: options.max ?? 5,
    fetch_types: false,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    onnotice: () => {},
  });
  return drizzle(sql, { schema }) as Database;
}
