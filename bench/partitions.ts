/**
 * Time partitions before and after (issue 18, ADR 0119): the outbox as it was
 * (one table, primary key id) beside the outbox as migration 0013 made it
 * (daily range partitions on created_at, primary key (id, created_at)), both
 * holding the same BENCH_PARTITION_ROWS event rows (10 million by default,
 * spread over 30 days, made with generate_series), with the platform's
 * indexes. Measured on each:
 * - insert cost: single-row inserts, one transaction each, as the platform
 *   writes its events (µs per row), and one set-based insert of 20,000 rows;
 * - retention cost: one expired day removed. Before: the row sweep's own
 *   statement (workers/services/retention.ts' pruneBatch), 1,000 rows a batch
 *   until the day is gone; after: dropExpiredPartitions (the cron's code)
 *   detaching and dropping that day's partition. Time and WAL written.
 *
 * `npm run bench -- partitions` (the full size takes a few minutes, mostly
 * the fill). BENCH_PARTITION_ROWS=200000 for a smoke run.
 */
import postgres from 'postgres';
import { openDatabase } from '../db/client';
import { migrateDatabase } from '../scripts/lib/migrate';
import { startPostgres } from '../scripts/lib/postgres';
import { dropExpiredPartitions, nextPeriod, partitionName, PARTITIONED_TABLES, periodStart } from '../workers/services/partitions';
import type { BenchRow } from './lib/results';

const BENCH = 'partitions';
const ROWS = Number(process.env.BENCH_PARTITION_ROWS ?? 10_000_000);
const DAYS = 30;
const SINGLE_INSERTS = 2_000;
const BULK_INSERT = 20_000;
const BATCH = 1_000;
const HARNESS = 'embedded Postgres (scripts/lib/postgres.ts), postgres.js from Node, same server for both tables';
const outboxTable = PARTITIONED_TABLES.find((t) => t.table === 'outbox')!;

const ms = (t0: number) => performance.now() - t0;

async function walBytes(sql: postgres.Sql, run: () => Promise<void>): Promise<{ ms: number; wal: number }> {
  const [a] = await sql<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`;
  const t0 = performance.now();
  await run();
  const took = ms(t0);
  const [b] = await sql<{ wal: string }[]>`select pg_wal_lsn_diff(pg_current_wal_lsn(), ${a!.lsn}::pg_lsn)::bigint as wal`;
  return { ms: took, wal: Number(b!.wal) };
}

/** The columns as the platform fills them: ~8 events per order, a small JSON payload, published a second later. */
const FILL_SELECT = `
  select 'obx_' || lpad(g::text, 12, '0'), 'order.placed', 'order', 'ord_' || (g / 8),
         jsonb_build_object('orderId', 'ord_' || (g / 8), 'status', 'placed', 'seq', g % 8),
         ts, ts + interval '1 second', 0, ts, ts + interval '2 seconds'
  from (select g, date_trunc('day', now()) - (1 + g % ${DAYS}) * interval '1 day' + (g % 86400) * interval '1 second' as ts
        from generate_series(1, $ROWS) g) s`;
const COLUMNS = '(id, topic, aggregate_type, aggregate_id, payload, created_at, published_at, attempts, next_attempt_at, consumed_at)';

async function singleInserts(sql: postgres.Sql, table: string, tag: string): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < SINGLE_INSERTS; i++) {
    await sql.unsafe(`insert into ${table} (id, topic, aggregate_type, aggregate_id, payload) values ($1, 'order.placed', 'order', $2, '{"status":"placed"}')`, [`obx_${tag}${i}`, `ord_${tag}${i}`]);
  }
  return (ms(t0) * 1000) / SINGLE_INSERTS;
}

export async function run(): Promise<BenchRow[]> {
  const pg = await startPostgres({ database: 'bench_partitions' });
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
  const db = openDatabase(pg.url, { max: 1 });
  try {
    await migrateDatabase(pg.url);
    await sql`set maintenance_work_mem = '256MB'`;
    // No checkpoint in the middle of a measurement because the fill filled the WAL.
    await sql`alter system set max_wal_size = '8GB'`;
    await sql`select pg_reload_conf()`;
    // The past month's daily partitions (the cron makes today's and the week ahead).
    const today = periodStart(new Date(), 'day');
    for (let d = DAYS; d >= 1; d--) {
      const from = nextPeriod(today, 'day', -d);
      await sql.unsafe(`create table ${partitionName(outboxTable, from)} partition of outbox for values from ('${from.toISOString()}') to ('${nextPeriod(from, 'day').toISOString()}')`);
    }
    // Filled without the secondary indexes, which are built afterwards (far faster than row by row).
    const indexes = await sql<{ name: string; def: string }[]>`select indexname as name, indexdef as def from pg_indexes where tablename = 'outbox' and indexname <> 'outbox_pkey'`;
    for (const { name } of indexes) await sql.unsafe(`drop index ${name}`);
    const t0 = performance.now();
    await sql.unsafe(`insert into outbox ${COLUMNS} ${FILL_SELECT.replace('$ROWS', String(ROWS))}`);
    for (const { def } of indexes) await sql.unsafe(def.replace(' ON ONLY ', ' ON '));
    const fillPartitioned = ms(t0);
    // The table as it was before migration 0013: the same rows, columns and indexes, primary key id alone.
    const t1 = performance.now();
    await sql`create table outbox_plain (like outbox including defaults including constraints)`;
    await sql`insert into outbox_plain select * from outbox`;
    await sql`alter table outbox_plain add primary key (id)`;
    for (const { def } of indexes) await sql.unsafe(def.replace(/INDEX (\w+) ON ONLY public\.outbox /, 'INDEX $1_plain ON public.outbox_plain '));
    const fillPlain = ms(t1);
    await sql`vacuum analyze outbox_plain`;
    await sql`vacuum analyze outbox`;

    const single = { plain: await singleInserts(sql, 'outbox_plain', 'p'), partitioned: await singleInserts(sql, 'outbox', 'q') };
    const bulk = async (table: string, tag: string) => {
      const t = performance.now();
      await sql.unsafe(`insert into ${table} (id, topic, aggregate_type, aggregate_id, payload) select 'obx_${tag}' || g, 't', 'order', 'x', '{}' from generate_series(1, ${BULK_INSERT}) g`);
      return (ms(t) * 1000) / BULK_INSERT;
    };
    const bulkPlain = await bulk('outbox_plain', 'bp');
    const bulkPartitioned = await bulk('outbox', 'bq');

    // One expired day: the oldest. Before: the sweep's batches (the statement of retention.ts' pruneBatch).
    const oldest = nextPeriod(today, 'day', -DAYS);
    const dayEnd = nextPeriod(oldest, 'day');
    let deleted = 0;
    const sweep = await walBytes(sql, async () => {
      for (;;) {
        const rows = await sql.unsafe(`with doomed as (select tableoid, ctid from outbox_plain where published_at is not null and published_at < $1 limit ${BATCH} for update skip locked)
                                       delete from outbox_plain where (tableoid, ctid) in (select tableoid, ctid from doomed) returning 1`, [new Date(dayEnd.getTime() + 1000).toISOString()]);
        deleted += rows.length;
        if (rows.length < BATCH) break;
      }
    });
    // After: the cron's drop, with "now" such that exactly that day is past the 7-day retention.
    let dropped: string[] = [];
    const drop = await walBytes(sql, async () => {
      dropped = (await dropExpiredPartitions(db, outboxTable, new Date(dayEnd.getTime() + 7 * 86_400_000 + 60_000))).dropped;
    });
    if (dropped.length !== 1) throw new Error(`expected one partition dropped, got ${dropped.join(', ') || 'none'}`);

    const row = (id: string, metric: string, value: number, unit: string, note?: string): BenchRow => ({ bench: BENCH, id, metric, value, unit, harness: HARNESS, ...(note ? { note } : {}) });
    const [sizes] = await sql<{ plain: string; part: string }[]>`
      select pg_total_relation_size('outbox_plain')::bigint as plain,
             (select sum(pg_total_relation_size(relid)) from pg_partition_tree('outbox'))::bigint as part`;
    return [
      row('partitions.rows', 'event rows in each table', ROWS, 'rows', `${DAYS} days`),
      row('partitions.fill_seconds.plain', 'fill, one table (copied from the other, indexes built after)', fillPlain / 1000, 's'),
      row('partitions.fill_seconds.partitioned', 'fill, daily partitions (generate_series, indexes built after)', fillPartitioned / 1000, 's'),
      row('partitions.insert_us.plain', 'single-row insert, one table', single.plain, 'µs/row', `${SINGLE_INSERTS} inserts, one transaction each`),
      row('partitions.insert_us.partitioned', 'single-row insert, daily partitions', single.partitioned, 'µs/row', `${SINGLE_INSERTS} inserts, one transaction each`),
      row('partitions.bulk_insert_us.plain', 'set-based insert, one table', bulkPlain, 'µs/row', `${BULK_INSERT} rows`),
      row('partitions.bulk_insert_us.partitioned', 'set-based insert, daily partitions', bulkPartitioned, 'µs/row', `${BULK_INSERT} rows`),
      row('partitions.retention_ms.plain', 'one day removed by the row sweep', sweep.ms, 'ms', `${deleted} rows in batches of ${BATCH}`),
      row('partitions.retention_ms.partitioned', 'one day removed by dropping its partition', drop.ms, 'ms', dropped[0]),
      row('partitions.retention_wal.plain', 'WAL written removing one day, row sweep', sweep.wal / 1e6, 'MB'),
      row('partitions.retention_wal.partitioned', 'WAL written removing one day, partition drop', drop.wal / 1e6, 'MB'),
      row('partitions.size_after.plain', 'size after removing the day, one table (no space returned before VACUUM)', Number(sizes!.plain) / 1e6, 'MB'),
      row('partitions.size_after.partitioned', 'size after removing the day, daily partitions', Number(sizes!.part) / 1e6, 'MB'),
    ];
  } finally {
    await db.$client.end();
    await sql.end();
    await pg.stop();
  }
}
