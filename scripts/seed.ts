/** `npm run db:seed`: migrates and seeds the demo city into the local (or DATABASE_URL) Postgres. */
import path from 'node:path';
import { startPostgres } from './lib/postgres';
import { migrateDatabase } from './lib/migrate';
import { seedDemoCity } from './lib/seed';
import { DATA_DIR, LOCAL_PORTS } from './lib/local-env';

const pg = await startPostgres({ dataDir: path.join(DATA_DIR, 'postgres'), port: LOCAL_PORTS.postgres, database: 'delivery', log: console.log });
try {
  await migrateDatabase(pg.url);
  const summary = await seedDemoCity(pg.url);
  console.log(`seeded: ${summary.created} created, ${summary.reused} reused`);
} finally {
  await pg.stop();
}
