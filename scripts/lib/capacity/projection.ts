/**
 * From measured bytes per order to storage at 1M and 10M orders a day, with
 * the retention rules in force read from the code that applies them: the
 * row sweep's rules (workers/services/retention.ts), the partition drops
 * (workers/services/partitions.ts), the proof photos' sweep and the shard's
 * purge of ended jobs with their breadcrumbs. A table no rule prunes is kept
 * for ever: its size after a year is a year of growth.
 */
import { ENDED_JOB_STORAGE_MS } from '../../../durable-objects/city-shard/state';
import { PARTITIONED_TABLES } from '../../../workers/services/partitions';
import { PROOF_PHOTO_RETENTION_DAYS } from '../../../workers/services/proof-photos/store';
import { RETENTION_RULES } from '../../../workers/services/retention';
import type { TableSizes } from './sizes';

export const SCALES = [1_000_000, 10_000_000] as const;
const YEAR_DAYS = 365;

export interface Retention {
  /** Days a row stays (null: kept). */
  days: number | null;
  rule: string;
}

/** Local-mode tables: never written in production, left out of the projection. */
const LOCAL_ONLY = new Set(['dev_messages']);

export function retentionOf(table: string): Retention {
  const partitioned = PARTITIONED_TABLES.find((t) => t.table === table && t.retention);
  // A whole partition goes once its last period is past the limit: on average half a period more.
  if (partitioned?.retention) return { days: partitioned.retention.keepDays + (partitioned.period === 'day' ? 1 : 31), rule: `partition drop: ${partitioned.retention.keep}` };
  const rule = RETENTION_RULES.find((r) => r.name === table);
  if (rule) return { days: rule.keepDays, rule: `row sweep: ${rule.keep}` };
  if (table === 'proof_photos') return { days: PROOF_PHOTO_RETENTION_DAYS, rule: 'photo sweep: 30 days' };
  return { days: null, rule: 'kept' };
}

export interface ProjectionRow {
  store: string;
  rowsPerOrder: number | null;
  bytesPerOrder: number;
  heap: number;
  indexes: number;
  toast: number;
  /** Live row bytes per order (no dead tuples, no free space). */
  live: number | null;
  retention: Retention;
  /** Bytes written per day and held after a year (or at the retention's steady state), per scale. */
  perDay: number[];
  afterYear: number[];
}

function project(store: string, bytesPerOrder: number, retention: Retention, parts: Pick<ProjectionRow, 'rowsPerOrder' | 'heap' | 'indexes' | 'toast' | 'live'>): ProjectionRow {
  const days = Math.min(retention.days ?? YEAR_DAYS, YEAR_DAYS);
  const perDay = SCALES.map((s) => bytesPerOrder * s);
  return { store, bytesPerOrder, retention, ...parts, perDay, afterYear: perDay.map((d) => d * days) };
}

export function projectTables(grown: TableSizes, orders: number): ProjectionRow[] {
  return Object.entries(grown)
    .filter(([table]) => !LOCAL_ONLY.has(table))
    .map(([table, g]) => {
      const per = (n: number) => Math.max(0, n) / orders;
      return project(`pg ${table}`, per(g.heap + g.indexes + g.toast), retentionOf(table), { rowsPerOrder: g.rows / orders, heap: per(g.heap), indexes: per(g.indexes), toast: per(g.toast), live: per(g.live) });
    })
    .sort((a, b) => b.afterYear[0]! - a.afterYear[0]!);
}

export function projectBlobs(store: string, bytesPerOrder: number, days: number, rule: string): ProjectionRow {
  return project(store, bytesPerOrder, { days, rule }, { rowsPerOrder: null, heap: bytesPerOrder, indexes: 0, toast: 0, live: null });
}

export const SHARD_RETENTION = { days: ENDED_JOB_STORAGE_MS / 86_400_000, rule: 'shard purge: ended jobs and their breadcrumbs after 24 h' };
export const PHOTO_RETENTION = { days: PROOF_PHOTO_RETENTION_DAYS, rule: 'photo sweep: 30 days' };

export function human(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 100 || u === 0 ? Math.round(v) : v.toPrecision(3)} ${units[u]}`;
}

export function projectionTable(rows: readonly ProjectionRow[]): string {
  const head = ['store', 'rows/order', 'B/order (heap + idx + toast)', 'live row B/order', 'kept', ...SCALES.flatMap((s) => [`per day @${s / 1e6}M`, `held after 1 y @${s / 1e6}M`])];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 || i === 4 ? '---' : '---:')).join('|')}|`];
  const total = (pick: (r: ProjectionRow) => number) => rows.reduce((sum, r) => sum + pick(r), 0);
  for (const r of rows) {
    const split = r.rowsPerOrder === null ? '' : ` (${Math.round(r.heap)} + ${Math.round(r.indexes)} + ${Math.round(r.toast)})`;
    lines.push(`| ${r.store} | ${r.rowsPerOrder === null ? '' : r.rowsPerOrder.toFixed(2)} | ${Math.round(r.bytesPerOrder)}${split} | ${r.live === null ? '' : Math.round(r.live)} | ${r.retention.rule} | ${SCALES.flatMap((_, i) => [human(r.perDay[i]!), human(r.afterYear[i]!)]).join(' | ')} |`);
  }
  lines.push(`| **total** | | ${Math.round(total((r) => r.bytesPerOrder))} | | | ${SCALES.flatMap((_, i) => [human(total((r) => r.perDay[i]!)), human(total((r) => r.afterYear[i]!))]).join(' | ')} |`);
  return lines.join('\n');
}
