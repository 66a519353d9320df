/**
 * `npm run bench [-- <name> ...]`: runs every benchmark module in bench/
 * (`bench/*.ts` exporting `run(): Promise<BenchRow[]>`), or only those named,
 * one after the other (they measure the same two cores), prints one table per
 * module and writes bench/results/<module>.json and .md. A module that throws
 * is reported and the run exits 1 after the others have run.
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
    console.log(`(${((performance.now() - t0) / 1000).toFixed(1)} s; written to ${path.relative(process.cwd(), writeResults(name, rows))})\n`);
  } catch (error) {
    failed++;
    console.error(`bench: ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
}
process.exit(failed > 0 ? 1 : 0);
