/**
 * `npm run chaos`: the fault-injection suite (docs/reliability.md). Starts the
 * whole platform on throwaway data with the simulated city, injects each
 * fault in turn, then checks that no order was lost, duplicated or left open,
 * no event lost or applied twice, no answer was a 500, and that the API
 * answered again within 10 s of each fault's end. Prints the table, writes it
 * to bench/results/chaos.md and exits 1 when anything failed.
 *
 *   npm run chaos                       every fault
 *   npm run chaos -- --only a,b         these faults (names below)
 *   npm run chaos -- --short            the CI subset
 *   npm run chaos -- --no-build         reuse dist/web
 *   npm run chaos -- --cell-km 3        in a city split into 3 km cells (ADR 0125):
 *                                       drivers handed over between shards as they
 *                                       ride, each checked in one shard at its last fix
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CI_FAULTS, FAULTS } from './lib/chaos/faults';
import { reportTable, runChaos } from './lib/chaos/run';
import { ROOT } from './lib/local-env';

const argv = process.argv.slice(2);
const value = (flag: string) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
const only = value('--only')?.split(',').filter(Boolean);
const faults = only ?? (argv.includes('--short') ? CI_FAULTS : FAULTS.map((f) => f.name));
const t0 = Date.now();
const log = (line: string) => console.log(`[chaos ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);

const result = await runChaos({
  faults,
  calmSeconds: Number(value('--calm') ?? 10),
  drainSeconds: Number(value('--drain') ?? 240),
  ordersPerMinute: Number(value('--order-rate') ?? 6),
  build: !argv.includes('--no-build'),
  seed: Number(value('--seed') ?? 7),
  ...(value('--cell-km') ? { cellKm: Number(value('--cell-km')) } : {}),
  log,
});
const table = reportTable(result);
console.log(`\n${table}\n`);
for (const r of result.reports) for (const v of r.violations) console.log(`  ${r.fault.name}: ${v}`);
for (const v of result.whole.violations) console.log(`  whole run: ${v}`);
const split = result.placement
  ? `\n\nSplit city: ${result.placement.shards} shards, ${result.placement.handovers} handovers seen by the driver apps (${result.placement.handoversWithOrder} carrying an order), ${result.placement.violations.length} drivers misplaced at the end.`
  : '';
const out = path.join(ROOT, 'bench/results/chaos.md');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(
  out,
  `# Chaos run (${new Date().toISOString()}, ${((Date.now() - t0) / 60_000).toFixed(1)} min)\n\n` +
    `\`npm run chaos -- ${argv.join(' ')}\` — ${result.passed ? 'every fault passed' : 'FAILED'}\n\n` +
    result.reports.map((r) => `- **${r.fault.name}**: ${r.fault.what}`).join('\n') +
    `\n\n${table}${split}\n`,
);
console.log(`chaos: ${result.passed ? 'passed' : 'FAILED'} (${((Date.now() - t0) / 60_000).toFixed(1)} min); table in ${path.relative(ROOT, out)}`);
process.exit(result.passed ? 0 : 1);
