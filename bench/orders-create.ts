/**
 * Order creation end to end (issue 4): POST /v1/orders over HTTP into
 * workerd, with everything a real order does: JWT auth, validation,
 * Idempotency-Key claim, merchant/city/catalog lookup, server pricing, the
 * order written in one statement (order, contact, items, status event,
 * outbox, payment), the PaymentIntent created with the stripe SDK against the
 * Stripe fake, the stored answer, and the MerchantFeed publish. Sustained for
 * BENCH_DURATION_S (60 s) after a warm-up; `pgbench` TPS on the same machine
 * beside it as the ceiling.
 *
 * Harness: the Worker as wrangler bundles it for deployment
 * (`wrangler deploy --dry-run`), served by wrangler's createTestHarness
 * (Miniflare + workerd, Durable Objects and Hyperdrive, without wrangler dev's
 * proxy, file watching or tail logging); the load generator sends real HTTP
 * requests from this Node process to the URL workerd listens on. Postgres:
 * a throwaway embedded Postgres 18. Stripe: the fake (fakes/stripe) in
 * its own Node process. Two phases:
 *   direct  local Hyperdrive as wrangler provides it: every request opens its
 *           own Postgres connection (a backend start, a password check, cold
 *           catalog caches), which production Hyperdrive does not do;
 *   pooled  the same through a session-mode pgbouncer that keeps warm server
 *           connections, as Hyperdrive does (skipped, and said so, when
 *           pgbouncer is not installed).
 * CPU per order is reported per process (from /proc), because the machine is
 * shared and throughput alone would mostly measure the neighbours.
 *
 * `npm run bench -- orders-create`, or alone: `npx tsx bench/orders-create.ts`.
 * Knobs: BENCH_DURATION_S, BENCH_CONCURRENCY, BENCH_WARMUP_S, BENCH_RATES
 * (open-loop phases after the closed loop, orders/s, default "12,120": the
 * average of 1M orders/day and the design peak), BENCH_OPEN_S (30 s each).
 * Requests go straight into the runtime with Miniflare's dispatchFetch, not
 * through wrangler dev's ProxyWorker (see measurePhase).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { createTestHarness } from 'wrangler';
import { newId } from '../db/ids';
import * as schema from '../db/schema/index';
import { migrateDatabase } from '../scripts/lib/migrate';
import { freePort, startPostgres } from '../scripts/lib/postgres';
import { descendantCpu } from './lib/proc-cpu';
import { benchSession, openBenchSessions, type BenchSession } from './lib/sessions';
import { percentile, table, writeResults, type BenchRow } from './lib/results';

const BENCH = 'orders-create';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OFFLINE = { CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true' };
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 60);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
/** Open-loop rates (orders/s) measured after the closed loop: 1M orders/day on average (12/s) and the design peak (120/s). */
const OPEN_LOOP_RATES = (process.env.BENCH_RATES ?? '12,120').split(',').map(Number).filter((r) => r > 0);
const OPEN_LOOP_S = Number(process.env.BENCH_OPEN_S ?? 30);
const REFERENCE_S = Number(process.env.BENCH_REFERENCE_S ?? 15);
const CUSTOMERS = 500;
const GOAL = { throughput: 300, p99: 100 };

const fromWrangler = createRequire(createRequire(import.meta.url).resolve('wrangler'));
const version = (pkg: string) => (fromWrangler(`${pkg}/package.json`) as { version: string }).version;
const HARNESS = `workerd ${version('workerd')} via wrangler createTestHarness (deploy bundle), HTTP from Node, embedded Postgres, Stripe fake`;

export const SECRETS = {
  JWT_SIGNING_KEYS: JSON.stringify([{ kid: 'bench', secret: randomBytes(32).toString('base64url') }]),
  STRIPE_SECRET_KEY: `sk_test_bench_${randomBytes(8).toString('hex')}`,
  STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
  // Every order's PIN and tracking token are sealed under it (ADR 0083).
  DATA_ENCRYPTION_KEYS: JSON.stringify([{ kid: 'bench', secret: randomBytes(32).toString('base64url') }]),
};

interface Fixture {
  merchantId: string;
  productIds: string[];
  tokens: string[];
  /** Opened in each phase's runtime once it is up (bench/lib/sessions.ts). */
  sessions: BenchSession[];
}

export async function seed(url: string): Promise<Fixture> {
  const client = postgres(url, { max: 4, onnotice: () => {} });
  const db = drizzle(client, { schema });
  try {
    const cityId = newId('cty');
    await db.insert(schema.cities).values({ id: cityId, name: 'Bench City', centerLat: 48.8566, centerLng: 2.3522, currency: 'EUR', timezone: 'Europe/Paris', serviceRadiusKm: 12, deliveryBaseFeeCents: 199, deliveryPerKmCents: 60, taxRateBps: 1000 });
    const merchantId = newId('mer');
    await db.insert(schema.merchants).values({ id: merchantId, cityId, name: 'Bench Bistro', kind: 'restaurant', address: '1 Rue du Banc', lat: 48.8556, lng: 2.3579 });
    const productIds = Array.from({ length: 20 }, () => newId('prd'));
    await db.insert(schema.products).values(productIds.map((id, i) => ({ id, merchantId, name: `Dish ${i}`, priceCents: 500 + 75 * i, currency: 'EUR' })));
    const userIds = Array.from({ length: CUSTOMERS }, () => newId('usr'));
    await db.insert(schema.users).values(userIds.map((id) => ({ id, role: 'customer' as const })));
    await db.insert(schema.userProfiles).values(userIds.map((id, i) => ({ userId: id, email: `bench-${i}-${id}@example.test`, name: `Customer ${i}`, phone: '+33600000000' })));
    const sessions = await Promise.all(userIds.map((sub) => benchSession(SECRETS.JWT_SIGNING_KEYS, { sub, role: 'customer' })));
    return { merchantId, productIds, tokens: sessions.map((s) => s.token), sessions };
  } finally {
    await client.end();
  }
}

export async function startFake(extraEnv: Record<string, string> = {}): Promise<{ url: string; child: ChildProcess }> {
  const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
  const child = spawn(tsx, [path.join(ROOT, 'fakes/stripe/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, STRIPE_SECRET_KEY: SECRETS.STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET: SECRETS.STRIPE_WEBHOOK_SECRET, STRIPE_FAKE_PORT: '0', ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the Stripe fake did not start within 20 s')), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      const m = /listening (\S+)/.exec(chunk.toString());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`the Stripe fake exited (${code})`)));
  });
  return { url, child };
}

export function bundleWorker(outdir: string): void {
  // wrangler.toml's assets directory must exist to bundle; a clean clone has no web build yet.
  if (!existsSync(path.join(ROOT, 'dist/web/index.html'))) {
    const built = spawnSync(path.join(ROOT, 'node_modules/.bin/vite'), ['build', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('web build failed (needed for wrangler.toml assets)');
  }
  const r = spawnSync(path.join(ROOT, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', outdir], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...OFFLINE, WRANGLER_LOG: 'error' } });
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run failed: ${r.stderr || r.stdout}`);
}

interface Sample {
  startedAt: number;
  ms: number;
  status: number;
}

/** How the load generator sends a request (the harness's dispatchFetch into the runtime, or plain fetch). */
export type Send = (url: string, init?: RequestInit) => Promise<Response>;

export function orderRequest(base: string, f: Fixture, i: number, send: Send = fetch): () => Promise<number> {
  const token = f.tokens[i % f.tokens.length]!;
  const lines = 1 + (i % 3);
  const items = Array.from({ length: lines }, (_, k) => ({ productId: f.productIds[(i + k * 7) % f.productIds.length]!, quantity: 1 + ((i + k) % 3) }));
  const body = JSON.stringify({ merchantId: f.merchantId, items, dropoff: { address: `${i} Rue de Rivoli, Paris`, location: { lat: 48.8575 + (i % 50) * 0.0002, lng: 2.353 - (i % 40) * 0.0002 } } });
  return async () => {
    const res = await send(`${base}/v1/orders`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, 'Idempotency-Key': `bench-${i}-${randomBytes(6).toString('hex')}` },
      body,
    });
    await res.arrayBuffer();
    return res.status;
  };
}

/** Closed loop: `concurrency` clients, each sending its next order as soon as the last one is answered. */
async function closedLoop(
  base: string,
  f: Fixture,
  seconds: number,
  concurrency: number,
  first: number,
  request: (base: string, f: Fixture, i: number) => () => Promise<number>,
): Promise<{ samples: Sample[]; next: number }> {
  const samples: Sample[] = [];
  let next = first;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const send = request(base, f, next++);
        const t0 = performance.now();
        // A failed request (connection refused, reset) counts as status 0.
        const status = await send().catch(() => 0);
        samples.push({ startedAt: t0, ms: performance.now() - t0, status });
      }
    }),
  );
  return { samples, next };
}

/** Open loop: a new order every 1/rate s whatever the answers, so latency includes no coordinated omission. */
async function openLoop(base: string, f: Fixture, seconds: number, rate: number, first: number, send: Send): Promise<Sample[]> {
  const samples: Sample[] = [];
  const inflight: Promise<void>[] = [];
  const t0 = performance.now();
  for (let k = 0; k < seconds * rate; k++) {
    const due = t0 + (k * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const request = orderRequest(base, f, first + k, send);
    inflight.push(
      request().then(
        (status) => void samples.push({ startedAt: due, ms: performance.now() - due, status }),
        () => void samples.push({ startedAt: due, ms: performance.now() - due, status: 0 }),
      ),
    );
  }
  await Promise.all(inflight);
  return samples;
}

function summarize(samples: Sample[], seconds: number) {
  const ok = samples.filter((s) => s.status === 201);
  const latencies = ok.map((s) => s.ms);
  const start = Math.min(...samples.map((s) => s.startedAt));
  const perSecond = new Map<number, number>();
  for (const s of ok) {
    const second = Math.floor((s.startedAt + s.ms - start) / 1000);
    if (second < seconds) perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  }
  const buckets = Array.from({ length: Math.floor(seconds) }, (_, i) => perSecond.get(i) ?? 0);
  return {
    throughput: ok.length / seconds,
    worstSecond: Math.min(...buckets),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors: samples.length - ok.length,
    statuses: [...new Set(samples.filter((s) => s.status !== 201).map((s) => s.status))],
    count: ok.length,
  };
}

export function pgbenchTps(adminUrl: string, database: string): { tps: number | null; note: string } {
  const probe = spawnSync('pgbench', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return { tps: null, note: 'pgbench is not installed: apt-get install -y postgresql-client (or postgresql-contrib)' };
  }
  const u = new URL(adminUrl);
  const env = { ...process.env, PGHOST: u.hostname, PGPORT: u.port, PGUSER: decodeURIComponent(u.username), PGPASSWORD: decodeURIComponent(u.password) };
  const init = spawnSync('pgbench', ['-i', '-s', '10', '-q', database], { encoding: 'utf8', env });
  if (init.status !== 0) return { tps: null, note: `pgbench -i failed: ${(init.stderr || init.stdout).trim().slice(0, 200)}` };
  const r = spawnSync('pgbench', ['-c', '8', '-j', '2', '-T', '15', database], { encoding: 'utf8', env });
  const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(r.stdout);
  if (r.status !== 0 || !m) return { tps: null, note: `pgbench failed: ${(r.stderr || r.stdout).trim().slice(0, 200)}` };
  return { tps: Number(m[1]), note: `${probe.stdout.trim()}, TPC-B-like, scale 10, -c 8 -j 2 -T 15` };
}

interface Phase {
  name: string;
  /** Also measure the harness's floor (GET /healthz) in this phase. */
  reference?: boolean;
  /** What the Worker's Hyperdrive binding connects to. */
  databaseUrl: string;
  harness: string;
}

/**
 * A session-mode pgbouncer in front of Postgres, if installed: like
 * Hyperdrive in production it keeps warm server connections, so a request's
 * new connection costs no backend start, no password check and no cold
 * catalog cache. Runs as the `postgres` user (pgbouncer refuses root).
 */
/**
 * pgbouncer in front of `pgUrl`. `session` (this benchmark's pooled phase): a server connection per
 * client, reset with DISCARD ALL when the client leaves. `transaction` (the order flow): a server
 * connection per transaction and no reset, as Hyperdrive's pooler works; the Worker's unnamed
 * statements (ADR 0104) need nothing kept between transactions.
 */
export async function startPgbouncer(pgUrl: string, mode: 'session' | 'transaction' = 'session'): Promise<{ url: string; child: ChildProcess; dir: string } | { skipped: string }> {
  const probe = spawnSync('pgbouncer', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return { skipped: 'pgbouncer is not installed (apt-get install -y pgbouncer): the pooled phase was skipped' };
  const u = new URL(pgUrl);
  const database = u.pathname.slice(1);
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-pgbouncer-'));
  const port = await freePort();
  writeFileSync(path.join(dir, 'users.txt'), `"${decodeURIComponent(u.username)}" ""\n`);
  writeFileSync(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `${database} = host=${u.hostname} port=${u.port} dbname=${database} user=${decodeURIComponent(u.username)} password=${decodeURIComponent(u.password)}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'users.txt')}`,
      `pool_mode = ${mode}`,
      'server_reset_query = DISCARD ALL',
      // Session mode holds a server connection per client connection (pgbouncer 1.18
      // cannot keep postgres.js's prepared statements in transaction mode, which
      // is how Hyperdrive pools): room for every connection the Worker, the relay
      // and the consumer hold at once, and overload answered in seconds, not
      // after the default 120 s wait.
      'default_pool_size = 90',
      'query_wait_timeout = 10',
      'max_client_conn = 1000',
      'ignore_startup_parameters = extra_float_digits,application_name,options',
      `logfile = ${path.join(dir, 'pgbouncer.log')}`,
      'log_connections = 0',
      'log_disconnections = 0',
    ].join('\n') + '\n',
  );
  spawnSync('chown', ['-R', 'postgres', dir]);
  const child = spawn('pgbouncer', ['-u', 'postgres', path.join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = `postgres://${u.username}:${u.password}@127.0.0.1:${port}/${database}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probeSql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 2 });
    try {
      await probeSql`select 1`;
      await probeSql.end();
      return { url, child, dir };
    } catch (error) {
      await probeSql.end().catch(() => {});
      if (Date.now() > deadline) {
        child.kill('SIGTERM');
        return { skipped: `pgbouncer did not start: ${String(error)}` };
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function measurePhase(phase: Phase, fixture: Fixture, fakeUrl: string, outdir: string, first: number): Promise<{ rows: BenchRow[]; next: number; answered: number }> {
  Object.assign(process.env, OFFLINE, { CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: phase.databaseUrl });
  const server = createTestHarness({
    root: ROOT,
    workers: [
      {
        configPath: path.join(ROOT, 'wrangler.toml'),
        prebuiltWorkerDir: outdir,
        vars: {
          APP_ENV: 'bench',
          STRIPE_API_BASE: fakeUrl,
          PUBLIC_BASE_URL: 'https://bench.example',
          // Nothing may leave the machine: any other provider call meets a closed loopback port.
          TWILIO_API_BASE: 'http://127.0.0.1:9',
          FCM_API_BASE: 'http://127.0.0.1:9',
          FCM_TOKEN_URL: 'http://127.0.0.1:9/token',
          EMAIL_API_BASE: 'http://127.0.0.1:9',
        },
        secrets: SECRETS,
      },
    ],
  });
  try {
    const { url } = await server.listen();
    const base = url.origin;
    // Straight into the runtime (Miniflare's dispatchFetch), not through the
    // listen() URL: that one is wrangler dev's ProxyWorker, a Durable Object
    // that queues and re-sends every request (it exists for live reload) and
    // cost 2.3 ms of CPU and a queue per request; production has no such hop.
    const worker = server.getWorker();
    await openBenchSessions(() => worker.getEnv(), fixture.sessions);
    const send: Send = (u, init) => worker.fetch(u, init as never) as unknown as Promise<Response>;
    const orders = (b: string, f: Fixture, i: number) => orderRequest(b, f, i, send);
    // Warm-up: the isolate, the JIT, Postgres' caches; its orders are not counted.
    const warm = await closedLoop(base, fixture, WARMUP_S, Math.min(CONCURRENCY, 8), first, orders);
    const warmErrors = warm.samples.filter((s) => s.status !== 201);
    if (warmErrors.length > warm.samples.length / 2) throw new Error(`${phase.name} warm-up: ${warmErrors.length}/${warm.samples.length} failed (statuses ${[...new Set(warmErrors.map((s) => s.status))]})`);

    const load0 = loadavg()[0]!;
    const cpu0 = descendantCpu();
    const self0 = process.cpuUsage();
    const closed = await closedLoop(base, fixture, DURATION_S, CONCURRENCY, warm.next, orders);
    const cpu1 = descendantCpu();
    const self1 = process.cpuUsage(self0);
    const c = summarize(closed.samples, DURATION_S);
    const perOrder = (kind: string) => ((cpu1[kind] ?? 0) - (cpu0[kind] ?? 0)) / Math.max(1, c.count);
    const serverCpu = perOrder('workerd') + perOrder('postgres') + perOrder('pgbouncer') + perOrder('node');
    const cpuHarness = '/proc/<pid>/stat over the measured window';
    const label = (m: string) => `${phase.name}: ${m}`;
    /** The row's stable id within the phase: `orders.create.<phase>.<name>`. */
    const id = (name: string) => `orders.create.${phase.name}.${name}`;
    const rows: BenchRow[] = [
      { bench: BENCH, id: id('throughput_per_s'), metric: label(`orders/s sustained ${DURATION_S} s, ${CONCURRENCY} clients`), value: c.throughput, unit: 'orders/s', goal: `≥ ${GOAL.throughput}`, pass: c.throughput >= GOAL.throughput, harness: phase.harness, note: `n=${c.count}, errors ${c.errors}${c.statuses.length ? ` (${c.statuses.join(',')})` : ''}` },
      { bench: BENCH, id: id('slowest_second_per_s'), metric: label('slowest 1-s window'), value: c.worstSecond, unit: 'orders/s', harness: phase.harness },
      { bench: BENCH, id: id('latency_p50_ms'), metric: label('latency p50'), value: c.p50, unit: 'ms', harness: phase.harness },
      { bench: BENCH, id: id('latency_p99_ms'), metric: label('latency p99'), value: c.p99, unit: 'ms', goal: `≤ ${GOAL.p99}`, pass: c.p99 <= GOAL.p99, harness: phase.harness },
      { bench: BENCH, id: id('cpu_ms.workerd'), metric: label('CPU per order, workerd (Worker, MerchantFeed, outbox relay kick, queue consumer)'), value: perOrder('workerd'), unit: 'ms', harness: cpuHarness },
      { bench: BENCH, id: id('cpu_ms.postgres'), metric: label('CPU per order, Postgres'), value: perOrder('postgres'), unit: 'ms', harness: cpuHarness },
      ...(perOrder('pgbouncer') > 0 ? [{ bench: BENCH, id: id('cpu_ms.pgbouncer'), metric: label('CPU per order, pgbouncer'), value: perOrder('pgbouncer'), unit: 'ms', harness: cpuHarness }] : []),
      { bench: BENCH, id: id('cpu_ms.stripe_fake'), metric: label('CPU per order, Stripe fake (Node)'), value: perOrder('node'), unit: 'ms', harness: cpuHarness },
      { bench: BENCH, id: id('cpu_ms.load_generator'), metric: label('CPU per order, load generator (Node)'), value: (self1.user + self1.system) / 1000 / Math.max(1, c.count), unit: 'ms', harness: 'process.cpuUsage()' },
      {
        bench: BENCH,
        id: id('server_only_capacity_per_s'), metric: label('orders/s if 2 cores ran only the server side'),
        value: 2000 / serverCpu,
        unit: 'orders/s',
        harness: 'derived: 2000 ms / server-side CPU per order',
        note: 'an estimate, not a measurement: ignores queueing, and workerd runs an isolate on one thread',
      },
      { bench: BENCH, id: id('load_average'), metric: label('load average (1 min) at start'), value: load0, unit: '', harness: 'os.loadavg()', note: 'the machine is shared' },
    ];
    let next = closed.next;
    if (phase.reference) {
      // The harness's floor: a request that does nothing (GET /healthz), same clients, same isolate.
      const health = (b: string) => async () => {
        const res = await send(`${b}/healthz`);
        await res.arrayBuffer();
        return res.status === 200 ? 201 : res.status;
      };
      const h0 = descendantCpu();
      const ref = await closedLoop(base, fixture, REFERENCE_S, CONCURRENCY, 0, (b) => health(b));
      const h1 = descendantCpu();
      const r = summarize(ref.samples, REFERENCE_S);
      rows.push(
        { bench: BENCH, id: id('reference.healthz_per_s'), metric: label(`reference: GET /healthz (no database), ${REFERENCE_S} s`), value: r.throughput, unit: 'req/s', harness: phase.harness, note: `p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms` },
        { bench: BENCH, id: id('reference.healthz_workerd_cpu_ms'), metric: label('reference: CPU per GET /healthz, workerd'), value: ((h1.workerd ?? 0) - (h0.workerd ?? 0)) / Math.max(1, r.count), unit: 'ms', harness: cpuHarness },
      );
    }
    let openAnswered = 0;
    for (const rate of OPEN_LOOP_RATES) {
      // Open loop: latency at a given arrival rate, queueing included (no coordinated omission).
      const open = await openLoop(base, fixture, OPEN_LOOP_S, rate, next, send);
      next += OPEN_LOOP_S * rate;
      openAnswered += open.filter((s) => s.status === 201).length;
      const o = summarize(open, OPEN_LOOP_S);
      const why = rate === 12 ? '1M orders/day on average' : rate === 120 ? 'the design peak' : 'offered rate';
      rows.push(
        { bench: BENCH, id: id(`open${rate}.completed_per_s`), metric: label(`offered ${rate}/s (${why}) for ${OPEN_LOOP_S} s: completed`), value: o.throughput, unit: 'orders/s', harness: phase.harness, note: `open loop, errors ${o.errors}${o.statuses.length ? ` (${o.statuses.join(',')})` : ''}` },
        { bench: BENCH, id: id(`open${rate}.latency_p50_ms`), metric: label(`offered ${rate}/s: latency p50`), value: o.p50, unit: 'ms', harness: phase.harness },
        { bench: BENCH, id: id(`open${rate}.latency_p99_ms`), metric: label(`offered ${rate}/s: latency p99`), value: o.p99, unit: 'ms', goal: `≤ ${GOAL.p99}`, pass: o.p99 <= GOAL.p99, harness: phase.harness },
      );
    }
    const answered = [...warm.samples, ...closed.samples].filter((s) => s.status === 201).length + openAnswered;
    return { rows, next, answered };
  } finally {
    await server.close();
  }
}

export async function run(): Promise<BenchRow[]> {
  const pg = await startPostgres({ database: 'bench_orders' });
  const outdir = mkdtempSync(path.join(tmpdir(), 'bench-orders-'));
  let fake: { url: string; child: ChildProcess } | undefined;
  let bouncer: Awaited<ReturnType<typeof startPgbouncer>> | undefined;
  try {
    await migrateDatabase(pg.url);
    const fixture = await seed(pg.url);
    fake = await startFake();
    bundleWorker(outdir);
    bouncer = await startPgbouncer(pg.url);
    const phases: Phase[] = [
      { name: 'direct', reference: true, databaseUrl: pg.url, harness: `${HARNESS}; local Hyperdrive: a new Postgres connection per request` },
      ...('url' in bouncer ? [{ name: 'pooled', databaseUrl: bouncer.url, harness: `${HARNESS}; Hyperdrive → pgbouncer (session pool) → Postgres, as production pools` }] : []),
    ];
    const rows: BenchRow[] = [];
    let next = 0;
    let answered = 0;
    for (const phase of phases) {
      const result = await measurePhase(phase, fixture, fake.url, outdir, next);
      rows.push(...result.rows);
      next = result.next;
      answered += result.answered;
    }
    if ('skipped' in bouncer) {
      console.warn(`bench ${BENCH}: ${bouncer.skipped}`);
      rows.push({ bench: BENCH, id: 'orders.create.pooled.skipped', metric: 'pooled phase', value: null, unit: '', harness: 'pgbouncer', note: bouncer.skipped });
    }

    // Every 201 is a real order with its PaymentIntent id stored.
    const check = postgres(pg.url, { max: 1, onnotice: () => {} });
    const [{ orders, paid }] = (await check`select count(*)::int as orders, count(p.provider_payment_id)::int as paid from orders o join payments p on p.order_id = o.id`) as unknown as [{ orders: number; paid: number }];
    await check.end();
    {
      rows.push({ bench: BENCH, id: 'orders.create.payment_intents_per_201', metric: 'orders in Postgres with a PaymentIntent / 201 answers', value: paid / Math.max(1, answered), unit: 'ratio', harness: 'SQL count after the run', note: `${orders} orders, ${paid} with an intent, ${answered} answers 201` });
    }

    if (bouncer && 'child' in bouncer) bouncer.child.kill('SIGTERM');
    const adminUrl = new URL(pg.url);
    adminUrl.pathname = '/postgres';
    const admin = postgres(adminUrl.toString(), { max: 1, onnotice: () => {} });
    await admin.unsafe('create database bench_pgbench');
    await admin.end();
    const pgb = pgbenchTps(pg.url, 'bench_pgbench');
    if (pgb.tps === null) console.warn(`bench ${BENCH}: ${pgb.note}`);
    rows.push({ bench: BENCH, id: 'orders.create.pgbench_tps', metric: 'pgbench TPS (ceiling)', value: pgb.tps, unit: 'tx/s', harness: 'pgbench against the same embedded Postgres', note: pgb.note });
    return rows;
  } finally {
    if (bouncer && 'child' in bouncer) {
      bouncer.child.kill('SIGTERM');
      rmSync(bouncer.dir, { recursive: true, force: true });
    }
    if (fake) fake.child.kill('SIGTERM');
    rmSync(outdir, { recursive: true, force: true });
    await pg.stop();
  }
}

// Standalone: `npx tsx bench/orders-create.ts` prints the table and writes the results too.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await run();
  console.log(table(rows));
  console.log(`written to ${writeResults(BENCH, rows)}`);
}
