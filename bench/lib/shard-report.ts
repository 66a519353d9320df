/** Result rows of the shard benchmarks, printed as a table and written to bench/results/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

export interface BenchRow {
  bench: string;
  metric: string;
  value: number | null;
  unit: string;
  /** The goal, in words, when the issue sets one. */
  goal?: string;
  pass?: boolean;
  /** What produced the figure (runtime, harness, tool). */
  harness: string;
  note?: string;
}

const fmt = (v: number | null) => (v === null ? 'n/a' : v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3));

export function table(rows: BenchRow[]): string {
  const lines = ['| metric | value | unit | goal | pass | harness |', '|---|---:|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.metric}${r.note ? ` (${r.note})` : ''} | ${fmt(r.value)} | ${r.unit} | ${r.goal ?? ''} | ${r.pass === undefined ? '' : r.pass ? 'yes' : 'NO'} | ${r.harness} |`);
  return lines.join('\n');
}

export function machine(): string {
  const c = cpus();
  return `${c[0]?.model ?? 'unknown CPU'} × ${c.length}, Node ${process.version}`;
}

/** Writes `bench/results/<name>.json` and `.md`. */
export function writeResults(name: string, rows: BenchRow[]): string {
  const dir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const at = new Date().toISOString();
  writeFileSync(`${dir}${name}.json`, JSON.stringify({ bench: name, at, machine: machine(), rows }, null, 2) + '\n');
  writeFileSync(`${dir}${name}.md`, `# ${name}\n\n${at} on ${machine()}\n\n${table(rows)}\n`);
  return `${dir}${name}.md`;
}
