import type { TestProject } from 'vitest/node';
import { startPostgres } from '../../scripts/lib/postgres';
import { migrateDatabase } from '../../scripts/lib/migrate';


/**
 * Starts Postgres for a test project (embedded, or a fresh database on the
 * server DATABASE_URL names), migrates it from empty, and hands its URL to the
 * tests and to the Hyperdrive binding.
 */
export default async function setup(project: TestProject) {
  const pg = await startPostgres({
    database: `delivery_test_${process.pid}`,
    freshDatabaseOnExternal: true,
  });
  await migrateDatabase(pg.url);
  project.provide('databaseUrl', pg.url);
  return async () => {
    await pg.stop();
  };
}
