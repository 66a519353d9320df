/**
 * Time partitions (migration 0013, ADR 0119) against the real Postgres:
 * a database filled under the previous schema is migrated and keeps every
 * row and constraint; the maintenance creates partitions ahead (twice is
 * once), moves rows out of the default partition, and retention drops whole
 * partitions, keeping one that still holds an unpublished event.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MIGRATIONS_DIR, migrateDatabase } from '../../scripts/lib/migrate';
import { openDatabase } from '../../db/client';
import { ensurePartitions, listPartitions, maintainPartitions, PARTITIONED_TABLES, partitionName, periodStart } from '../../workers/services/partitions';

const DAY = 24 * 60 * 60 * 1000;
const baseUrl = inject('databaseUrl');
const dbName = `partitions_${process.pid}_${Date.now()}`;
const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
const url = (() => {
  const u = new URL(baseUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
const sql = postgres(url, { max: 1, onnotice: () => {} });
const db = openDatabase(url, { max: 1 });
const outboxTable = PARTITIONED_TABLES.find((t) => t.table === 'outbox')!;
const ROWS = 20_000;

/** The migrations folder without 0013 and what follows: the schema as it was before partitioning. */
function migrationsBeforePartitioning(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'migrations-'));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  const journalPath = path.join(dir, 'meta/_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { idx: number; tag: string }[] };
  const at = journal.entries.findIndex((e) => e.tag === '0013_time_partitions');
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, at) }));
  return dir;
}

const where = async (id: string) => (await sql<{ part: string }[]>`select tableoid::regclass::text as part from outbox where id = ${id}`)[0]?.part;

beforeAll(async () => {
  await admin.unsafe(`CREATE DATABASE "${dbName}"`);
  const before = migrationsBeforePartitioning();
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrate(drizzle(client), { migrationsFolder: before });
  } finally {
    await client.end();
    rmSync(before, { recursive: true, force: true });
  }
  // 20 days of published events (one unpublished, 12 days old), and two years of audit entries.
  await sql`insert into outbox (id, topic, aggregate_type, aggregate_id, payload, created_at, published_at)
            select 'obx_fill' || g, 'order.placed', 'order', 'ord_' || (g % 997), jsonb_build_object('n', g),
                   now() - (g % 20) * interval '1 day' - interval '1 hour', now() - (g % 20) * interval '1 day'
            from generate_series(1, ${ROWS}) g`;
  await sql`update outbox set published_at = null where id = 'obx_fill12'`;
  await sql`insert into audit_log (id, actor_type, action, at)
            select 'aud_fill' || g, 'customer', 'auth.login', now() - (g % 730) * interval '1 day' from generate_series(1, 2000) g`;
}, 60_000);

afterAll(async () => {
  await sql.end();
  await db.$client.end();
  await admin.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.end();
});

describe('time partitions', () => {
  it('the migration converts a filled database without losing a row or a constraint', async () => {
    const digest = async (table: string) =>
      (await sql.unsafe<{ n: number; h: string }[]>(`select count(*)::int as n, md5(string_agg(id, ',' order by id)) as h from ${table}`))[0]!;
    const before = { outbox: await digest('outbox'), audit: await digest('audit_log') };
    await migrateDatabase(url);
    expect(await digest('outbox')).toEqual(before.outbox);
    expect(await digest('audit_log')).toEqual(before.audit);
    expect(before.outbox.n).toBe(ROWS);

    const kinds = await sql<{ relname: string; relkind: string }[]>`select relname, relkind::text from pg_class where relname in ('outbox', 'audit_log') order by 1`;
    expect(kinds).toEqual([{ relname: 'audit_log', relkind: 'p' }, { relname: 'outbox', relkind: 'p' }]);
    // The old rows are the legacy partition, up to the end of today; the week ahead and the default exist.
    const parts = await listPartitions(db, 'outbox');
    const legacy = parts.find((p) => p.name === 'outbox_legacy')!;
    expect(legacy.from).toBeNull();
    expect(legacy.to).toEqual(new Date(periodStart(new Date(), 'day').getTime() + DAY));
    expect(parts.filter((p) => /^outbox_p\d{8}$/.test(p.name))).toHaveLength(7);
    expect(parts.at(-1)).toMatchObject({ name: 'outbox_default', isDefault: true });
    expect((await listPartitions(db, 'audit_log')).map((p) => p.name)).toContain('audit_log_legacy');

    // Primary key (id, time) and every secondary index, on the legacy partition too.
    await expect(sql`insert into outbox (id, topic, aggregate_type, aggregate_id, payload, created_at)
                     select id, topic, aggregate_type, aggregate_id, payload, created_at from outbox where id = 'obx_fill1'`).rejects.toMatchObject({ code: '23505' });
    const indexes = (await sql<{ indexname: string }[]>`select indexname from pg_indexes where tablename = 'outbox_legacy'`).length;
    expect(indexes).toBe(5);
    await expect(sql`insert into outbox (id, topic, aggregate_type, aggregate_id) values ('obx_nopayload', 't', 'order', 'x')`).rejects.toMatchObject({ code: '23502' });

    // A new row goes to tomorrow's partition; one far in the future to the default.
    const tomorrow = new Date(Date.now() + DAY);
    await sql`insert into outbox (id, topic, aggregate_type, aggregate_id, payload, created_at, published_at) values ('obx_tomorrow', 't', 'order', 'x', '{}', ${tomorrow}, ${tomorrow})`;
    expect(await where('obx_tomorrow')).toBe(partitionName(outboxTable, periodStart(tomorrow, 'day')));
  });

  it('the maintenance creates partitions ahead once, and moves rows out of the default partition', async () => {
    const later = new Date(Date.now() + 20 * DAY);
    await sql`insert into outbox (id, topic, aggregate_type, aggregate_id, payload, created_at) values ('obx_stray', 't', 'order', 'x', '{}', ${later})`;
    expect(await where('obx_stray')).toBe('outbox_default');

    const created = await ensurePartitions(db, outboxTable, later);
    expect(created).toHaveLength(8); // that day and seven ahead
    expect(created[0]).toBe(partitionName(outboxTable, periodStart(later, 'day')));
    expect(await where('obx_stray')).toBe(created[0]);
    expect(await ensurePartitions(db, outboxTable, later)).toEqual([]);
    expect(await sql`select 1 from outbox_default`).toHaveLength(0);
  });

  it('retention drops whole partitions past it, and keeps one with an unpublished event', async () => {
    const now = new Date(Date.now() + 12 * DAY);
    const report = await maintainPartitions(db, now);
    // Everything ending before now − 7 days: the legacy partition holds the unpublished row, so it stays;
    // the empty partitions of the coming days (ending ≤ 5 days from today) go.
    expect(report.outbox!.kept).toEqual(['outbox_legacy']);
    expect(report.outbox!.dropped.length).toBeGreaterThanOrEqual(4);
    for (const name of report.outbox!.dropped) expect(await sql`select to_regclass(${name}) as t`).toEqual([{ t: null }]);
    expect(report.audit_log!.dropped).toEqual([]);

    await sql`update outbox set published_at = now() - interval '30 days' where id = 'obx_fill12'`;
    const again = await maintainPartitions(db, now);
    expect(again.outbox!.dropped).toContain('outbox_legacy');
    expect(await sql`select count(*)::int as n from outbox where id like 'obx_fill%'`).toEqual([{ n: 0 }]);
    expect(await where('obx_stray')).toBeDefined();
  });
});
