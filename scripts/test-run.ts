/**
 * `npm run test:run`: every vitest project, each in the company it needs
 * (ADR 0103, docs/stack-notes.md "CI time").
 *
 *  1. unit, workers and security, split into shards (`vitest --shard`), one
 *     vitest process per shard, side by side. Each process has its own
 *     global setup (test/support/global-setup.ts): its own Postgres database,
 *     Stripe fake and notification fakes, and its own workerd. Within a shard
 *     the files run one at a time, as they always did on two cores, so no two
 *     files ever share a database at the same time (some count whole tables,
 *     e.g. "a refused order wrote nothing").
 *  2. every other project (e2e, chaos, observability, and any added later),
 *     alone on the machine, one process, in their groupOrder (vitest.config.ts):
 *     the browser journey's timings and the chaos suite's "recovery under
 *     10 s" must not share the CPU.
 *
 * Then one report, test-results/vitest.json (every shard's and phase's
 * merged), and scripts/test-summary.ts's closing line. Exit code 1 when any
 * process failed; phase 2 runs even when phase 1 failed, so one run reports
 * every failure, as a single `vitest run` did.
 *
 *   TEST_SHARDS=N   shards in phase 1 (default: the number of CPUs, at most 4;
 *                   1 runs phase 1 as one process, as before)
 *
 * Shards are balanced by time, not by count: test/durations.json holds each
 * file's seconds from a recent run, and the files are dealt out longest
 * first to the shard with the least so far (a file it does not list counts
 * as the median). vitest's own `--shard` splits by count, which left one
 * shard 130 s behind the other on two cores. `npm run test:durations`
 * rewrites the file from the last run's test-results/vitest.json.
 *   Extra arguments are passed to every vitest process.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { ROOT } from './lib/local-env';
import { balancedShards } from './lib/test-shards';

interface Report {
  numTotalTestSuites: number;
  numPassedTestSuites: number;
  numFailedTestSuites: number;
  numPendingTestSuites: number;
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  startTime: number;
  success: boolean;
  testResults: unknown[];
  [key: string]: unknown;
}

const COUNTS = [
  'numTotalTestSuites',
  'numPassedTestSuites',
  'numFailedTestSuites',
  'numPendingTestSuites',
  'numTotalTests',
  'numPassedTests',
  'numFailedTests',
  'numPendingTests',
  'numTodoTests',
] as const;

/** The projects split into shards; every other project runs after them, alone. */
const SHARDED = ['unit', 'workers', 'security'];
const RESULTS = path.join(ROOT, 'test-results');
const vitestBin = path.join(ROOT, 'node_modules/.bin/vitest');
const extra = process.argv.slice(2);

function shardCount(): number {
  const given = Number(process.env.TEST_SHARDS);
  if (Number.isInteger(given) && given >= 1) return given;
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** The last lines each labelled process printed, repeated at the end for one that failed (CI shows a run's tail). */
const TAIL_LINES = 40;
const tails = new Map<string, string[]>();
const exits = new Map<string, string>();

/** One vitest process; its lines prefixed with `label` when it shares the terminal with others. */
function vitest(label: string | null, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const tail: string[] = [];
    if (label) tails.set(label, tail);
    const child = spawn(vitestBin, ['run', ...args, ...extra], { cwd: ROOT, stdio: label ? ['ignore', 'pipe', 'pipe'] : 'inherit', env: process.env });
    if (label) {
      for (const [stream, out] of [
        [child.stdout, process.stdout],
        [child.stderr, process.stderr],
      ] as const) {
        let rest = '';
        stream!.setEncoding('utf8');
        stream!.on('data', (chunk: string) => {
          const lines = (rest + chunk).split('\n');
          rest = lines.pop() ?? '';
          for (const line of lines) {
            out.write(`[${label}] ${line}\n`);
            tail.push(line);
          }
          tail.splice(0, tail.length - TAIL_LINES);
        });
        stream!.on('end', () => {
          if (rest) out.write(`[${label}] ${rest}\n`);
        });
      }
    }
    child.on('error', (error) => {
      console.error(`[${label ?? 'vitest'}] could not start vitest: ${error.message}`);
      resolve(1);
    });
    child.on('close', (code, signal) => {
      if (label) exits.set(label, signal ? `killed by ${signal}` : `exit code ${code}`);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

/** Every test file of a project folder (its vitest `include` is every `.test.ts` under test/<name>). */
function testFiles(folder: string): string[] {
  const dir = path.join(ROOT, 'test', folder);
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => `test/${folder}/${f.split(path.sep).join('/')}`)
    .sort();
}

function recordedSeconds(): Record<string, number> {
  const file = path.join(ROOT, 'test/durations.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>) : {};
}

function merge(files: string[]): Report | null {
  const reports = files.filter((f) => existsSync(f)).map((f) => JSON.parse(readFileSync(f, 'utf8')) as Report);
  if (reports.length === 0) return null;
  const merged: Report = { ...reports[0]!, testResults: [] };
  for (const key of COUNTS) merged[key] = reports.reduce((sum, r) => sum + (r[key] ?? 0), 0);
  merged.startTime = Math.min(...reports.map((r) => r.startTime));
  merged.success = reports.every((r) => r.success);
  merged.testResults = reports.flatMap((r) => r.testResults);
  return merged;
}

mkdirSync(RESULTS, { recursive: true });
const shards = shardCount();
const parts: string[] = [];
const t0 = Date.now();

// Phase 1: unit, workers, security.
const fast = [...SHARDED.flatMap((name) => ['--project', name]), '--maxWorkers', '1'];
let codes: number[];
if (shards === 1) {
  const out = path.join(RESULTS, 'vitest-1.json');
  parts.push(out);
  codes = [await vitest(null, [...fast, `--outputFile.json=${out}`])];
} else {
  // Filters given on the command line narrow the run: then vitest's own split by count.
  const filtered = extra.some((a) => !a.startsWith('-'));
  const dealt = filtered ? null : balancedShards(SHARDED.flatMap(testFiles), recordedSeconds(), shards);
  console.log(
    `test:run: unit, workers and security in ${shards} shards side by side (each its own Postgres, fakes and workerd)${dealt ? `, ${dealt.map((f) => f.length).join(' + ')} files balanced by test/durations.json` : ''}`,
  );
  codes = await Promise.all(
    Array.from({ length: shards }, (_, i) => {
      const out = path.join(RESULTS, `vitest-${i + 1}.json`);
      parts.push(out);
      // Whole paths as filters: each names one file (every path ends in .test.ts under its own folder).
      const which = dealt ? dealt[i]! : [`--shard=${i + 1}/${shards}`];
      return vitest(`${i + 1}/${shards}`, [...fast, `--outputFile.json=${out}`, ...which]);
    }),
  );
}
const phase1 = (Date.now() - t0) / 1000;

// Phase 2: every other project (e2e, chaos, observability, …), alone, in their groupOrder.
const t1 = Date.now();
const out = path.join(RESULTS, 'vitest-rest.json');
parts.push(out);
codes.push(await vitest(null, [...SHARDED.flatMap((name) => ['--project', `!${name}`]), `--outputFile.json=${out}`]));
const phase2 = (Date.now() - t1) / 1000;

// A shard that failed: how it ended, whether it wrote a report (none: it died or its
// global setup failed before any test ran) and its last lines, here at the end.
for (const [i, code] of codes.entries()) {
  if (code === 0 || i >= parts.length - 1) continue;
  const label = shards === 1 ? null : `${i + 1}/${shards}`;
  const report = existsSync(parts[i]!);
  console.log(`\ntest:run: shard ${label ?? '1/1'} failed (${label ? exits.get(label) : `exit code ${code}`}), ${report ? 'report written' : 'NO report: its tests are missing from the counts below'}`);
  if (label) for (const line of tails.get(label) ?? []) console.log(`  [${label}] ${line}`);
}

const merged = merge(parts);
if (merged) writeFileSync(path.join(RESULTS, 'vitest.json'), JSON.stringify(merged));
for (const f of parts) rmSync(f, { force: true });
console.log(`test:run: ${SHARDED.join('+')} ${phase1.toFixed(0)} s (${shards} shard${shards === 1 ? '' : 's'}), the other projects ${phase2.toFixed(0)} s`);
process.exit(codes.every((c) => c === 0) && merged?.success !== false ? 0 : 1);
