/**
 * Time partitions (migration 0013, ADR 0119) against the real Postgres:
 * a database filled under the previous schema is migrated and keeps every
 * row and constraint; the maintenance creates partitions ahead (twice is
 * once), moves rows out of the default partition, and retention drops whole
 * partitions, keeping one that still holds an unpublished event. The same
 * for webhook deliveries (migration 0016, ADR 0126): partitioned on the
 * event's time, filled from the payload, the racing-consumer key intact.
 * And the row sweep, on a partitioned table, deletes only expired rows.
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
import { pruneBatch, RETENTION_RULES } from '../../workers/services/retention';

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
const WEBHOOK_ROWS = 3_000;

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
  // 40 days of webhook deliveries, three attempts per event, each payload carrying its event's time.
  await sql`insert into cities (id, name, center_lat, center_lng, currency, timezone, service_radius_km, delivery_base_fee_cents, delivery_per_km_cents)
            values ('cty_part', 'Part', 48.85, 2.35, 'EUR', 'Europe/Paris', 10, 200, 50)`;
  await sql`insert into merchants (id, city_id, name, kind, address, lat, lng) values ('mer_part', 'cty_part', 'Shop', 'restaurant', '1 rue', 48.85, 2.35)`;
  await sql`insert into webhook_endpoints (id, merchant_id, url, events, secret) values ('whk_part', 'mer_part', 'https://example.test/h', '{*}', 'whsec_dGVzdA==')`;
  await sql`insert into webhook_deliveries (id, endpoint_id, event_id, event_type, payload, attempt, status, created_at)
            select 'whd_fill' || g, 'whk_part', 'obx_ev' || (g / 3), 'order.placed',
                   jsonb_build_object('id', 'obx_ev' || (g / 3), 'type', 'order.placed',
                                      'createdAt', to_char(date_trunc('milliseconds', now() - ((g / 3) % 40) * interval '1 day') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
                   g % 3 + 1, 'failed', now() - ((g / 3) % 40) * interval '1 day' + (g % 3) * interval '1 minute'
            from generate_series(0, ${WEBHOOK_ROWS - 1}) g`;
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
    const before = { outbox: await digest('outbox'), audit: await digest('audit_log'), webhooks: await digest('webhook_deliveries') };
    await migrateDatabase(url);
    expect(await digest('outbox')).toEqual(before.outbox);
    expect(await digest('audit_log')).toEqual(before.audit);
    expect(await digest('webhook_deliveries')).toEqual(before.webhooks);
    expect(before.webhooks.n).toBe(WEBHOOK_ROWS);
    expect(before.outbox.n).toBe(ROWS);

    const kinds = await sql<{ relname: string; relkind: string }[]>`select relname, relkind::text from pg_class where relname in ('outbox', 'audit_log', 'webhook_deliveries') order by 1`;
    expect(kinds).toEqual([
      { relname: 'audit_log', relkind: 'p' },
      { relname: 'outbox', relkind: 'p' },
      { relname: 'webhook_deliveries', relkind: 'p' },
    ]);
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

  it('webhook deliveries: every row keeps its event time from the payload, the racing-consumer key and the foreign key hold', async () => {
    const [mismatch] = await sql<{ n: number }[]>`select count(*)::int as n from webhook_deliveries where event_at is distinct from (payload->>'createdAt')::timestamptz`;
    expect(mismatch!.n).toBe(0);
    const parts = await listPartitions(db, 'webhook_deliveries');
    expect(parts.map((p) => p.name)).toEqual(expect.arrayContaining(['webhook_deliveries_legacy', 'webhook_deliveries_default']));
    expect(parts.filter((p) => /^webhook_deliveries_p\d{8}$/.test(p.name))).toHaveLength(7);
    // Two consumers making attempt 2 of a new event: both compute the same event time; the second conflicts.
    const attempt = (id: string) =>
      sql`insert into webhook_deliveries (id, endpoint_id, event_id, event_type, event_at, payload, attempt)
          values (${id}, 'whk_part', 'obx_race', 'order.placed', ${new Date('2099-01-01T00:00:00.000Z')}, '{}', 2)`;
    await attempt('whd_race_a');
    await expect(attempt('whd_race_b')).rejects.toMatchObject({ code: '23505' });
    await sql`delete from webhook_deliveries where id = 'whd_race_a'`;
    // The endpoint's foreign key is on the partitioned table: an unknown endpoint is refused.
    await expect(sql`insert into webhook_deliveries (id, endpoint_id, event_id, event_type, event_at, payload) values ('whd_orphan', 'whk_none', 'e', 't', now(), '{}')`).rejects.toMatchObject({ code: '23503' });
    // A new attempt of an old event lands beside its earlier attempts (same event time, so same partition).
    const [old] = await sql<{ event_at: Date; part: string }[]>`select event_at, tableoid::regclass::text as part from webhook_deliveries where id = 'whd_fill30'`;
    await sql`insert into webhook_deliveries (id, endpoint_id, event_id, event_type, event_at, payload, attempt) values ('whd_fill30_retry', 'whk_part', 'obx_ev10', 'order.placed', ${old!.event_at}, '{}', 4)`;
    expect((await sql<{ part: string }[]>`select tableoid::regclass::text as part from webhook_deliveries where id = 'whd_fill30_retry'`)[0]!.part).toBe(old!.part);
    await sql`delete from webhook_deliveries where id = 'whd_fill30_retry'`;
  });

  it('the row sweep deletes only expired rows of a partitioned table, not the rows at the same place in its other partitions', async () => {
    // Two fresh partitions (far ahead, clear of the legacy one): the first row of each sits at the same ctid, (0,1).
    // The sweep's rule reads only published_at, so the expired row may sit in either.
    await sql`create table outbox_p20310101 partition of outbox for values from ('2031-01-01T00:00:00Z') to ('2031-01-02T00:00:00Z')`;
    await sql`create table outbox_p20300101 partition of outbox for values from ('2030-01-01T00:00:00Z') to ('2030-01-02T00:00:00Z')`;
    await sql`insert into outbox (id, topic, aggregate_type, aggregate_id, payload, created_at, published_at)
              values ('obx_expired_2020', 't', 'order', 'x', '{}', '2031-01-01T01:00:00Z', '2020-01-01T01:00:01Z'),
                     ('obx_live_2030', 't', 'order', 'x', '{}', '2030-01-01T01:00:00Z', null)`;
    const places = await sql<{ id: string; ctid: string }[]>`select id, ctid::text from outbox where id in ('obx_expired_2020', 'obx_live_2030') order by id`;
    expect(places.map((p) => p.ctid)).toEqual(['(0,1)', '(0,1)']);
    const rule = RETENTION_RULES.find((r) => r.name === 'outbox')!;
    // Expired rows elsewhere (the legacy partition) may go too; the 2030 row must stay.
    await pruneBatch(db, rule, new Date(), 100_000);
    expect(await sql`select id from outbox where id = 'obx_expired_2020'`).toHaveLength(0);
    expect(await sql`select id from outbox where id = 'obx_live_2030'`).toHaveLength(1);
    await sql`drop table outbox_p20310101`;
    await sql`delete from outbox where id = 'obx_live_2030'`;
    await sql`drop table outbox_p20300101`;
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

  it('webhook deliveries: whole days go 30 days after the event, unless an attempt still waits to retry', async () => {
    const webhooks = PARTITIONED_TABLES.find((t) => t.table === 'webhook_deliveries')!;
    const now = new Date(Date.now() + 45 * DAY);
    await sql`update webhook_deliveries set next_retry_at = now() + interval '1 hour' where id = 'whd_fill1'`;
    const kept = await maintainPartitions(db, now, [webhooks]);
    expect(kept.webhook_deliveries!.kept).toEqual(['webhook_deliveries_legacy']);
    expect(await sql`select count(*)::int as n from webhook_deliveries where id like 'whd_fill%'`).toEqual([{ n: WEBHOOK_ROWS }]);
    await sql`update webhook_deliveries set next_retry_at = null where id = 'whd_fill1'`;
    const dropped = await maintainPartitions(db, now, [webhooks]);
    expect(dropped.webhook_deliveries!.dropped).toContain('webhook_deliveries_legacy');
    expect(await sql`select count(*)::int as n from webhook_deliveries where id like 'whd_fill%'`).toEqual([{ n: 0 }]);
  });
});
