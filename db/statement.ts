/**
 * Statements built once per isolate (issue 14). drizzle turns a query
 * builder into SQL text on every call — walking every column and condition,
 * checking each chunk's kind — and that was about a tenth of the Worker's CPU
 * placing an order (docs/capacity.md, the isolate's profile). A statement
 * made here is built the first time it runs, with `sql.placeholder(name)` for
 * its inputs, and then only bound: each call runs the built text on the
 * caller's own client (the request's, or its transaction's) with the values
 * it gives, as the same unnamed statement drizzle would have sent
 * (`prepare: false`, db/client.ts), and maps the rows as drizzle does.
 *
 * Only for reads whose text does not depend on the values (no lists whose
 * length varies, no optional conditions): everything else stays a query
 * built per call. Whatever differs between calls must be a placeholder: a
 * plain value written into the builder (`new Date()`, say) is fixed the first
 * time and sent unchanged ever after. That is also why writes are refused: an
 * insert's `$defaultFn` ids and an update's `$onUpdate` timestamps would be
 * computed once, at build.
 */
import { drizzle } from 'drizzle-orm/postgres-js';
import type { Database } from './client';

/** Builds without a connection: a statement's text needs the dialect, not a client. */
const builder = drizzle.mock() as unknown as Database;

interface Preparable<T> {
  prepare(name: string): Executable<T>;
}

interface Executable<T> {
  execute(placeholderValues?: Record<string, unknown>): Promise<T>;
}

/** A database or a transaction: where the statement runs. */
type Runner = Pick<Database, 'select'>;

export type Statement<T, V extends Record<string, unknown>> = (db: Runner, values: V) => Promise<T>;

export function statement<T, V extends Record<string, unknown>>(name: string, build: (db: Database) => Preparable<T>): Statement<T, V> {
  let built: Executable<T> | undefined;
  return async (db, values) => {
    built ??= readOnly(name, build(builder).prepare(name));
    // drizzle's prepared query runs on `this.client`; the built one is shared, so each call binds its own.
    const bound = Object.create(built, { client: { value: clientOf(db) }, prepare: { value: false } }) as Executable<T>;
    return bound.execute(values);
  };
}

function readOnly<T>(name: string, built: Executable<T>): Executable<T> {
  const text = (built as unknown as { queryString?: unknown }).queryString;
  if (typeof text !== 'string' || !/^\s*select\s/i.test(text)) throw new Error(`statement ${name}: only a select can be built once (its defaults would be fixed at build)`);
  return built;
}

function clientOf(db: Runner): unknown {
  const client = (db as unknown as { session?: { client?: unknown } }).session?.client;
  if (!client) throw new Error('statement(): not a drizzle postgres-js database or transaction');
  return client;
}
