/** `npm run db:migrate`: applies pending migrations to the local (or DATABASE_URL) Postgres. */
import path from 'node:path';
import { startPostgres } from './lib/postgres';
import { migrateDatabase } from './lib/migrate';
import { DATA_DIR, LOCAL_PORTS } from './lib/local-env';

const pg = await startPostgres({ dataDir: path.join(DATA_DIR, 'postgres'), port: LOCAL_PORTS.postgres, database: 'delivery', log: console.log });
try {
  await migrateDatabase(pg.url);
  console.log('migrations applied');
} finally {
  await pg.stop();
}
