/**
 * `npm run bench [-- <name> ...]`: runs every benchmark module in bench/
 * (`bench/*.ts` exporting `run(): Promise<BenchRow[]>`), or only those named,
 * one after the other (they measure the same two cores), prints one table per
 * module and writes bench/results/<module>.json and .md. A module that throws,
 * or returns a row without a stable `id` or two rows with the same one (its
 * results are then not written), is reported and the run exits 1 after the
 * others have run.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machine, table, writeResults, type BenchRow } from './lib/results';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const wanted = new Set(process.argv.slice(2).filter((a) => !a.startsWith('-')));

const modules = readdirSync(BENCH_DIR)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.d.ts'))
  .map((f) => f.slice(0, -3))
  .filter((name) => wanted.size === 0 || wanted.has(name))
  .sort();

if (wanted.size > 0) {
  const unknown = [...wanted].filter((w) => !modules.includes(w));
  if (unknown.length > 0) {
    console.error(`bench: no module named ${unknown.join(', ')} in bench/`);
    process.exit(2);
  }
}

/** What is wrong with the rows' ids: every row needs a non-empty `id`, unique within its module (bench/lib/results.ts). */
function idProblems(rows: readonly BenchRow[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const r of rows) {
    const id = (r as { id?: unknown }).id;
    if (typeof id !== 'string' || id.trim() === '') {
      problems.push(`row "${r.metric}" has no id`);
      continue;
    }
    const first = seen.get(id);
    if (first !== undefined) problems.push(`row "${r.metric}" has id "${id}", already used by row "${first}"`);
    else seen.set(id, r.metric);
  }
  return problems;
}

console.log(`bench: ${modules.join(', ') || '(none)'} on ${machine()}\n`);
let failed = 0;
for (const name of modules) {
  const mod = (await import(pathToFileURL(path.join(BENCH_DIR, `${name}.ts`)).href)) as { run?: () => Promise<BenchRow[]> };
  if (typeof mod.run !== 'function') {
    console.log(`bench: ${name} exports no run(); skipped\n`);
    continue;
  }
  const t0 = performance.now();
  try {
    console.log(`## ${name}\n`);
    const rows = await mod.run();
    console.log(`${table(rows)}\n`);
    const problems = idProblems(rows);
    if (problems.length > 0) {
      failed++;
      console.error(`bench: ${name} failed: rows refused, results not written (every row needs a stable id, unique within the module):\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
      continue;
    }
    console.log(`(${((performance.now() - t0) / 1000).toFixed(1)} s; written to ${path.relative(process.cwd(), writeResults(name, rows))})\n`);
  } catch (error) {
    failed++;
    console.error(`bench: ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
}
process.exit(failed > 0 ? 1 : 0);
