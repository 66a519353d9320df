import { createMiddleware } from 'hono/factory';
import { openDatabase, type Database } from '../../db/client';
import type { AppEnv } from '../env';

/**
 * Opens the request's Postgres client on first use. The client is not ended
 * explicitly: its sockets belong to this request's I/O context and workerd
 * closes them when the request finishes, while Hyperdrive keeps the real
 * connections to Postgres pooled. Calling `sql.end()` races that teardown and
 * leaves "socket has been closed" rejections behind (see docs/decisions/0003).
 */
export const database = createMiddleware<AppEnv>(async (c, next) => {
  let db: Database | undefined;
  c.set('db', () => (db ??= openDatabase(c.env.HYPERDRIVE.connectionString)));
  await next();
});
