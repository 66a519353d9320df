/**
 * Sign-in latency and the cost of one password hash (issue 3).
 *
 * Harness: the Worker as wrangler bundles it for deployment
 * (`wrangler deploy --dry-run --outdir`), run by wrangler's test harness
 * (`createTestHarness` with `prebuiltWorkerDir`: Miniflare and workerd with
 * the Durable Objects and Hyperdrive, without wrangler dev's proxy, file
 * watching or tail logging), against an embedded Postgres 18 started here.
 * Requests go from this Node process straight to the Worker over loopback
 * (`getWorker().fetch`), one at a time unless said otherwise; each carries its
 * own `CF-Connecting-IP`, as distinct users would, so the per-IP limit
 * (20 attempts a minute) does not throttle the run, and the failed sign-ins
 * are spread over accounts so none passes the per-account failures that
 * are free before the throttle's delays.
 *
 * Hash cost: `hashPassword` (scrypt, today's parameters) timed in Node, and in
 * workerd through a tiny Worker that wrangler bundles from the same module.
 *
 * `npm run bench` runs it through bench/run.ts; alone: `npx tsx bench/auth-login.ts`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { createTestHarness } from 'wrangler';
import { migrateDatabase } from '../scripts/lib/migrate';
import { startPostgres } from '../scripts/lib/postgres';
import { CURRENT_PARAMS, hashPassword } from '../workers/services/auth/password';
import { RULES } from '../workers/services/auth/throttle';
import { percentile, table, writeResults, type BenchRow } from './lib/results';
import { platformCompatibility } from './lib/runtime-entry';
// The deploy bundle, building the web assets first when a clean clone has none (wrangler.toml's assets directory must exist).
import { bundleWorker } from './orders-create';

const BENCH = 'auth-login';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OFFLINE = { CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true' };
const PARAMS = `scrypt N=2^${Math.log2(CURRENT_PARAMS.N)} r=${CURRENT_PARAMS.r} p=${CURRENT_PARAMS.p}`;
const SAMPLES = { success: 200, wrongPassword: 60, unknownEmail: 60, concurrent: 120, hashNode: 30, hashWorkerd: 30 };

// The runtime wrangler itself runs (its own Miniflare and workerd).
const fromWrangler = createRequire(createRequire(import.meta.url).resolve('wrangler'));
const version = (pkg: string) => (fromWrangler(`${pkg}/package.json`) as { version: string }).version;
const WORKERD = `workerd ${version('workerd')}`;
const HARNESS_NOTE = `workerd ${version('workerd')} / Miniflare ${version('miniflare')} through wrangler ${version('wrangler')}'s createTestHarness`;

const randomIp = () => `10.${randomBytes(3).join('.')}`;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** `id` is the rows' stable stem: `<id>_p50_ms` and `<id>_p99_ms`. */
function latencyRows(id: string, name: string, sample: number[], harness: string, note?: string): BenchRow[] {
  return [
    { bench: BENCH, id: `${id}_p50_ms`, metric: `${name} p50`, value: percentile(sample, 50), unit: 'ms', harness, note: `n=${sample.length}${note ? `, ${note}` : ''}` },
    { bench: BENCH, id: `${id}_p99_ms`, metric: `${name} p99`, value: percentile(sample, 99), unit: 'ms', harness },
  ];
}

async function measureLogins(dbUrl: string): Promise<BenchRow[]> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'bench-auth-'));
  bundleWorker(outdir);
  // The harness takes the Hyperdrive connection from the environment, like wrangler dev.
  Object.assign(process.env, OFFLINE, { CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: dbUrl });
  const server = createTestHarness({
    root: ROOT,
    workers: [
      {
        configPath: path.join(ROOT, 'wrangler.toml'),
        prebuiltWorkerDir: outdir,
        vars: { APP_ENV: 'bench' },
        secrets: { JWT_SIGNING_KEYS: JSON.stringify([{ kid: 'bench', secret: randomBytes(32).toString('base64url') }]) },
      },
    ],
  });
  const harness = `${WORKERD}, wrangler test harness, deploy bundle`;
  try {
    await server.listen();
    const worker = server.getWorker();
    const post = async (p: string, body: unknown) => {
      const res = await worker.fetch(`http://bench.local${p}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': randomIp() },
        body: JSON.stringify(body),
      });
      return { status: res.status, text: await res.text() };
    };
    const email = `bench-${randomBytes(4).toString('hex')}@example.test`;
    const password = 'a benchmark password 2026';
    const reg = await post('/v1/auth/register', { role: 'customer', email, password, name: 'Bench' });
    if (reg.status !== 201) throw new Error(`register: ${reg.status} ${reg.text}`);
    const login = async (e: string, p: string, expect: number) => {
      const r = await post('/v1/auth/login', { email: e, password: p });
      if (r.status !== expect) throw new Error(`login: expected ${expect}, got ${r.status} ${r.text}`);
    };
    // Failed sign-ins against one account are free only up to RULES.loginFailuresPerAccount's `after`
    // (then delayed with 429, workers/services/auth/throttle.ts), wherever they come from: the wrong
    // passwords go to accounts of their own, each kept under it, and each unknown email is a new one.
    const freeFailures = RULES.loginFailuresPerAccount.delay.after;
    const victims: string[] = [];
    for (let i = 0; i < Math.ceil((SAMPLES.wrongPassword + 1) / (freeFailures - 1)); i++) {
      const victim = `bench-wrong-${i}-${randomBytes(4).toString('hex')}@example.test`;
      const made = await post('/v1/auth/register', { role: 'customer', email: victim, password, name: 'Bench' });
      if (made.status !== 201) throw new Error(`register: ${made.status} ${made.text}`);
      victims.push(victim);
    }
    const victimOf = (i: number) => victims[Math.floor(i / (freeFailures - 1))]!;
    const ghostOf = () => `ghost-${randomBytes(6).toString('hex')}@example.test`;

    // Warm-up: isolate, Postgres connections through Hyperdrive, both limiter objects.
    for (let i = 0; i < 5; i++) await login(email, password, 200);
    await login(victimOf(0), 'wrong password 123', 401);
    await login(ghostOf(), 'wrong password 123', 401);

    const ok: number[] = [];
    for (let i = 0; i < SAMPLES.success; i++) ok.push(await timed(() => login(email, password, 200)));
    // Interleaved, so drift in machine load hits both alike.
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < Math.max(SAMPLES.wrongPassword, SAMPLES.unknownEmail); i++) {
      if (i < SAMPLES.wrongPassword) wrong.push(await timed(() => login(victimOf(i + 1), 'wrong password 123', 401)));
      if (i < SAMPLES.unknownEmail) unknown.push(await timed(() => login(ghostOf(), 'wrong password 123', 401)));
    }
    // Four sign-ins in flight: workerd runs scrypt on the isolate's thread, so they queue.
    const concurrent: number[] = [];
    let started = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (started < SAMPLES.concurrent) {
          started++;
          concurrent.push(await timed(() => login(email, password, 200)));
        }
      }),
    );
    const throughput = SAMPLES.concurrent / ((performance.now() - t0) / 1000);

    const diff = Math.abs(percentile(unknown, 50) - percentile(wrong, 50));
    return [
      ...latencyRows('signin.login_success', 'login, success', ok, harness, 'sequential'),
      ...latencyRows('signin.login_wrong_password', 'login, wrong password (401)', wrong, harness, 'sequential'),
      ...latencyRows('signin.login_unknown_email', 'login, unknown email (401)', unknown, harness, 'sequential'),
      {
        bench: BENCH,
        id: 'signin.login_unknown_vs_wrong_p50_diff_ms',
        metric: '|p50 unknown email − p50 wrong password|',
        value: diff,
        unit: 'ms',
        goal: '≤ 10 % of p50',
        pass: diff <= 0.1 * percentile(wrong, 50),
        harness,
      },
      ...latencyRows('signin.login_success_concurrent', 'login, success, 4 in flight', concurrent, harness, 'one isolate'),
      { bench: BENCH, id: 'signin.login_concurrent_per_s', metric: 'login throughput, 4 in flight', value: throughput, unit: 'logins/s', harness, note: 'one isolate, 2 shared cores' },
    ];
  } finally {
    await server.close();
    rmSync(outdir, { recursive: true, force: true });
  }
}

async function hashInNode(): Promise<number[]> {
  await hashPassword('warm-up password');
  const sample: number[] = [];
  for (let i = 0; i < SAMPLES.hashNode; i++) sample.push(await timed(() => hashPassword(`benchmark password ${i}`)));
  return sample;
}

async function hashInWorkerd(): Promise<number[]> {
  // A Worker with only the hashing module, bundled by wrangler from the same source.
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-hash-'));
  const platform = platformCompatibility();
  writeFileSync(
    path.join(dir, 'wrangler.json'),
    JSON.stringify({
      name: 'bench-hash',
      main: fileURLToPath(new URL('./lib/hash-worker.ts', import.meta.url)),
      compatibility_date: platform.date,
      compatibility_flags: platform.flags,
    }),
  );
  Object.assign(process.env, OFFLINE);
  const server = createTestHarness({ workers: [{ configPath: path.join(dir, 'wrangler.json') }] });
  try {
    await server.listen();
    const worker = server.getWorker();
    const hash = async (n: number) => {
      const res = await worker.fetch(`http://bench.local/?n=${n}`);
      if (res.status !== 200) throw new Error(`hash worker: ${res.status} ${await res.text()}`);
      await res.text();
    };
    await hash(2);
    // Ten hashes per request: the loopback round trip (~1 ms) is well under 1 % of the figure.
    const sample: number[] = [];
    for (let i = 0; i < SAMPLES.hashWorkerd / 10; i++) {
      const ms = await timed(() => hash(10));
      for (let j = 0; j < 10; j++) sample.push(ms / 10);
    }
    return sample;
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchRow[]> {
  const loadBefore = loadavg()[0]!;
  const nodeHash = await hashInNode();
  const workerdHash = await hashInWorkerd();
  const pg = await startPostgres({ database: 'bench_auth' });
  try {
    await migrateDatabase(pg.url);
    const logins = await measureLogins(pg.url);
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from audit_log where action = 'auth.login'`;
    await sql.end();
    return [
      {
        bench: BENCH,
        id: 'signin.hash_median_ms.node',
        metric: `one password hash (${PARAMS}), median`,
        value: percentile(nodeHash, 50),
        unit: 'ms',
        harness: `Node ${process.version} (OpenSSL), in-process`,
        note: `n=${nodeHash.length}, p99 ${percentile(nodeHash, 99).toFixed(0)} ms`,
      },
      {
        bench: BENCH,
        id: 'signin.hash_median_ms.workerd',
        metric: `one password hash (${PARAMS}), median`,
        value: percentile(workerdHash, 50),
        unit: 'ms',
        harness: `${WORKERD} (BoringSSL), wrangler test harness`,
        note: `n=${workerdHash.length}, p99 ${percentile(workerdHash, 99).toFixed(0)} ms`,
      },
      ...logins,
      { bench: BENCH, id: 'signin.login_audit_rows', metric: 'auth.login audit rows written', value: row?.n ?? null, unit: 'rows', harness: 'Postgres count after the run', note: 'one per successful sign-in' },
      {
        bench: BENCH,
        id: 'signin.load_average',
        metric: 'machine load average (1 min), before / after',
        value: loadavg()[0]!,
        unit: 'runnable tasks',
        harness: 'os.loadavg()',
        note: `before ${loadBefore.toFixed(2)}; 2 cores shared with other work: figures above include that contention`,
      },
      { bench: BENCH, id: 'signin.harness', metric: 'harness', value: null, unit: '', harness: HARNESS_NOTE, note: 'embedded Postgres 18 on loopback; each request its own CF-Connecting-IP' },
    ];
  } finally {
    await pg.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await run();
  console.log(`\n${table(rows)}\n`);
  console.log(`written to ${writeResults(BENCH, rows)}`);
}
