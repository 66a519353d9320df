/**
 * Writes the Prometheus rules and their promtool tests (ops/prometheus/rules,
 * ops/prometheus/tests) from scripts/lib/observability/. `--check` writes
 * nothing and exits 1 when a committed file differs (ADR 0093).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib/local-env';
import { ruleFiles } from './lib/observability/rule-files';

const check = process.argv.includes('--check');
let stale = 0;
for (const [file, content] of Object.entries(ruleFiles())) {
  const full = path.join(ROOT, file);
  let current = '';
  try {
    current = readFileSync(full, 'utf8');
  } catch {
    // missing: written below (or reported stale)
  }
  if (current === content) continue;
  if (check) {
    console.error(`${file} is stale: run npx tsx scripts/prometheus-rules.ts`);
    stale++;
  } else {
    writeFileSync(full, content);
    console.log(`wrote ${file}`);
  }
}
process.exit(stale > 0 ? 1 : 0);
