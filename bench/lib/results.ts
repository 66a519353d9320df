/**
 * The result rows every benchmark module returns from `run()`, and how
 * bench/run.ts prints and records them (bench/results/<module>.json and .md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

export interface BenchRow {
  bench: string;
  /**
   * The row's stable name, required: lowercase, dot-separated, the module's prefix then snake_case
   * words naming the figure (e.g. `orders.worker_cpu_vs_healthz`, `shard.index_vs_redis_server`).
   * Built from constants only, never from a measured figure, so the same row has the same id in every
   * run and results can be compared across runs; a row made in a loop carries the loop's fixed key
   * (`shard.e2e.watcher_p99_ms.2500fps_1fix`). Unique within its module: bench/run.ts refuses a
   * module's rows when one has no id or two share one.
   */
  id: string;
  metric: string;
  value: number | null;
  unit: string;
  /** The goal, in words, when the issue sets one. */
  goal?: string;
  pass?: boolean;
  /** What produced the figure (runtime, harness, tool): every figure says where it comes from. */
  harness: string;
  note?: string;
}

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

const fmt = (v: number | null) => (v === null ? 'n/a' : Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3));

export function table(rows: readonly BenchRow[]): string {
  const lines = ['| id | metric | value | unit | goal | pass | harness |', '|---|---|---:|---|---|---|---|'];
  for (const r of rows) {
    const pass = r.pass === undefined ? '' : r.pass ? 'yes' : 'NO';
    lines.push(`| ${r.id} | ${r.metric}${r.note ? ` (${r.note})` : ''} | ${fmt(r.value)} | ${r.unit} | ${r.goal ?? ''} | ${pass} | ${r.harness} |`);
  }
  return lines.join('\n');
}

export function machine(): string {
  const c = cpus();
  return `${c[0]?.model.trim() ?? 'unknown CPU'} × ${c.length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/** Writes `bench/results/<name>.json` and `.md`; returns the markdown path. */
export function writeResults(name: string, rows: readonly BenchRow[], at = new Date().toISOString()): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(`${RESULTS_DIR}${name}.json`, JSON.stringify({ bench: name, at, machine: machine(), rows }, null, 2) + '\n');
  writeFileSync(`${RESULTS_DIR}${name}.md`, `# ${name}\n\n${at} on ${machine()}\n\n${table(rows)}\n`);
  return `${RESULTS_DIR}${name}.md`;
}

/** Percentile (nearest rank) of a sample, in its own unit. */
export function percentile(sample: readonly number[], p: number): number {
  if (sample.length === 0) return Number.NaN;
  const sorted = [...sample].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
