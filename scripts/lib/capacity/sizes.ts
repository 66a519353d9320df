/**
 * What the platform's storage weighs, read from the stores themselves
 * (`npm run capacity`): per Postgres table (a partitioned table summed over
 * its partitions) the heap, its indexes and its TOAST with the exact row
 * count; the Durable Objects' SQLite files and the local R2 bucket's blobs in
 * wrangler's state folder.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type postgres from 'postgres';

export interface TableSize {
  heap: number;
  indexes: number;
  toast: number;
  rows: number;
  /** Bytes of the live rows (pg_column_size + 28 B of tuple header and line pointer): what the heap holds once vacuum has reused the dead. */
  live: number;
}

export type TableSizes = Record<string, TableSize>;

export async function tableSizes(sql: postgres.Sql): Promise<TableSizes> {
  // Statistics and free space maps are flushed lazily: a checkpoint first makes the sizes current.
  await sql`checkpoint`;
  // pg_partition_tree answers nothing for a plain table: its one leaf is itself.
  const rows = await sql<{ table: string; heap: string; indexes: string; toast: string }[]>`
    select p.relname as table,
           sum(pg_relation_size(c.oid))::bigint as heap,
           sum(pg_indexes_size(c.oid))::bigint as indexes,
           sum(case when c.reltoastrelid <> 0 then pg_total_relation_size(c.reltoastrelid) else 0 end)::bigint as toast
    from pg_class p
    join pg_namespace n on n.oid = p.relnamespace and n.nspname = 'public'
    left join lateral (select relid from pg_partition_tree(p.oid) where isleaf) l on true
    join pg_class c on c.oid = coalesce(l.relid, p.oid)
    where p.relkind in ('r', 'p') and not p.relispartition
    group by p.relname`;
  const sizes: TableSizes = {};
  for (const r of rows) {
    const [count] = await sql.unsafe<{ n: number; live: string | null }[]>(`select count(*)::int as n, sum(pg_column_size(t.*) + 28)::bigint as live from "${r.table}" t`);
    sizes[r.table] = { heap: Number(r.heap), indexes: Number(r.indexes), toast: Number(r.toast), rows: count?.n ?? 0, live: Number(count?.live ?? 0) };
  }
  return sizes;
}

/** What grew between two readings, per table (tables that did not grow are left out). */
export function growth(before: TableSizes, after: TableSizes): TableSizes {
  const out: TableSizes = {};
  for (const [table, a] of Object.entries(after)) {
    const b = before[table] ?? { heap: 0, indexes: 0, toast: 0, rows: 0, live: 0 };
    const d = { heap: a.heap - b.heap, indexes: a.indexes - b.indexes, toast: a.toast - b.toast, rows: a.rows - b.rows, live: a.live - b.live };
    if (d.rows > 0 || d.heap + d.indexes + d.toast > 0) out[table] = d;
  }
  return out;
}

/** Bytes of the files under `dir` whose path matches `match` (recursively); 0 when the folder is missing. */
export function filesBytes(dir: string, match: (file: string) => boolean): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  if (!existsSync(dir)) return { bytes, files };
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (!match(file)) continue;
    bytes += statSync(file).size;
    files++;
  }
  return { bytes, files };
}

/** The CityShard objects' SQLite databases (with their WAL) in wrangler's state folder. */
export const shardSqlite = (stateDir: string) => filesBytes(path.join(stateDir, 'v3/do'), (f) => /CityShard/.test(f) && /\.sqlite(-wal)?$/.test(f));

/** The local R2 buckets' blobs (the objects' bytes). */
export const r2Blobs = (stateDir: string) => filesBytes(path.join(stateDir, 'v3/r2'), (f) => f.includes(`${path.sep}blobs${path.sep}`));
