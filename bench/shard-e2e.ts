/**
 * One city shard end to end (issue 5, second figure): driver WebSockets
 * through the Worker route into one CityShard, and the trip positions fanned
 * out to watchers of the orders on their own sockets.
 *
 * Harness: the Worker as wrangler bundles it for deployment (`wrangler deploy
 * --dry-run`), served by wrangler's createTestHarness (Miniflare + workerd,
 * with Durable Objects and Hyperdrive, without file watching or tail
 * logging). Load from this Node process, sockets opened with Miniflare's
 * dispatchFetch straight into the runtime (not through the listen() URL,
 * which is wrangler dev's ProxyWorker): every driver has its own socket (authenticated by the
 * route with a JWT and a Postgres lookup), every watcher too (through
 * /v1/orders/{id}/live). Orders are seeded in Postgres and dispatched with the
 * shard's RPC; drivers accept.
 *
 * Each phase offers a rate of fixes/s for BENCH_SHARD_SECONDS, open loop,
 * either one fix per frame (`location`) or several per frame (`locations`),
 * then waits for the shard to have handled every frame: the sustained rate is
 * what it handled divided by the time it took. Driver-to-watcher latency: the
 * watcher's receive time minus the fix's `at` (set when the frame is sent),
 * both from this process's clock. Load generator, workerd and Postgres share
 * this machine's two cores.
 *
 * `npm run bench -- shard-e2e`, or alone: `npx tsx bench/shard-e2e.ts`.
 * Knobs: BENCH_SHARD_DRIVERS (1000), BENCH_SHARD_TRIPS (100),
 * BENCH_SHARD_SECONDS (15), BENCH_SHARD_PHASES ("1x1000,1x2500,4x5000,4x10000":
 * fixes per frame × fixes/s offered). Not in the defaults: 1x5000 (5,000 single-fix
 * frames/s) overloads the local runtime, whose queue and memory then grow until
 * the phase takes many minutes to drain (docs/decisions/0039).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import { startPostgres } from '../scripts/lib/postgres';
import { benchSession, openBenchSessions, type BenchSession } from './lib/sessions';
import { shardFor } from '../domain/shard-keys';
import { newOrderNumber } from '../domain/order';
import { percentile, table, writeResults, type BenchRow } from './lib/results';
import { bundleWorker } from './orders-create';

const BENCH = 'shard-e2e';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OFFLINE = { CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true' };
const DRIVERS = Number(process.env.BENCH_SHARD_DRIVERS ?? 1_000);
const TRIPS = Math.min(DRIVERS, Number(process.env.BENCH_SHARD_TRIPS ?? 100));
const SECONDS = Number(process.env.BENCH_SHARD_SECONDS ?? 15);
const PHASES = (process.env.BENCH_SHARD_PHASES ?? '1x1000,1x2500,4x5000,4x10000').split(',').map((p) => {
  const [batch, rate] = p.split('x').map(Number);
  return { batch: batch!, rate: rate! };
});
const GOAL = { rate: 5_000, p99: 50 };
/**
 * BENCH_SHARD_OBSERVABILITY=off runs a copy of wrangler.toml with `[observability]`
 * disabled, to see what per-event logging costs locally.
 */
const OBSERVABILITY = process.env.BENCH_SHARD_OBSERVABILITY !== 'off';
const CONFIG = OBSERVABILITY ? path.join(ROOT, 'wrangler.toml') : path.join(ROOT, `.bench-wrangler-${process.pid}.toml`);
export const CENTER = { lat: 48.8566, lng: 2.3522 };
const M_LAT = 111_195;
const M_LNG = M_LAT * Math.cos((CENTER.lat * Math.PI) / 180);

const fromWrangler = createRequire(createRequire(import.meta.url).resolve('wrangler'));
const HARNESS = `workerd ${(fromWrangler('workerd/package.json') as { version: string }).version} via wrangler createTestHarness (deploy bundle${OBSERVABILITY ? '' : ', observability off'}), WebSockets from Node by dispatchFetch (no dev proxy), embedded Postgres`;
export const SIGNING = JSON.stringify([{ kid: 'bench', secret: randomBytes(32).toString('base64url') }]);
/** Orders' PINs and tracking tokens are sealed under it (ADR 0083). */
export const DATA_KEYS = JSON.stringify([{ kid: 'bench', secret: randomBytes(32).toString('base64url') }]);

export interface Fixture {
  cityId: string;
  driverTokens: { driverId: string; token: string }[];
  customerToken: string;
  /** Opened in the runtime once it is up (bench/lib/sessions.ts). */
  sessions: BenchSession[];
  orders: { id: string; pickup: { lat: number; lng: number }; dropoff: { lat: number; lng: number } }[];
  start: { lat: number; lng: number }[];
}

export const at = (north: number, east: number) => ({ lat: CENTER.lat + north / M_LAT, lng: CENTER.lng + east / M_LNG });

export async function seed(url: string): Promise<Fixture> {
  const client = postgres(url, { max: 4, onnotice: () => {} });
  const db = drizzle(client, { schema });
  try {
    const cityId = newId('cty');
    await db.insert(schema.cities).values({ id: cityId, name: 'Bench City', centerLat: CENTER.lat, centerLng: CENTER.lng, currency: 'EUR', timezone: 'Europe/Paris', serviceRadiusKm: 12, deliveryBaseFeeCents: 199, deliveryPerKmCents: 60, taxRateBps: 1000 });
    const merchantId = newId('mer');
    await db.insert(schema.merchants).values({ id: merchantId, cityId, name: 'Bench Bistro', kind: 'restaurant', address: '1 Rue du Banc', lat: CENTER.lat, lng: CENTER.lng });
    const customerId = newId('usr');
    await db.insert(schema.users).values({ id: customerId, role: 'customer' });
    const userIds = Array.from({ length: DRIVERS }, () => newId('usr'));
    const driverIds = Array.from({ length: DRIVERS }, () => newId('drv'));
    for (let i = 0; i < DRIVERS; i += 500) {
      await db.insert(schema.users).values(userIds.slice(i, i + 500).map((id) => ({ id, role: 'driver' as const })));
      await db.insert(schema.drivers).values(driverIds.slice(i, i + 500).map((id, k) => ({ id, userId: userIds[i + k]!, cityId, vehicle: (['bike', 'scooter', 'car'] as const)[(i + k) % 3]! })));
    }
    // Drivers spread over a 10 km square; trips start where their driver is.
    const start = driverIds.map((_, i) => at(((i * 7919) % 10_000) - 5_000, ((i * 104_729) % 10_000) - 5_000));
    const orders = Array.from({ length: TRIPS }, (_, i) => ({ id: newId('ord'), pickup: start[i]!, dropoff: at(((i * 31) % 8_000) - 4_000, ((i * 57) % 8_000) - 4_000) }));
    if (orders.length > 0) await db.insert(schema.orders).values(
      orders.map((o) => ({
        id: o.id, number: newOrderNumber(), cityId, merchantId, customerId, status: 'preparing' as const, dispatchState: 'unassigned' as const, source: 'customer' as const,
        subtotalCents: 1_000, deliveryFeeCents: 300, taxCents: 100, totalCents: 1_400, currency: 'EUR', distanceM: 2_000,
        pickupLat: o.pickup.lat, pickupLng: o.pickup.lng, dropoffLat: o.dropoff.lat, dropoffLng: o.dropoff.lng,
        deliveryPin: '1234', trackingToken: randomBytes(16).toString('hex'),
      })),
    );
    const driverSessions = await Promise.all(driverIds.map((driverId, i) => benchSession(SIGNING, { sub: userIds[i]!, role: 'driver', did: driverId })));
    const driverTokens = driverSessions.map((s, i) => ({ driverId: driverIds[i]!, token: s.token }));
    const customer = await benchSession(SIGNING, { sub: customerId, role: 'customer' });
    return { cityId, driverTokens, customerToken: customer.token, orders, start, sessions: [...driverSessions, customer] };
  } finally {
    await client.end();
  }
}

/** The part of a WebSocket the load generator uses (Node's, or the one Miniflare's dispatchFetch hands back). */
interface WebSocketLike {
  send(data: string): void;
  close(code?: number): void;
  addEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
}

interface Socket {
  ws: WebSocketLike;
  next(type: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** Opens a socket straight into the runtime (see `connectVia`). */
type Connect = (path: string) => Promise<WebSocketLike>;

/**
 * Sockets go straight into the runtime with Miniflare's dispatchFetch, not
 * through the listen() URL, which is wrangler dev's ProxyWorker (a Durable
 * Object in a second workerd process that every frame would cross; it exists
 * for live reload, and production has no such hop).
 */
function connectVia(worker: { fetch(url: string, init?: RequestInit): Promise<unknown> }, base: string): Connect {
  return async (p) => {
    const res = (await worker.fetch(`${base}${p}`, { headers: { Upgrade: 'websocket' } })) as { status: number; webSocket: (WebSocketLike & { accept(): void }) | null; text(): Promise<string> };
    if (res.status !== 101 || !res.webSocket) throw new Error(`socket refused on ${p.replace(/access_token=[^&]+/, 'access_token=…')}: ${res.status} ${(await res.text().catch(() => '')).slice(0, 300)}`);
    res.webSocket.accept();
    return res.webSocket;
  };
}

async function open(connect: Connect, p: string, onMessage?: (m: Record<string, unknown>, receivedAt: number) => void): Promise<Socket> {
  const ws = await connect(p);
  const waiting: { type: string; resolve: (m: Record<string, unknown>) => void }[] = [];
  const seen: Record<string, unknown>[] = [];
  ws.addEventListener('message', (e) => {
    const now = Date.now();
    const m = JSON.parse(typeof e.data === 'string' ? e.data : Buffer.from(e.data as ArrayBuffer).toString()) as Record<string, unknown>;
    onMessage?.(m, now);
    const i = waiting.findIndex((w) => w.type === m.type);
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(m);
    else if (seen.length < 20) seen.push(m);
  });
  return {
    ws,
    next: (type, timeoutMs = 10_000) => {
      const k = seen.findIndex((m) => m.type === type);
      if (k >= 0) return Promise.resolve(seen.splice(k, 1)[0]!);
      return new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(`no ${type} within ${timeoutMs} ms`)), timeoutMs);
        waiting.push({ type, resolve: (m) => (clearTimeout(t), res(m)) });
      });
    },
  };
}

async function inBatches<T>(items: T[], size: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map((item, k) => fn(item, i + k)));
}


type Stats = { ingest: { frames: number; points: number } };

const progress = (line: string) => process.stderr.write(`shard-e2e: ${line}\n`);

export async function run(): Promise<BenchRow[]> {
  const pg = await startPostgres({ database: 'bench_shard' });
  const outdir = mkdtempSync(path.join(tmpdir(), 'bench-shard-'));
  let server: ReturnType<typeof createTestHarness> | undefined;
  const sockets: WebSocketLike[] = [];
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  try {
    await migrateDatabase(pg.url);
    const f = await seed(pg.url);
    if (!OBSERVABILITY) writeFileSync(CONFIG, readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8').replace(/\[observability\]\nenabled = true/, '[observability]\nenabled = false'));
    bundleWorker(outdir);
    Object.assign(process.env, OFFLINE, { CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: pg.url });
    server = createTestHarness({ root: ROOT, workers: [{ configPath: CONFIG, prebuiltWorkerDir: outdir, vars: { APP_ENV: 'bench', PUBLIC_BASE_URL: 'https://bench.example' }, secrets: { JWT_SIGNING_KEYS: SIGNING, DATA_ENCRYPTION_KEYS: DATA_KEYS } }] });
    const { url } = await server.listen();
    const connect = connectVia(server.getWorker() as never, url.origin);
    await openBenchSessions(() => server!.getWorker().getEnv(), f.sessions);
    // The shard's RPC from Node, through Miniflare's proxy of the Worker's bindings.
    type ShardRpc = { stats(): Promise<unknown>; dispatch(request: unknown): Promise<unknown> };
    const env = (await server.getWorker().getEnv()) as unknown as { CITY_SHARD: { getByName(name: string): ShardRpc } };
    const shard = env.CITY_SHARD.getByName(shardFor({ id: f.cityId, center: CENTER, serviceRadiusKm: 12 }, null).key);
    // The RPC waits behind the frames the shard has not handled yet: null when it is still busy after 5 s.
    const shardStats = async (): Promise<Stats | null> => {
      const stats = await Promise.race([shard.stats(), new Promise((resolve) => setTimeout(() => resolve(null), 5_000))]);
      return stats === null ? null : (JSON.parse(JSON.stringify(stats)) as Stats);
    };
    const settledStats = async (): Promise<Stats> => {
      for (;;) {
        const stats = await shardStats();
        if (stats) return stats;
      }
    };

    // Drivers online, each accepting whatever it is offered.
    const drivers: Socket[] = new Array(DRIVERS);
    const position = f.start.map((p) => ({ ...p }));
    const lastAt = new Float64Array(DRIVERS);
    // 25 at a time: each upgrade's request holds its own Postgres connection while it opens, straight to the
    // embedded server here (max_connections 100; Hyperdrive pools them in production): 100 at once ran out (503).
    await inBatches(f.driverTokens, 25, async (d, i) => {
      const s = await open(connect, `/v1/drivers/me/live?access_token=${d.token}`, (m) => {
        if (m.type === 'offer') s.ws.send(JSON.stringify({ type: 'offer.accept', offerId: m.offerId }));
      });
      drivers[i] = s;
      sockets.push(s.ws);
      await s.next('session');
      s.ws.send(JSON.stringify({ type: 'availability', available: true }));
      lastAt[i] = Date.now();
      s.ws.send(JSON.stringify({ type: 'location', ...position[i]!, at: new Date(lastAt[i]!).toISOString() }));
      await s.next('session');
    });

    progress(`${DRIVERS} drivers online`);
    // Like the apps, drivers keep reporting (here every 10 s) so none turns silent (45 s) before the load.
    let turn = 0;
    keepAlive = setInterval(() => {
      for (let k = 0; k < Math.ceil(DRIVERS / 10); k++) {
        const i = turn++ % DRIVERS;
        lastAt[i] = Math.max(lastAt[i]! + 1, Date.now());
        drivers[i]!.ws.send(JSON.stringify({ type: 'location', ...position[i]!, at: new Date(lastAt[i]!).toISOString() }));
      }
    }, 1_000);
    // Trips: each order's pickup is where its driver stands, so that driver wins it.
    await inBatches(f.orders, 20, async (o, i) => {
      await shard.dispatch({ orderId: o.id, pickup: o.pickup, dropoff: o.dropoff, payoutCents: 500 });
      await drivers[i]!.next('assignment');
    });

    progress(`${TRIPS} trips assigned`);
    // One watcher per trip, through the route, with the latency of each position it receives.
    let latencies: number[] = [];
    await inBatches(f.orders, 20, async (o) => {
      const w = await open(connect, `/v1/orders/${o.id}/live?access_token=${f.customerToken}`, (m, receivedAt) => {
        if (m.type === 'location') latencies.push(receivedAt - Date.parse(String(m.at)));
      });
      sockets.push(w.ws);
      await w.next('status');
    });

    clearInterval(keepAlive);
    progress(`${TRIPS} watchers connected`);
    const rows: BenchRow[] = [];
    const load0 = loadavg()[0]!;
    // A warm-up phase (not reported): the isolates' JIT, the sockets' buffers.
    for (const { batch, rate, warmup } of [{ batch: 1, rate: 500, warmup: true }, ...PHASES.map((p) => ({ ...p, warmup: false }))]) {
      {
        const framesPerSecond = rate / batch;
        const before = await settledStats();
        latencies = [];
        let frames = 0;
        let next = 0;
        const t0 = performance.now();
        const tick = 10;
        await new Promise<void>((resolve) => {
          const timer = setInterval(() => {
            const elapsed = performance.now() - t0;
            const seconds = warmup ? 5 : SECONDS;
            const ended = elapsed >= seconds * 1000;
            // Exactly rate × seconds fixes are offered: the last tick sends what is still due.
            const due = ended ? Math.round(seconds * framesPerSecond) : Math.floor((elapsed / 1000) * framesPerSecond);
            for (; frames < due; frames++) {
              const i = next++ % DRIVERS;
              const now = Date.now();
              const points = [];
              for (let k = 0; k < batch; k++) {
                // A few metres per fix; strictly increasing times per driver.
                position[i]!.lat += (Math.random() - 0.5) * 0.0001;
                position[i]!.lng += (Math.random() - 0.5) * 0.0001;
                const t = Math.max(lastAt[i]! + 1, now - (batch - 1 - k));
                lastAt[i] = t;
                points.push({ lat: position[i]!.lat, lng: position[i]!.lng, speed: 5, at: new Date(t).toISOString() });
              }
              const frame = batch === 1 ? { type: 'location', ...points[0] } : { type: 'locations', points };
              drivers[i]!.ws.send(JSON.stringify(frame));
            }
            if (ended) {
              clearInterval(timer);
              resolve();
            }
          }, tick);
        });
        const sentSeconds = (performance.now() - t0) / 1000;
        // Wait until the shard has handled every frame sent (or give up after 120 s).
        let after: Stats | null = null;
        let doneAt = performance.now();
        const deadline = performance.now() + 60_000;
        while (performance.now() < deadline) {
          const s = await shardStats();
          if (s) {
            after = s;
            doneAt = performance.now();
            if (s.ingest.frames - before.ingest.frames >= frames) break;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        // Still behind after a minute: it did not sustain the rate. Count what it handled by then,
        // and let it catch up before the next phase so phases do not overlap.
        if (!after) {
          after = await settledStats();
          doneAt = performance.now();
        }
        const doneSeconds = (doneAt - t0) / 1000;
        const handled = after.ingest.points - before.ingest.points;
        // Kept up: everything handled within a second of the last frame sent; the rate is then what was offered.
        const keptUp = handled === frames * batch && doneSeconds - sentSeconds <= 1;
        const sustained = handled / (keptUp ? sentSeconds : doneSeconds);
        const lat = latencies.filter((l) => Number.isFinite(l));
        progress(`${rate}/s × ${batch}: ${handled} fixes in ${doneSeconds.toFixed(1)} s, ${latencies.length} watcher positions`);
        if (warmup) continue;
        const label = `${rate.toLocaleString('en-US')}/s offered, ${batch} fix${batch > 1 ? 'es' : ''} per frame`;
        // The phase's fixed key in the rows' ids (from BENCH_SHARD_PHASES, never a measured figure): e.g. 2500fps_1fix.
        const key = `${rate}fps_${batch}fix`;
        rows.push(
          { bench: BENCH, id: `shard.e2e.handled_per_s.${key}`, metric: `fixes/s handled by one shard (${label})`, value: sustained, unit: 'updates/s', ...(rate >= GOAL.rate ? { goal: `≥ ${GOAL.rate.toLocaleString('en-US')}`, pass: keptUp && sustained >= GOAL.rate * 0.99 } : {}), harness: HARNESS, note: `${keptUp ? 'kept up' : 'fell behind'}: ${handled} of ${frames * batch} handled ${(doneSeconds - sentSeconds).toFixed(1)} s after the last frame sent, ${DRIVERS} driver sockets` },
          { bench: BENCH, id: `shard.e2e.watcher_p50_ms.${key}`, metric: `driver → watcher p50 (${label})`, value: percentile(lat, 50), unit: 'ms', harness: HARNESS, note: `${lat.length} positions to ${TRIPS} watchers` },
          { bench: BENCH, id: `shard.e2e.watcher_p99_ms.${key}`, metric: `driver → watcher p99 (${label})`, value: percentile(lat, 99), unit: 'ms', goal: `≤ ${GOAL.p99}`, pass: percentile(lat, 99) <= GOAL.p99, harness: HARNESS },
        );
        await new Promise((r) => setTimeout(r, 2_000));
      }
    }
    rows.push({ bench: BENCH, id: 'shard.e2e.load_average', metric: 'load average (1 min) at start of load', value: load0, unit: '', harness: 'os.loadavg()', note: 'two cores, shared with other work' });
    return rows;
  } finally {
    clearInterval(keepAlive);
    for (const ws of sockets) {
      try {
        ws.close();
      } catch {
        // closing anyway
      }
    }
    // Never hang on the way out: each shutdown step gets 15 s.
    const bounded = (p: Promise<unknown>) => Promise.race([p.catch(() => {}), new Promise((r) => setTimeout(r, 15_000))]);
    if (server) await bounded(server.close());
    rmSync(outdir, { recursive: true, force: true });
    if (!OBSERVABILITY) rmSync(CONFIG, { force: true });
    await bounded(pg.stop());
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await run();
  console.log(table(rows));
  console.log(`written to ${writeResults(BENCH, rows)}`);
  process.exit(0);
}
