import { readFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MIGRATIONS_DIR, migrateDatabase } from '../../scripts/lib/migrate';

/** A database of its own on the test server, so "from empty" really is empty. */
const baseUrl = inject('databaseUrl');
const dbName = `migrations_${process.pid}_${Date.now()}`;
const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
const url = (() => {
  const u = new URL(baseUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();

beforeAll(async () => {
  await admin.unsafe(`CREATE DATABASE "${dbName}"`);
});

afterAll(async () => {
  await admin.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.end();
});

describe('migrations', () => {
  const journal = JSON.parse(readFileSync(path.join(MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };

  it('apply to an empty database and create the whole domain', async () => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      expect(await sql`select count(*)::int as n from information_schema.tables where table_schema = 'public'`).toEqual([{ n: 0 }]);
      await migrateDatabase(url);
      const tables = (await sql<{ table_name: string }[]>`select table_name from information_schema.tables where table_schema = 'public'`).map(
        (r) => r.table_name,
      );
      for (const t of ['cities', 'users', 'user_profiles', 'merchants', 'drivers', 'products', 'orders', 'order_items',
        'order_status_events', 'payments', 'refunds', 'outbox', 'idempotency_keys', 'audit_log']) {
        expect(tables).toContain(t);
      }
      const applied = await sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
      expect(applied[0]!.n).toBe(journal.entries.length);
    } finally {
      await sql.end();
    }
  });

  it('are idempotent: a second run applies nothing and keeps data', async () => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await sql`insert into cities (id, name, center_lat, center_lng, currency, timezone, service_radius_km, delivery_base_fee_cents, delivery_per_km_cents)
                values ('cty_migrationtest00000000', 'Testville', 1, 2, 'EUR', 'Europe/Paris', 5, 100, 10)`;
      await migrateDatabase(url);
      expect((await sql`select count(*)::int as n from drizzle.__drizzle_migrations`)[0]!.n).toBe(journal.entries.length);
      expect(await sql`select name from cities where id = 'cty_migrationtest00000000'`).toEqual([{ name: 'Testville' }]);
    } finally {
      await sql.end();
    }
  });

  it('enforce integer money and case-insensitive unique emails at the database', async () => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await sql`insert into users (id, role) values ('usr_a0000000000000000000', 'customer'), ('usr_b0000000000000000000', 'customer')`;
      await sql`insert into user_profiles (user_id, email, name) values ('usr_a0000000000000000000', 'Zoe@Example.com', 'Zoe')`;
      await expect(sql`insert into user_profiles (user_id, email, name) values ('usr_b0000000000000000000', 'zoe@example.COM', 'Other')`).rejects.toMatchObject({
        code: '23505',
      });
      const money = await sql<{ data_type: string }[]>`select data_type from information_schema.columns where table_name = 'orders' and column_name = 'total_cents'`;
      expect(money[0]!.data_type).toBe('integer');
    } finally {
      await sql.end();
    }
  });
});
