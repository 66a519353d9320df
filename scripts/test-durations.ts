/**
 * `npm run test:durations`: rewrites test/durations.json (each unit, workers
 * and security file's seconds) from the last run's test-results/vitest.json,
 * so `npm run test:run` keeps its shards balanced (scripts/lib/test-shards.ts).
 * Run it after a full `npm test` on a quiet machine when files were added or
 * grew; files of the other projects are left out (they run alone, unsharded).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib/local-env';

interface FileResult {
  name: string;
  startTime: number;
  endTime: number;
}

const report = JSON.parse(readFileSync(path.join(ROOT, 'test-results/vitest.json'), 'utf8')) as { testResults: FileResult[] };
const seconds: Record<string, number> = {};
for (const r of report.testResults) {
  const file = path.relative(ROOT, r.name).split(path.sep).join('/');
  if (!/^test\/(unit|workers|security)\//.test(file)) continue;
  seconds[file] = Math.round((r.endTime - r.startTime) / 100) / 10;
}
const sorted = Object.fromEntries(Object.entries(seconds).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync(path.join(ROOT, 'test/durations.json'), `${JSON.stringify(sorted, null, 2)}\n`);
console.log(`[test:durations] ${Object.keys(sorted).length} files written to test/durations.json`);
