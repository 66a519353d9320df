/**
 * Time partitions (ADR 0119): the append-heavy tables partitioned by range on
 * their time column (migration 0013) get their partitions from here. The
 * minute cron creates the coming ones ahead (idempotent: what exists is left
 * alone) and, for a table with a retention, detaches and drops whole
 * partitions past it instead of deleting rows. A row that finds no partition
 * lands in `<table>_default`; creating a partition whose range has rows there
 * moves them into it first. Rows in the default or in a partition a blocker
 * keeps stay with the row-level sweep (services/retention.ts).
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { log } from '../../domain/log';

const DAY_MS = 24 * 60 * 60 * 1000;

export type Period = 'day' | 'month';

export interface PartitionedTable {
  table: string;
  /** The partition key (a timestamptz column). */
  column: string;
  period: Period;
  /** Partitions kept ready beyond the current one. */
  ahead: number;
  /** Whole partitions ending this long ago may go, unless `blockers` matches one of their rows. */
  retention?: {
    keepDays: number;
    keep: string;
    /** Rows that still need keeping whatever their partition (SQL over the partition's columns). */
    blockers?: (cutoff: Date) => SQL;
  };
}

export const PARTITIONED_TABLES: readonly PartitionedTable[] = [
  {
    // About 8 rows per order, kept a week after publication: a day is the unit of retention.
    table: 'outbox',
    column: 'created_at',
    period: 'day',
    ahead: 7,
    retention: {
      keepDays: 7,
      keep: '7 days after publication (a partition with an unpublished row is kept)',
      blockers: (cutoff) => sql`published_at is null or published_at >= ${cutoff.toISOString()}::timestamptz`,
    },
  },
  // Kept for ever (ids only, IPs erased by privacy.ts): partitions keep its indexes small and ready to archive.
  { table: 'audit_log', column: 'at', period: 'month', ahead: 2 },
  {
    // One row per attempt, ~19 KB per order (ADR 0126): by the event's time, so an event's attempts share a day.
    table: 'webhook_deliveries',
    column: 'event_at',
    period: 'day',
    ahead: 7,
    retention: {
      keepDays: 30,
      keep: '30 days after the event (a partition with an attempt still waiting to retry, or made in the last 30 days, is kept)',
      blockers: (cutoff) => sql`next_retry_at is not null or created_at >= ${cutoff.toISOString()}::timestamptz`,
    },
  },
];

/** The first instant of the period that holds `at`, in UTC. */
export function periodStart(at: Date, period: Period): Date {
  return period === 'day'
    ? new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()))
    : new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

export function nextPeriod(start: Date, period: Period, n = 1): Date {
  return period === 'day'
    ? new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate() + n))
    : new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + n, 1));
}

/** The migration's naming: outbox_p20261204, audit_log_p202612. */
export function partitionName(t: PartitionedTable, start: Date): string {
  const iso = start.toISOString();
  const stamp = t.period === 'day' ? iso.slice(0, 10).replaceAll('-', '') : iso.slice(0, 7).replace('-', '');
  return `${t.table}_p${stamp}`;
}

const ident = (name: string) => sql.raw(`"${name.replaceAll('"', '""')}"`);
const literal = (at: Date) => sql.raw(`'${at.toISOString()}'`);

export interface PartitionInfo {
  name: string;
  /** Null for the default partition and for a MINVALUE / MAXVALUE bound. */
  from: Date | null;
  to: Date | null;
  isDefault: boolean;
}

/** The partitions of a table with their bounds, oldest first, the default last. */
export async function listPartitions(db: Database, table: string): Promise<PartitionInfo[]> {
  // The bounds as Postgres prints them, cast back in SQL (the printed offset follows the session's time zone).
  const rows = await db.execute<{ name: string; from: Date | string | null; to: Date | string | null; is_default: boolean }>(sql`
    select name, (regexp_match(bound, 'FROM \\(''([^'']+)''\\)'))[1]::timestamptz as "from",
           (regexp_match(bound, 'TO \\(''([^'']+)''\\)'))[1]::timestamptz as "to", bound = 'DEFAULT' as is_default
    from (select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
          from pg_inherits i join pg_class c on c.oid = i.inhrelid
          where i.inhparent = to_regclass(${table})) p`);
  const date = (v: Date | string | null) => (v === null ? null : new Date(v));
  return rows
    .map((r) => ({ name: r.name, from: date(r.from), to: date(r.to), isDefault: r.is_default }))
    .sort((a, b) => Number(a.isDefault) - Number(b.isDefault) || (a.to?.getTime() ?? -Infinity) - (b.to?.getTime() ?? -Infinity));
}

/**
 * Creates one partition. When rows for its range already sit in the default
 * partition (Postgres then refuses the plain create), they move in the same
 * transaction: new table, copy, delete from the default, attach.
 */
async function createPartition(db: Database, t: PartitionedTable, from: Date, to: Date): Promise<void> {
  const name = ident(partitionName(t, from));
  const parent = ident(t.table);
  const inRange = sql`${ident(t.column)} >= ${literal(from)} and ${ident(t.column)} < ${literal(to)}`;
  await db.transaction(async (tx) => {
    await tx.execute(sql`set local lock_timeout = '5s'`);
    const [stray] = await tx.execute<{ n: number }>(sql`select count(*)::int as n from ${ident(`${t.table}_default`)} where ${inRange}`);
    if (!stray || stray.n === 0) {
      await tx.execute(sql`create table ${name} partition of ${parent} for values from (${literal(from)}) to (${literal(to)})`);
      return;
    }
    await tx.execute(sql`create table ${name} (like ${parent} including defaults including constraints including storage)`);
    await tx.execute(sql`with moved as (delete from ${ident(`${t.table}_default`)} where ${inRange} returning *) insert into ${name} select * from moved`);
    await tx.execute(sql`alter table ${parent} attach partition ${name} for values from (${literal(from)}) to (${literal(to)})`);
    log.warn('partition created over default rows', { table: t.table, partition: partitionName(t, from), moved: stray.n });
  });
}

/** Creates the current period's partition and `ahead` more where missing; answers the names created. */
export async function ensurePartitions(db: Database, t: PartitionedTable, now: Date): Promise<string[]> {
  const existing = await listPartitions(db, t.table);
  const covered = (from: Date, to: Date) => existing.some((p) => !p.isDefault && (p.from === null || p.from < to) && (p.to === null || p.to > from));
  const created: string[] = [];
  const first = periodStart(now, t.period);
  for (let i = 0; i <= t.ahead; i++) {
    const from = nextPeriod(first, t.period, i);
    const to = nextPeriod(from, t.period);
    if (covered(from, to)) continue;
    await createPartition(db, t, from, to);
    created.push(partitionName(t, from));
  }
  return created;
}

/**
 * Detaches and drops the partitions wholly past the table's retention
 * (their upper bound at or before now − keepDays) that hold no blocker row;
 * answers the names dropped and those kept by a blocker.
 */
export async function dropExpiredPartitions(db: Database, t: PartitionedTable, now: Date): Promise<{ dropped: string[]; kept: string[] }> {
  const dropped: string[] = [];
  const kept: string[] = [];
  if (!t.retention) return { dropped, kept };
  const cutoff = new Date(now.getTime() - t.retention.keepDays * DAY_MS);
  for (const p of await listPartitions(db, t.table)) {
    if (p.isDefault || !p.to || p.to > cutoff) continue;
    const blockers = t.retention.blockers?.(cutoff);
    if (blockers) {
      const [row] = await db.execute<{ blocked: boolean }>(sql`select exists (select 1 from ${ident(p.name)} where ${blockers}) as blocked`);
      if (row?.blocked) {
        kept.push(p.name);
        continue;
      }
    }
    await db.transaction(async (tx) => {
      // A short wait for the parent's lock: behind a long query the next minute tries again.
      await tx.execute(sql`set local lock_timeout = '5s'`);
      await tx.execute(sql`alter table ${ident(t.table)} detach partition ${ident(p.name)}`);
      await tx.execute(sql`drop table ${ident(p.name)}`);
    });
    dropped.push(p.name);
  }
  return { dropped, kept };
}

/** The cron's entry: every partitioned table made ready ahead, then pruned; logged when it changed anything. */
export async function maintainPartitions(db: Database, now = new Date(), tables: readonly PartitionedTable[] = PARTITIONED_TABLES) {
  const report: Record<string, { created: string[]; dropped: string[]; kept: string[] }> = {};
  for (const t of tables) {
    const created = await ensurePartitions(db, t, now);
    report[t.table] = { created, ...(await dropExpiredPartitions(db, t, now)) };
  }
  // Kept partitions are reported whenever something else changed (a blocker is rare: an event never published).
  const changed = Object.values(report).some((r) => r.created.length + r.dropped.length > 0);
  if (changed) {
    const names = (key: 'created' | 'dropped' | 'kept') => Object.values(report).flatMap((r) => r[key]);
    log.info('partition maintenance', { created: names('created'), dropped: names('dropped'), kept: names('kept') });
  }
  return report;
}
