/**
 * What the twilio SDK costs a Worker (issue 6): bundle size, isolate start,
 * and the first SMS of an isolate (the SDK evaluated on first use) against a
 * warm one, for three builds of the same small Worker:
 *   none   — no SDK in the bundle (baseline);
 *   lazy   — the SDK behind a dynamic import(), as production does it: only
 *            the queue consumer reaches it, so the API never pays for it;
 *   static — the SDK imported at the top: every isolate pays on start.
 *
 * Harness: each Worker bundled as for deployment (`wrangler deploy --dry-run
 * --outdir`), then started fresh for every sample by wrangler's test harness
 * (`createTestHarness` with `prebuiltWorkerDir`: Miniflare + workerd, no dev
 * proxy), requests from Node over loopback; the SMS goes to the Twilio fake
 * (fakes/twilio) started here. Time inside workerd does not advance
 * during computation, so everything is timed from Node.
 *
 * `npm run bench -- notifications`; alone: `npx tsx bench/notifications.ts`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestHarness } from 'wrangler';
import { startTwilioFake } from '../fakes/twilio/server';
import { percentile, table, writeResults, type BenchRow } from './lib/results';
import { platformCompatibility } from './lib/runtime-entry';

const BENCH = 'notifications';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OFFLINE = { CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true' };
const SAMPLES = Number(process.env.BENCH_NOTIFY_SAMPLES ?? 7);
const TWILIO = { accountSid: 'ACbench0000000000000000000000000000', authToken: 'bench-twilio-token' };
const VARIANTS = ['none', 'lazy', 'static'] as const;
type Variant = (typeof VARIANTS)[number];

const fromWrangler = createRequire(createRequire(import.meta.url).resolve('wrangler'));
const version = (pkg: string) => (fromWrangler(`${pkg}/package.json`) as { version: string }).version;
const HARNESS = `workerd ${version('workerd')}, wrangler test harness, deploy bundle`;

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const value = await fn();
  return [performance.now() - t0, value];
}

function dirBytes(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.endsWith('.map'))
    .reduce((n, e) => n + statSync(path.join(e.parentPath, e.name)).size, 0);
}

function bundle(variant: Variant, work: string, minify: boolean): { config: string; outdir: string; bytes: number } {
  const platform = platformCompatibility();
  const config = path.join(work, `wrangler-${variant}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      name: `bench-twilio-${variant}`,
      main: fileURLToPath(new URL(`./lib/twilio-${variant}-worker.ts`, import.meta.url)),
      compatibility_date: platform.date,
      compatibility_flags: platform.flags,
    }),
  );
  const outdir = path.join(work, `out-${variant}${minify ? '-min' : ''}`);
  const r = spawnSync(path.join(ROOT, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', outdir, '-c', config, ...(minify ? ['--minify'] : [])], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...OFFLINE, WRANGLER_LOG: 'error' },
  });
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run (${variant}) failed: ${r.stderr || r.stdout}`);
  return { config, outdir, bytes: dirBytes(outdir) };
}

interface ColdSample {
  start: number;
  firstNoop: number;
  firstSms?: number;
  warmSms?: number;
}

async function coldStart(variant: Variant, config: string, outdir: string, twilioUrl: string): Promise<ColdSample> {
  const server = createTestHarness({
    root: ROOT,
    workers: [{ configPath: config, prebuiltWorkerDir: outdir, vars: { TWILIO_API_BASE: twilioUrl, TWILIO_ACCOUNT_SID: TWILIO.accountSid, TWILIO_AUTH_TOKEN: TWILIO.authToken } }],
  });
  try {
    const [start] = await timed(() => server.listen());
    const worker = server.getWorker();
    const get = async (p: string) => {
      const res = await worker.fetch(`http://bench.local${p}`);
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${variant} ${p}: ${res.status} ${text}`);
      return text;
    };
    const [firstNoop] = await timed(() => get('/noop'));
    if (variant === 'none') return { start, firstNoop };
    const [firstSms, sid] = await timed(() => get('/sms'));
    if (!/^SM[0-9a-f]{32}$/.test(sid)) throw new Error(`unexpected SMS answer ${sid}`);
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) warm.push((await timed(() => get('/sms')))[0]);
    return { start, firstNoop, firstSms, warmSms: percentile(warm, 50) };
  } finally {
    await server.close();
  }
}

export async function run(): Promise<BenchRow[]> {
  Object.assign(process.env, OFFLINE);
  const loadBefore = loadavg()[0]!;
  const work = mkdtempSync(path.join(tmpdir(), 'bench-notify-'));
  const twilio = await startTwilioFake(TWILIO);
  const rows: BenchRow[] = [];
  try {
    const builds = Object.fromEntries(VARIANTS.map((v) => [v, bundle(v, work, false)])) as Record<Variant, ReturnType<typeof bundle>>;
    const minified = Object.fromEntries(VARIANTS.map((v) => [v, bundle(v, work, true).bytes])) as Record<Variant, number>;
    for (const v of VARIANTS) {
      rows.push({ bench: BENCH, id: `notifications.bundle_mb.${v}`, metric: `bundle size, ${v}`, value: builds[v].bytes / 1e6, unit: 'MB', harness: 'wrangler deploy --dry-run (esbuild)', note: `minified ${(minified[v] / 1e6).toFixed(2)} MB` });
    }
    // Interleaved so that drifting machine load hits every variant alike.
    const samples: Record<Variant, ColdSample[]> = { none: [], lazy: [], static: [] };
    for (let i = 0; i < SAMPLES; i++) {
      for (const v of VARIANTS) samples[v].push(await coldStart(v, builds[v].config, builds[v].outdir, twilio.url));
    }
    const med = (v: Variant, k: keyof ColdSample) => percentile(samples[v].map((s) => s[k]!).filter((x) => x !== undefined), 50);
    for (const v of VARIANTS) {
      rows.push({ bench: BENCH, id: `notifications.isolate_start_ms.${v}`, metric: `isolate start (listen), ${v}, median`, value: med(v, 'start'), unit: 'ms', harness: HARNESS, note: `n=${SAMPLES}, fresh harness each` });
      rows.push({ bench: BENCH, id: `notifications.first_request_ms.${v}`, metric: `first request (/noop), ${v}, median`, value: med(v, 'firstNoop'), unit: 'ms', harness: HARNESS, note: 'what an API request pays on a fresh isolate' });
    }
    for (const v of ['lazy', 'static'] as const) {
      rows.push({ bench: BENCH, id: `notifications.first_sms_ms.${v}`, metric: `first SMS of an isolate, ${v}, median`, value: med(v, 'firstSms'), unit: 'ms', harness: HARNESS, note: 'SDK evaluated on first use (lazy) + client + send to the fake' });
      rows.push({ bench: BENCH, id: `notifications.warm_sms_ms.${v}`, metric: `warm SMS, ${v}, median`, value: med(v, 'warmSms'), unit: 'ms', harness: HARNESS, note: 'median of 5 after the first' });
    }
    rows.push({
      bench: BENCH,
      id: 'notifications.twilio_cold_start_ms',
      metric: 'twilio cold start on first SMS (lazy: first − warm)',
      value: med('lazy', 'firstSms') - med('lazy', 'warmSms'),
      unit: 'ms',
      harness: HARNESS,
      note: 'paid once per consumer isolate, never on the API path',
    });
    const startPlusFirst = (v: Variant) => med(v, 'start') + med(v, 'firstNoop');
    rows.push({
      bench: BENCH,
      id: 'notifications.start_cost_ms.sdk_in_bundle',
      metric: 'isolate start + first request: carrying the SDK in the bundle (lazy − none)',
      value: startPlusFirst('lazy') - startPlusFirst('none'),
      unit: 'ms',
      harness: HARNESS,
      note: 'script size: loaded and parsed even if never imported; includes the harness handing 8 MB to workerd',
    });
    rows.push({
      bench: BENCH,
      id: 'notifications.start_cost_ms.sdk_evaluated_at_start',
      metric: 'isolate start + first request: evaluating the SDK at start (static − lazy)',
      value: startPlusFirst('static') - startPlusFirst('lazy'),
      unit: 'ms',
      harness: HARNESS,
      note: 'what the dynamic import saves every isolate that sends no SMS',
    });
    rows.push({
      bench: BENCH,
      id: 'notifications.load_average',
      metric: 'machine load average (1 min), after',
      value: loadavg()[0]!,
      unit: 'runnable tasks',
      harness: 'os.loadavg()',
      note: `before ${loadBefore.toFixed(2)}; 2 cores shared with other work`,
    });
    return rows;
  } finally {
    await twilio.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await run();
  console.log(`\n${table(rows)}\n`);
  console.log(`written to ${writeResults(BENCH, rows)}`);
}
