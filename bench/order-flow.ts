/**
 * The order's whole life against floors measured in the same run (issue 14):
 * create (+ PaymentIntent), pay confirmation (Stripe's signed webhook),
 * tracking read, merchant accept (dispatch, offer, the driver's accept and the
 * committed assignment follow), ready, pickup, deliver — with the outbox
 * relay, the queue consumers, the MerchantFeed and the shard all doing their
 * real work.
 *
 * Rows (each with a stable id, its goal and pass/fail):
 * 1. Worker CPU per order through `placed` (create, PaymentIntent, webhook,
 *    relay, consumers, feed), and per accept/ready/pickup/deliver, as a ratio
 *    to the CPU of one `GET /healthz` in the same runtime (the floor). Beside
 *    it, the least the runtime charges for what each phase asks of it —
 *    its requests, Postgres connections and round trips, subrequests, object
 *    calls and queue messages, counted here, each priced by
 *    bench/lib/shape-probe.ts with none of the platform's code — and the
 *    platform's CPU as a ratio to that.
 * 2. Postgres CPU per order through `placed` as a ratio to one pgbench TPC-B
 *    transaction's Postgres CPU on the same server (the floor), and the
 *    statements, rows written (per table) and execution time per order from
 *    pg_stat_statements; and the order's rows at a TPC-B transaction's price
 *    per row (4 rows), the least goal 2 could be with them.
 * 3. Sequential round trips to Postgres per critical operation, counted by a
 *    proxy between the runtime and the pool (bench/lib/pg-proxy.ts), one
 *    operation at a time, with the database 40 ms away (so the same pass
 *    gives each operation's latency with nothing queued before it).
 * 4. Latency with the database 40 ms away: the same proxy adds 20 ms each way
 *    after connection start-up; orders arrive open-loop at 12/s (1M orders a
 *    day) and each goes through its whole life; p50/p99 per operation. Then
 *    the same at a rate this machine carries with headroom (half of what
 *    binds first: its cores for a whole life's CPU, or workerd's one thread
 *    for workerd's part, from the CPU phases), when 12/s is more than it can.
 *
 * Harness: the deploy bundle (`wrangler deploy --dry-run`) in wrangler's
 * createTestHarness (Miniflare + workerd), requests by dispatchFetch straight
 * into the runtime; Hyperdrive → proxy → pgbouncer (transaction pool, warm
 * server connections, as Hyperdrive keeps them) → embedded Postgres with
 * pg_stat_statements; the Stripe fake in its own process, its webhooks relayed
 * into the runtime by this process; drivers on real WebSockets accepting the
 * shard's offers. CPU from /proc per process.
 *
 * `npm run bench -- order-flow` (about 4 minutes). Knobs: BENCH_FLOW_ORDERS
 * (orders per CPU phase, 150), BENCH_FLOW_RATE (12), BENCH_FLOW_SECONDS (30),
 * BENCH_FLOW_CARRIED_SECONDS (30), BENCH_FLOW_CARRIED_SHARE (0.5),
 * BENCH_FLOW_RTT_MS (40), BENCH_FLOW_TRIPS
 * (orders in the round-trip pass, 12). Diagnostics: BENCH_STATEMENTS=1 (each
 * phase's statements with their planning and execution time, each open
 * loop's by calls per life), BENCH_PG_DETAIL=1
 * (each phase's Postgres CPU by process role), BENCH_PROFILE=1 (the Worker
 * isolate's CPU profile per phase).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { createTestHarness } from 'wrangler';
import { newId } from '../db/ids';
import * as schema from '../db/schema/index';
import { migrateDatabase } from '../scripts/lib/migrate';
import { startPostgres } from '../scripts/lib/postgres';
import { STRIPE_EVENTS_ACTED_ON } from '../domain/stripe-events';
import { startNotificationFakes, type NotificationFakes } from '../fakes/notifications';
import { bundleWorker, SECRETS, startFake, startPgbouncer } from './orders-create';
import { at, CENTER } from './shard-e2e';
import { startPgProxy, sequentialTrips, type PgProxy } from './lib/pg-proxy';
import { cpuDelta, descendantCpu, postgresCpuByRole } from './lib/proc-cpu';
import { measureUnitCosts, type UnitCosts } from './lib/shape-probe';
import { percentile, table, writeResults, type BenchRow } from './lib/results';
import { benchSession, openBenchSessions, type BenchSession } from './lib/sessions';
import { ensureDebianTools } from './lib/system-tools';
import { connectProfiler, type Profiler } from './lib/profile';
import { runtimeEntry } from './lib/runtime-entry';

const BENCH = 'order-flow';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OFFLINE = { CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true' };
const ORDERS = Number(process.env.BENCH_FLOW_ORDERS ?? 150);
const RATE = Number(process.env.BENCH_FLOW_RATE ?? 12);
const OPEN_SECONDS = Number(process.env.BENCH_FLOW_SECONDS ?? 30);
const CARRIED_SECONDS = Number(process.env.BENCH_FLOW_CARRIED_SECONDS ?? 30);
/** The carried-rate phase offers this share of what binds first (BENCH_FLOW_CARRIED_SHARE). */
const CARRIED_SHARE = Number(process.env.BENCH_FLOW_CARRIED_SHARE ?? 0.5);
const RTT_MS = Number(process.env.BENCH_FLOW_RTT_MS ?? 40);
const TRIP_ORDERS = Number(process.env.BENCH_FLOW_TRIPS ?? 12);
const CONCURRENCY = 8;
const CUSTOMERS = 200;
/** Enough drivers for every order of a CPU phase to hold one at once. */
const DRIVERS = ORDERS + 30;

const GOALS = {
  workerRatio: 3,
  pgRatio: 2,
  roundTrips: 2,
  readRoundTrips: 1,
  createP99: 300,
  stepP99: 150,
  trackingP99: 100,
};

const fromWrangler = createRequire(createRequire(import.meta.url).resolve('wrangler'));
const WORKERD = `workerd ${(fromWrangler('workerd/package.json') as { version: string }).version}`;
const HARNESS = `${WORKERD} via createTestHarness (deploy bundle), dispatchFetch; Hyperdrive → proxy → pgbouncer (transaction pool) → embedded Postgres`;
const progress = (line: string) => process.stderr.write(`order-flow: ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Op = 'create' | 'pay_confirmation' | 'tracking_read' | 'accept' | 'ready' | 'pickup' | 'deliver';
const OPS: Op[] = ['create', 'pay_confirmation', 'tracking_read', 'accept', 'ready', 'pickup', 'deliver'];

/** An operation's p99 goal in ms at +40 ms RTT. */
const latencyGoal = (op: Op) => (op === 'create' ? GOALS.createP99 : op === 'tracking_read' ? GOALS.trackingP99 : GOALS.stepP99);

interface Fixture {
  cityId: string;
  merchantId: string;
  productIds: string[];
  merchantToken: string;
  customers: string[];
  drivers: { driverId: string; token: string; at: { lat: number; lng: number } }[];
  sessions: BenchSession[];
}

async function seed(url: string): Promise<Fixture> {
  const client = postgres(url, { max: 4, onnotice: () => {} });
  const db = drizzle(client, { schema });
  try {
    const cityId = newId('cty');
    await db.insert(schema.cities).values({ id: cityId, name: 'Bench City', centerLat: CENTER.lat, centerLng: CENTER.lng, currency: 'EUR', timezone: 'Europe/Paris', serviceRadiusKm: 12, deliveryBaseFeeCents: 199, deliveryPerKmCents: 60, taxRateBps: 1000 });
    const merchantId = newId('mer');
    const pickup = at(200, 300);
    await db.insert(schema.merchants).values({ id: merchantId, cityId, name: 'Bench Bistro', kind: 'restaurant', address: '1 Rue du Banc', lat: pickup.lat, lng: pickup.lng });
    const ownerId = newId('usr');
    await db.insert(schema.users).values({ id: ownerId, role: 'merchant' });
    await db.insert(schema.merchantMembers).values({ merchantId, userId: ownerId, role: 'owner' });
    const productIds = Array.from({ length: 20 }, () => newId('prd'));
    await db.insert(schema.products).values(productIds.map((id, i) => ({ id, merchantId, name: `Dish ${i}`, priceCents: 500 + 75 * i, currency: 'EUR' })));
    const customerIds = Array.from({ length: CUSTOMERS }, () => newId('usr'));
    await db.insert(schema.users).values(customerIds.map((id) => ({ id, role: 'customer' as const })));
    await db.insert(schema.userProfiles).values(customerIds.map((id, i) => ({ userId: id, email: `flow-${i}-${id}@example.test`, name: `Customer ${i}`, phone: '+33600000000' })));
    const driverUsers = Array.from({ length: DRIVERS }, () => newId('usr'));
    const driverIds = Array.from({ length: DRIVERS }, () => newId('drv'));
    await db.insert(schema.users).values(driverUsers.map((id) => ({ id, role: 'driver' as const })));
    await db.insert(schema.drivers).values(driverIds.map((id, k) => ({ id, userId: driverUsers[k]!, cityId, vehicle: (['bike', 'scooter', 'car'] as const)[k % 3]! })));
    const customerSessions = await Promise.all(customerIds.map((sub) => benchSession(SECRETS.JWT_SIGNING_KEYS, { sub, role: 'customer' })));
    const driverSessions = await Promise.all(driverIds.map((did, k) => benchSession(SECRETS.JWT_SIGNING_KEYS, { sub: driverUsers[k]!, role: 'driver', did })));
    const owner = await benchSession(SECRETS.JWT_SIGNING_KEYS, { sub: ownerId, role: 'merchant', mid: merchantId, mrole: 'owner' });
    return {
      cityId,
      merchantId,
      productIds,
      merchantToken: owner.token,
      customers: customerSessions.map((s) => s.token),
      // Drivers around the shop (within 1.5 km), so each order can go to any of them.
      drivers: driverIds.map((driverId, k) => ({ driverId, token: driverSessions[k]!.token, at: at(200 + ((k * 7919) % 3000) - 1500, 300 + ((k * 104_729) % 3000) - 1500) })),
      sessions: [...customerSessions, ...driverSessions, owner],
    };
  } finally {
    await client.end();
  }
}

/** pg_stat_statements needs a preload: set it and restart the embedded server. */
async function enableStatements(pg: Awaited<ReturnType<typeof startPostgres>>): Promise<string | null> {
  if (!pg.server) return 'pg_stat_statements needs the embedded Postgres (DATABASE_URL names another server)';
  const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`alter system set shared_preload_libraries = 'pg_stat_statements'`);
  await admin.unsafe(`alter system set pg_stat_statements.track = 'all'`);
  // Planning time is Postgres CPU too, and total_exec_time leaves it out.
  await admin.unsafe(`alter system set pg_stat_statements.track_planning = on`);
  await admin.end();
  await pg.server.stop();
  await pg.server.start();
  const db = postgres(pg.url, { max: 1, onnotice: () => {} });
  await db.unsafe('create extension if not exists pg_stat_statements');
  await db.end();
  return null;
}

/** What a phase asked of the runtime (bench/lib/shape-probe.ts prices each). */
interface Shape {
  requests: number;
  connections: number;
  trips: number;
  subrequests: number;
  events: number;
}

/**
 * Durable Object calls per order in each phase, from the code (not counted by the harness): the
 * session check of each authenticated request (workers/middleware/auth.ts), and after each commit
 * the merchant feed's publish and, once paid, the shard's status (workers/services/order-commit.ts).
 * The queue consumer's backstops (one call per merchant and per shard per batch) are left out, so
 * the floor below is a lower bound. Placing: create and the read (2 checks), create's and the
 * webhook's commits (2 feed publishes), the webhook's (1 shard call); each step: 1 + 1 + 1, and a
 * delivery by PIN takes and gives back its try in the order's RATE_LIMITER object (2 more).
 */
const OBJECT_CALLS: Record<string, number> = { place: 5, ready: 3, pickup: 3, deliver: 5 };
/** Stripe API calls per order in each phase (the PaymentIntent on create; the Stripe fake is another process). */
const STRIPE_CALLS: Record<string, number> = { place: 1 };

interface Sample {
  op: Op;
  ms: number;
  start: number;
  end: number;
  status: number;
}

/** The part of a WebSocket the driver sockets use (Miniflare's, from dispatchFetch). */
interface WebSocketLike {
  send(data: string): void;
  close(code?: number): void;
  addEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
}

type WorkerHandle = { fetch(url: string, init?: RequestInit): Promise<unknown> };

class Platform {
  readonly samples: Sample[] = [];
  /** Orders waiting for their payment webhook / their driver. */
  private readonly paid = new Map<string, (r: { ms: number; start: number; end: number; status: number }) => void>();
  private readonly assigned = new Map<string, (driverIndex: number) => void>();
  private readonly early = new Map<string, number>();
  private readonly sockets: WebSocketLike[] = [];
  private keepAlive: ReturnType<typeof setInterval> | undefined;
  recording = true;
  /** Requests sent into the Worker (the shape of a phase, issue 14 goal 1). */
  requests = 0;

  constructor(
    private readonly worker: WorkerHandle,
    private readonly base: string,
    private readonly f: Fixture,
    private readonly stripeBase: string,
  ) {}

  private async call(op: Op | null, method: string, p: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
    const start = performance.now();
    this.requests++;
    const res = (await this.worker.fetch(`${this.base}${p}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })) as Response;
    const text = await res.text();
    const end = performance.now();
    if (op && this.recording) this.samples.push({ op, ms: end - start, start, end, status: res.status });
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Not JSON (a 204, a text answer).
    }
    return { status: res.status, json };
  }

  /** The Stripe fake's webhooks, relayed into the runtime (as Stripe reaches the Worker's route). */
  async relayWebhook(body: Buffer, signature: string): Promise<number> {
    const start = performance.now();
    this.requests++;
    const res = (await this.worker.fetch(`${this.base}/v1/webhooks/stripe`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Stripe-Signature': signature }, body })) as Response;
    await res.arrayBuffer();
    const end = performance.now();
    const event = JSON.parse(body.toString()) as { type: string; data: { object: { id: string } } };
    if (event.type === 'payment_intent.succeeded') {
      const sample = { ms: end - start, start, end, status: res.status };
      if (this.recording) this.samples.push({ op: 'pay_confirmation', ...sample });
      this.paid.get(event.data.object.id)?.(sample);
      this.paid.delete(event.data.object.id);
    }
    return res.status;
  }

  async driversOnline(): Promise<void> {
    for (let i = 0; i < this.f.drivers.length; i += 50) {
      await Promise.all(
        this.f.drivers.slice(i, i + 50).map(async (d, k) => {
          const index = i + k;
          const res = (await this.worker.fetch(`${this.base}/v1/drivers/me/live?access_token=${d.token}`, { headers: { Upgrade: 'websocket' } })) as { status: number; webSocket: (WebSocketLike & { accept(): void }) | null };
          if (res.status !== 101 || !res.webSocket) throw new Error(`driver socket refused: ${res.status}`);
          const ws = res.webSocket;
          ws.accept();
          this.sockets.push(ws);
          const sessions: (() => void)[] = [];
          ws.addEventListener('message', (e) => {
            const m = JSON.parse(typeof e.data === 'string' ? e.data : Buffer.from(e.data as ArrayBuffer).toString()) as { type: string; offerId?: string; orderId?: string };
            if (m.type === 'session') sessions.shift()?.();
            else if (m.type === 'offer') ws.send(JSON.stringify({ type: 'offer.accept', offerId: m.offerId }));
            else if (m.type === 'assignment' && m.orderId) {
              const waiter = this.assigned.get(m.orderId);
              if (waiter) {
                this.assigned.delete(m.orderId);
                waiter(index);
              } else this.early.set(m.orderId, index);
            }
          });
          const session = () => new Promise<void>((resolve) => sessions.push(resolve));
          await session();
          ws.send(JSON.stringify({ type: 'availability', available: true }));
          ws.send(JSON.stringify({ type: 'location', ...d.at, at: new Date().toISOString() }));
        }),
      );
    }
    // Like the apps, drivers keep reporting so none turns silent.
    let turn = 0;
    this.keepAlive = setInterval(() => {
      for (let k = 0; k < Math.ceil(this.sockets.length / 10); k++) {
        const i = turn++ % this.sockets.length;
        this.sockets[i]!.send(JSON.stringify({ type: 'location', ...this.f.drivers[i]!.at, at: new Date().toISOString() }));
      }
    }, 1_000);
  }

  driverFree(index: number): void {
    this.sockets[index]?.send(JSON.stringify({ type: 'availability', available: true }));
  }

  closeSockets(): void {
    clearInterval(this.keepAlive);
    for (const ws of this.sockets) ws.close();
  }

  healthz = async (): Promise<number> => {
    const res = (await this.worker.fetch(`${this.base}/healthz`)) as Response;
    await res.arrayBuffer();
    return res.status;
  };

  /** Create, pay (the fake's confirm, its webhook relayed), read the PIN: the order is `placed`. */
  async place(i: number): Promise<{ orderId: string; customer: string; pin: string }> {
    const customer = this.f.customers[i % this.f.customers.length]!;
    const items = Array.from({ length: 1 + (i % 3) }, (_, k) => ({ productId: this.f.productIds[(i + k * 7) % this.f.productIds.length]!, quantity: 1 + ((i + k) % 3) }));
    const dropoff = at(-800 + (i % 40) * 40, -600 + (i % 30) * 40);
    const created = await this.call('create', 'POST', '/v1/orders', customer, { merchantId: this.f.merchantId, items, dropoff: { address: `${i} Rue de Rivoli, Paris`, location: dropoff } }, { 'Idempotency-Key': `flow-${i}-${randomBytes(6).toString('hex')}` });
    if (created.status !== 201) throw new Error(`create answered ${created.status}: ${JSON.stringify(created.json).slice(0, 300)}`);
    const order = created.json.order as { id: string };
    const payment = created.json.payment as { clientSecret: string };
    const intentId = payment.clientSecret.split('_secret_')[0]!;
    const webhook = new Promise<{ status: number }>((resolve) => this.paid.set(intentId, resolve));
    const confirm = await fetch(`${this.stripeBase}/v1/payment_intents/${intentId}/confirm`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ key: 'pk_test_local', client_secret: payment.clientSecret, 'payment_method_data[type]': 'card', 'payment_method_data[card][number]': '4242424242424242', 'payment_method_data[card][exp_month]': '12', 'payment_method_data[card][exp_year]': '2030', 'payment_method_data[card][cvc]': '123' }),
    });
    if (!confirm.ok) throw new Error(`confirm answered ${confirm.status}: ${(await confirm.text()).slice(0, 200)}`);
    await confirm.arrayBuffer().catch(() => undefined);
    const hook = await Promise.race([webhook, sleep(20_000).then(() => ({ status: -1 }))]);
    if (hook.status !== 200) throw new Error(`the payment webhook for ${order.id} answered ${hook.status}`);
    const view = await this.call(null, 'GET', `/v1/orders/${order.id}`, customer);
    const pin = view.json.deliveryPin as string | undefined;
    if (view.json.status !== 'placed' || !pin) throw new Error(`order ${order.id} is ${String(view.json.status)} after its payment webhook`);
    return { orderId: order.id, customer, pin };
  }

  async track(orderId: string, customer: string): Promise<void> {
    const r = await this.call('tracking_read', 'GET', `/v1/orders/${orderId}/tracking`, customer);
    if (r.status !== 200) throw new Error(`tracking answered ${r.status}`);
  }

  /** Merchant accepts; the shard offers, a driver accepts, the assignment commits. Returns the driver's index. */
  async accept(orderId: string): Promise<number> {
    const driver = new Promise<number>((resolve) => {
      const early = this.early.get(orderId);
      if (early !== undefined) {
        this.early.delete(orderId);
        resolve(early);
      } else this.assigned.set(orderId, resolve);
    });
    const r = await this.call('accept', 'POST', `/v1/orders/${orderId}/accept`, this.f.merchantToken);
    if (r.status !== 200) throw new Error(`accept answered ${r.status}: ${JSON.stringify(r.json).slice(0, 300)}`);
    const index = await Promise.race([driver, sleep(30_000).then(() => -1)]);
    if (index < 0) throw new Error(`no driver assigned to ${orderId} within 30 s`);
    return index;
  }

  async step(op: 'ready' | 'pickup' | 'deliver', orderId: string, token: string, body?: unknown): Promise<void> {
    const r = await this.call(op, 'POST', `/v1/orders/${orderId}/${op}`, token, body);
    if (r.status !== 200) throw new Error(`${op} answered ${r.status}: ${JSON.stringify(r.json).slice(0, 300)}`);
  }

  driverToken(index: number): string {
    return this.f.drivers[index]!.token;
  }

  /** The whole life of order i; `pause` runs between operations (the round-trip pass lets background work finish). */
  async life(i: number, pause: () => Promise<void> = async () => {}): Promise<void> {
    const { orderId, customer, pin } = await this.place(i);
    await pause();
    await this.track(orderId, customer);
    await pause();
    const driver = await this.accept(orderId);
    await pause();
    await this.step('ready', orderId, this.f.merchantToken);
    await pause();
    await this.step('pickup', orderId, this.driverToken(driver));
    await pause();
    await this.step('deliver', orderId, this.driverToken(driver), { pin });
    this.driverFree(driver);
    await pause();
  }
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** Waits until every outbox event is published and acknowledged by its consumer (the order's background work is done). */
async function drained(sql: postgres.Sql, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await sql<{ left: number }[]>`select count(*)::int as left from outbox where published_at is null or consumed_at is null`;
    if (row!.left === 0) return;
    if (Date.now() > deadline) throw new Error(`${row!.left} outbox events still unconsumed after ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

interface StatementTotals {
  calls: number;
  writes: number;
  rowsWritten: number;
  execMs: number;
  planMs: number;
}

async function statementTotals(sql: postgres.Sql): Promise<StatementTotals> {
  // Statements of the platform's database only (not pg_stat_statements' own, not this benchmark's reads of the outbox).
  const [row] = await sql<{ calls: number; writes: number; rows_written: number; exec_ms: number; plan_ms: number }[]>`
    select coalesce(sum(calls), 0)::float8 as calls,
           coalesce(sum(calls) filter (where query ~* '^\\s*(insert|update|delete|with)'), 0)::float8 as writes,
           coalesce(sum(rows) filter (where query ~* '^\\s*(insert|update|delete)'), 0)::float8 as rows_written,
           coalesce(sum(total_exec_time), 0)::float8 as exec_ms,
           coalesce(sum(total_plan_time), 0)::float8 as plan_ms
      from pg_stat_statements s join pg_database d on d.oid = s.dbid
     where d.datname = current_database()
       and query not ilike '%pg_stat_statements%' and query not ilike '%from outbox where published_at is null or consumed_at is null%'`;
  return { calls: row!.calls, writes: row!.writes, rowsWritten: row!.rows_written, execMs: row!.exec_ms, planMs: row!.plan_ms };
}

/** Rows written per statement kind come from pg_stat_statements' `rows`; a data-modifying CTE reports its final select's rows, so count its inserts from the tables too. */
async function tableWrites(sql: postgres.Sql): Promise<Map<string, number>> {
  // Per table, a partitioned table's partitions (outbox_p20261205 …) under its own name.
  const rows = await sql<{ t: string; n: number }[]>`
    select regexp_replace(relname, '_p?[0-9]{6,8}$', '') as t, sum(n_tup_ins + n_tup_upd + n_tup_del)::float8 as n
      from pg_stat_user_tables group by 1`;
  return new Map(rows.map((r) => [r.t, r.n]));
}

const sumOf = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

async function pgbenchFloor(pgUrl: string): Promise<{ msPerTx: number | null; tps: number | null; note: string }> {
  const u = new URL(pgUrl);
  const env = { ...process.env, PGHOST: u.hostname, PGPORT: u.port, PGUSER: decodeURIComponent(u.username), PGPASSWORD: decodeURIComponent(u.password) };
  const admin = postgres(pgUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe('drop database if exists bench_flow_pgbench');
  await admin.unsafe('create database bench_flow_pgbench');
  await admin.end();
  const init = spawnSync('pgbench', ['-i', '-s', '10', '-q', 'bench_flow_pgbench'], { encoding: 'utf8', env });
  if (init.status !== 0) return { msPerTx: null, tps: null, note: `pgbench -i failed: ${(init.stderr || init.stdout).trim().slice(0, 200)}` };
  const c0 = descendantCpu();
  const r = spawnSync('pgbench', ['-c', '4', '-j', '2', '-T', '10', 'bench_flow_pgbench'], { encoding: 'utf8', env });
  // pgbench's backends exit just after it does: read once they are reaped, or a backend that exits
  // between the postmaster's reading and its own is counted in neither (seen: 3,400 ms instead of ~14,000).
  await new Promise((r) => setTimeout(r, 1_000));
  const c1 = descendantCpu();
  const tx = /number of transactions actually processed: (\d+)/.exec(r.stdout);
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(r.stdout);
  if (r.status !== 0 || !tx) return { msPerTx: null, tps: null, note: `pgbench failed: ${(r.stderr || r.stdout).trim().slice(0, 200)}` };
  const pgMs = cpuDelta(c0, c1).postgres ?? 0;
  return { msPerTx: pgMs / Number(tx[1]), tps: Number(tps?.[1] ?? NaN), note: `pgbench TPC-B-like, scale 10, -c 4 -j 2 -T 10: ${tx[1]} transactions, Postgres CPU ${pgMs.toFixed(0)} ms` };
}

const round = (n: number) => Math.round(n * 100) / 100;

export async function run(): Promise<BenchRow[]> {
  const tools = ensureDebianTools({ pgbouncer: 'pgbouncer', pgbench: 'postgresql-client' });
  if (!tools.ok) throw new Error(`order-flow needs ${tools.reason}`);
  const pg = await startPostgres({ database: 'bench_flow' });
  const outdir = mkdtempSync(path.join(tmpdir(), 'bench-flow-'));
  let fake: { url: string; child: ChildProcess } | undefined;
  let notifications: NotificationFakes | undefined;
  let bouncer: Awaited<ReturnType<typeof startPgbouncer>> | undefined;
  let proxy: PgProxy | undefined;
  let relay: Server | undefined;
  let server: ReturnType<typeof createTestHarness> | undefined;
  let platform: Platform | undefined;
  const sql = () => postgres(pg.url, { max: 2, onnotice: () => {} });
  const rows: BenchRow[] = [];
  const row = (r: Omit<BenchRow, 'bench'>) => rows.push({ bench: BENCH, ...r });
  try {
    const statementsOff = await enableStatements(pg);
    await migrateDatabase(pg.url);
    const f = await seed(pg.url);
    progress('seeded');
    // The fake's webhooks land here and are relayed into the runtime.
    const relayTo: { platform?: Platform } = {};
    relay = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const signature = String(req.headers['stripe-signature'] ?? '');
        void (relayTo.platform ? relayTo.platform.relayWebhook(body, signature) : Promise.resolve(503)).then(
          (status) => res.writeHead(status).end(),
          () => res.writeHead(502).end(),
        );
      });
    });
    await new Promise<void>((resolve) => relay!.listen(0, '127.0.0.1', resolve));
    const relayUrl = `http://127.0.0.1:${(relay.address() as { port: number }).port}/`;
    // Webhooks sent concurrently, as Stripe does: one sender in order capped the lives near 8/s at +40 ms RTT.
    // Subscribed to what the platform acts on, as production's endpoint is (docs/runbook.md): 1 webhook per order, not 3.
    fake = await startFake({ STRIPE_WEBHOOK_URL: relayUrl, STRIPE_WEBHOOK_CONCURRENCY: '16', STRIPE_WEBHOOK_EVENTS: STRIPE_EVENTS_ACTED_ON.join(',') });
    // SMS, email and push reach their fakes (in this process), so the events consumer acknowledges every event.
    const providerSecrets = { TWILIO_ACCOUNT_SID: `AC${randomBytes(16).toString('hex')}`, TWILIO_AUTH_TOKEN: randomBytes(16).toString('hex'), EMAIL_API_TOKEN: randomBytes(16).toString('hex') };
    notifications = await startNotificationFakes({ twilio: { accountSid: providerSecrets.TWILIO_ACCOUNT_SID, authToken: providerSecrets.TWILIO_AUTH_TOKEN }, emailServerToken: providerSecrets.EMAIL_API_TOKEN });
    const { FCM_SERVICE_ACCOUNT, ...providerVars } = notifications.bindings;
    bundleWorker(outdir);
    // Transaction pooling, as Hyperdrive's pooler does (its docs: "operates in transaction mode").
    bouncer = await startPgbouncer(pg.url, 'transaction');
    if (!('url' in bouncer)) throw new Error(bouncer.skipped);
    proxy = await startPgProxy(bouncer.url);
    Object.assign(process.env, OFFLINE, { CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: proxy.url });
    // The harness opens the Worker's inspector only when asked (patches/wrangler+*.patch): the profiler below needs it.
    if (process.env.BENCH_PROFILE === '1') process.env.WRANGLER_HARNESS_INSPECTOR_PORT ??= '9244';
    server = createTestHarness({
      root: ROOT,
      workers: [
        {
          configPath: path.join(ROOT, 'wrangler.toml'),
          prebuiltWorkerDir: outdir,
          vars: { APP_ENV: 'bench', STRIPE_API_BASE: fake.url, PUBLIC_BASE_URL: 'https://bench.example', ...providerVars },
          secrets: { ...SECRETS, ...providerSecrets, FCM_SERVICE_ACCOUNT },
        },
      ],
    });
    const { url } = await server.listen();
    const worker = server.getWorker();
    await openBenchSessions(() => worker.getEnv(), f.sessions);
    platform = new Platform(worker as unknown as WorkerHandle, url.origin, f, fake.url);
    relayTo.platform = platform;
    await platform.driversOnline();
    progress(`${f.drivers.length} drivers online`);
    const db = sql();
    // BENCH_PG_DETAIL=1: each phase's Postgres CPU by process role (client backends, WAL writer, autovacuum …).
    const postmaster = process.env.BENCH_PG_DETAIL === '1' ? (pg.server?.pid() ?? null) : null;
    // BENCH_PROFILE=1: a CPU profile of the Worker's isolate per phase, printed (bench/lib/profile.ts).
    let profiler: Profiler | null = null;
    if (process.env.BENCH_PROFILE === '1') profiler = await connectProfiler((await runtimeEntry(url)).pid, 'delivery-platform');

    // Warm-up: isolates, JIT, Postgres caches, the pool's connections.
    platform.recording = false;
    await pool(Array.from({ length: 16 }, (_, k) => k), 4, (i) => platform!.life(i));
    await drained(db);
    let nextOrder = 1_000;

    // The floor: GET /healthz, the same clients, the same isolate — before and after the CPU phases
    // (it moves run to run, 0.84–1.9 ms seen), the ratios against their mean.
    const healthzFloor = async () => {
      const requests = 3_000;
      const c0 = descendantCpu();
      await pool(Array.from({ length: requests }, (_, k) => k), CONCURRENCY, async () => void (await platform!.healthz()));
      return (cpuDelta(c0, descendantCpu()).workerd ?? 0) / requests;
    };
    const healthzBefore = await healthzFloor();
    progress(`floor: ${healthzBefore.toFixed(3)} ms of workerd CPU per GET /healthz`);

    // What a phase asks of the runtime, counted (goal 1's shape floor): requests into the Worker, Postgres
    // connections and round trips (the proxy), subrequests to the providers' fakes and queue messages (outbox rows).
    const shapeCounts = async (): Promise<Shape> => {
      const [counted] = await db<{ events: number }[]>`select count(*)::int as events from outbox`;
      const events = counted!.events;
      const fakes = [notifications!.twilio, notifications!.fcm, notifications!.email, notifications!.webhooks].reduce((sum, fake) => sum + fake.requests.length, 0);
      return { requests: platform!.requests, connections: proxy!.connections(), trips: proxy!.trips.length, subrequests: fakes, events };
    };

    // 1 and 2: CPU per order through placed, then per step, each phase drained before the next.
    const placed: { orderId: string; customer: string; pin: string; driver?: number }[] = [];
    const phase = async (name: string, work: () => Promise<void>) => {
      await drained(db);
      if (!statementsOff) await db`select pg_stat_statements_reset()`;
      const s0 = statementsOff ? null : await statementTotals(db);
      const t0 = await tableWrites(db);
      await profiler?.start();
      const u0 = await shapeCounts();
      const r0 = postmaster ? postgresCpuByRole(postmaster) : null;
      const c0 = descendantCpu();
      await work();
      await drained(db);
      const c1 = descendantCpu();
      const u1 = await shapeCounts();
      if (r0) {
        const roles = cpuDelta(r0, postgresCpuByRole(postmaster!));
        progress(`Postgres CPU of ${name} by process role (ms): ${Object.entries(roles).filter(([, ms]) => ms > 0).map(([role, ms]) => `${role} ${ms.toFixed(0)}`).join(', ')}`);
      }
      if (profiler) progress(`profile of ${name}:\n${(await profiler.stop(60, path.join(tmpdir(), `order-flow-${name}.cpuprofile`))).join('\n')}`);
      const t1 = await tableWrites(db);
      const s1 = statementsOff ? null : await statementTotals(db);
      // BENCH_STATEMENTS=1: the phase's statements by calls, to see what an order costs Postgres.
      if (process.env.BENCH_STATEMENTS === '1' && !statementsOff) {
        const top = await db<{ calls: number; plan: number; exec: number; query: string }[]>`
          select calls::float8 as calls, total_plan_time::float8 as plan, total_exec_time::float8 as exec, regexp_replace(query, '\\s+', ' ', 'g') as query
            from pg_stat_statements s join pg_database d on d.oid = s.dbid
           where d.datname = current_database() and query not ilike '%pg_stat_statements%'
           order by total_plan_time + total_exec_time desc limit 40`;
        progress(`statements of ${name} (calls, planning ms, execution ms):\n${top.map((t) => `${String(t.calls).padStart(6)} ${t.plan.toFixed(1).padStart(7)} ${t.exec.toFixed(1).padStart(7)}  ${t.query.slice(0, 200)}`).join('\n')}`);
      }
      const shape = Object.fromEntries(Object.entries(u1).map(([k, v]) => [k, v - u0[k as keyof Shape]])) as unknown as Shape;
      return { cpu: cpuDelta(c0, c1), shape, statements: s0 && s1 ? { calls: s1.calls - s0.calls, writes: s1.writes - s0.writes, execMs: s1.execMs - s0.execMs, planMs: s1.planMs - s0.planMs } : null, rowsWritten: sumOf(t1) - sumOf(t0), rowsByTable: new Map([...t1].map(([t, v]) => [t, v - (t0.get(t) ?? 0)] as const).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1])), name };
    };
    const orderIds = Array.from({ length: ORDERS }, () => nextOrder++);
    const place = await phase('place', () => pool(orderIds, CONCURRENCY, async (i) => void placed.push(await platform!.place(i))));
    progress(`placed ${placed.length} orders`);
    const accept = await phase('accept', () => pool(placed, CONCURRENCY, async (o) => void (o.driver = await platform!.accept(o.orderId))));
    const ready = await phase('ready', () => pool(placed, CONCURRENCY, (o) => platform!.step('ready', o.orderId, f.merchantToken)));
    const pickup = await phase('pickup', () => pool(placed, CONCURRENCY, (o) => platform!.step('pickup', o.orderId, platform!.driverToken(o.driver!))));
    const deliver = await phase('deliver', () => pool(placed, CONCURRENCY, async (o) => {
      await platform!.step('deliver', o.orderId, platform!.driverToken(o.driver!), { pin: o.pin });
      platform!.driverFree(o.driver!);
    }));
    progress('CPU phases done');
    const healthzAfter = await healthzFloor();
    const healthzMs = (healthzBefore + healthzAfter) / 2;
    progress(`floor after the phases: ${healthzAfter.toFixed(3)} ms`);
    const n = placed.length;
    const cpuHarness = '/proc/<pid>/stat over the phase, until every outbox event is consumed';
    for (const p of [place, accept, ready, pickup, deliver]) {
      const ms = (p.cpu.workerd ?? 0) / n;
      const ratio = ms / healthzMs;
      const what = p.name === 'place' ? 'order through placed (create, PaymentIntent, webhook, relay, consumers, feed)' : p.name === 'accept' ? 'accept (with dispatch, offer, driver accept, committed assignment)' : p.name;
      row({ id: p.name === 'place' ? 'orders.worker_cpu_vs_healthz' : `orders.worker_cpu_vs_healthz.${p.name}`, metric: `Worker CPU per ${what} ÷ GET /healthz (${ms.toFixed(2)} ms ÷ ${healthzMs.toFixed(3)} ms)`, value: round(ratio), unit: '×', goal: `≤ ${GOALS.workerRatio}×`, pass: ratio <= GOALS.workerRatio, harness: cpuHarness, note: `n=${n}` });
    }
    // Goal 1's reachable floor: the runtime's price of what each phase asked of it, with none of the
    // platform's code (bench/lib/shape-probe.ts, its own workerd beside the platform's, the same pool).
    const units = await measureUnitCosts(proxy.url, CONCURRENCY);
    progress(`shape probe, workerd CPU per request (ms): ${Object.entries(units.routes).map(([r, ms]) => `${r} ${ms.toFixed(3)}`).join(', ')}`);
    const unitRows: [Exclude<keyof UnitCosts, 'routes'>, string, string][] = [
      ['requestMs', 'request', 'an empty request (no framework)'],
      ['connectionMs', 'pg_connection', 'a request’s Postgres client and its connection through Hyperdrive (the platform’s client, db/client.ts)'],
      ['roundTripMs', 'pg_round_trip', 'a Postgres round trip on an open client (select 1)'],
      ['subrequestMs', 'subrequest', 'a subrequest to a local server'],
      ['objectCallMs', 'object_call', 'a Durable Object RPC call'],
      ['queueMessageMs', 'queue_message', 'a queue message sent and consumed'],
    ];
    for (const [key, id, what] of unitRows) row({ id: `orders.unit.${id}_ms`, metric: `unit: workerd CPU for ${what}, none of the platform's code`, value: round(units[key] * 1000) / 1000, unit: 'ms', harness: 'bench/lib/shape-probe.ts: the route repeating the unit 8 times less an empty request, over 8; 300 requests each, its own workerd from /proc' });
    for (const p of [place, ready, pickup, deliver]) {
      const c = Object.fromEntries(Object.entries(p.shape).map(([k, v]) => [k, v / n])) as unknown as Shape;
      const subrequests = c.subrequests + (STRIPE_CALLS[p.name] ?? 0);
      const objects = OBJECT_CALLS[p.name] ?? 0;
      const floorMs = c.requests * healthzMs + c.connections * units.connectionMs + c.trips * units.roundTripMs + subrequests * units.subrequestMs + objects * units.objectCallMs + c.events * units.queueMessageMs;
      const ms = (p.cpu.workerd ?? 0) / n;
      const what = `${c.requests.toFixed(1)} requests × GET /healthz, ${c.connections.toFixed(1)} Postgres connections, ${c.trips.toFixed(1)} round trips, ${subrequests.toFixed(1)} subrequests, ${objects} object calls, ${c.events.toFixed(1)} queue messages`;
      const suffix = p.name === 'place' ? '' : `.${p.name}`;
      const label = p.name === 'place' ? 'an order through placed' : p.name;
      row({ id: `orders.worker_shape_floor_vs_healthz${suffix}`, metric: `the least the runtime charges for what ${label} asks of it (${what}), none of the platform's code, ÷ GET /healthz (${floorMs.toFixed(2)} ms ÷ ${healthzMs.toFixed(3)} ms)`, value: round(floorMs / healthzMs), unit: '×', goal: `goal 1 reachable only if ≤ ${GOALS.workerRatio}×`, pass: floorMs / healthzMs <= GOALS.workerRatio, harness: 'counts from this run (object calls from the code, queue backstops left out: a lower bound) × the units above', note: `n=${n}` });
      row({ id: `orders.worker_cpu_vs_shape_floor${suffix}`, metric: `Worker CPU per ${label} ÷ that floor: what the platform's own code adds (${ms.toFixed(2)} ms ÷ ${floorMs.toFixed(2)} ms)`, value: round(ms / floorMs), unit: '×', harness: cpuHarness, note: `n=${n}` });
    }
    row({ id: 'orders.worker_cpu_healthz_ms', metric: `floor: workerd CPU per GET /healthz, mean of 3,000 before (${healthzBefore.toFixed(3)} ms) and 3,000 after (${healthzAfter.toFixed(3)} ms) the phases`, value: healthzMs, unit: 'ms', harness: cpuHarness });

    // pgbench on the same server, nothing else running against it.
    const floor = await pgbenchFloor(pg.url);
    const pgPlace = (place.cpu.postgres ?? 0) / n;
    if (floor.msPerTx !== null) {
      const ratio = pgPlace / floor.msPerTx;
      row({ id: 'orders.pg_cpu_vs_pgbench_tx', metric: `Postgres CPU per order through placed ÷ one pgbench TPC-B transaction (${pgPlace.toFixed(2)} ms ÷ ${floor.msPerTx.toFixed(3)} ms)`, value: round(ratio), unit: '×', goal: `≤ ${GOALS.pgRatio}×`, pass: ratio <= GOALS.pgRatio, harness: cpuHarness });
    }
    row({ id: 'orders.pgbench_tx_cpu_ms', metric: 'floor: Postgres CPU per pgbench TPC-B transaction', value: floor.msPerTx, unit: 'ms', harness: 'pgbench against the same embedded Postgres, /proc', note: floor.note });
    for (const p of [accept, ready, pickup, deliver]) row({ id: `orders.pg_cpu_ms.${p.name}`, metric: `Postgres CPU per ${p.name}`, value: (p.cpu.postgres ?? 0) / n, unit: 'ms', harness: cpuHarness });
    if (place.statements) {
      row({ id: 'orders.pg_statements_per_order', metric: 'statements per order through placed (relay and consumers included)', value: place.statements.calls / n, unit: 'statements', harness: 'pg_stat_statements (calls)' });
      row({ id: 'orders.pg_write_statements_per_order', metric: 'of which writing statements', value: place.statements.writes / n, unit: 'statements', harness: 'pg_stat_statements' });
      row({ id: 'orders.pg_plan_ms_per_order', metric: 'statement planning time per order through placed', value: place.statements.planMs / n, unit: 'ms', harness: 'pg_stat_statements (total_plan_time)' });
      row({ id: 'orders.pg_exec_ms_per_order', metric: 'statement execution time per order through placed', value: place.statements.execMs / n, unit: 'ms', harness: 'pg_stat_statements (total_exec_time)' });
    } else row({ id: 'orders.pg_statements_per_order', metric: 'statements per order', value: null, unit: '', harness: 'pg_stat_statements', note: statementsOff ?? '' });
    const byTable = [...place.rowsByTable].map(([t, v]) => `${t} ${(v / n).toFixed(1)}`).join(', ');
    row({ id: 'orders.pg_rows_written_per_order', metric: `rows written per order through placed (inserted + updated + deleted): ${byTable}`, value: place.rowsWritten / n, unit: 'rows', harness: 'pg_stat_user_tables' });
    if (floor.msPerTx !== null) {
      // A TPC-B transaction writes 4 rows (3 updates, 1 history insert): what the order's rows would cost at its price per row.
      const rowsFloor = place.rowsWritten / n / 4;
      row({ id: 'orders.pg_rows_floor_vs_pgbench_tx', metric: `the order's rows written at a TPC-B transaction's price per row (4 rows), ÷ one transaction: the least goal 2 could be with these rows (${(place.rowsWritten / n).toFixed(1)} rows ÷ 4)`, value: round(rowsFloor), unit: '×', goal: `goal 2 reachable only if ≤ ${GOALS.pgRatio}×`, pass: rowsFloor <= GOALS.pgRatio, harness: 'pg_stat_user_tables' });
      row({ id: 'orders.pg_cpu_vs_rows_floor', metric: `Postgres CPU per order through placed ÷ that floor (${pgPlace.toFixed(2)} ms ÷ ${(rowsFloor * floor.msPerTx).toFixed(2)} ms)`, value: round(pgPlace / (rowsFloor * floor.msPerTx)), unit: '×', harness: cpuHarness });
    }
    for (const p of [accept, ready, pickup, deliver]) {
      if (p.statements) row({ id: `orders.pg_statements.${p.name}`, metric: `statements per ${p.name} (background work included)`, value: p.statements.calls / n, unit: 'statements', harness: 'pg_stat_statements (calls)' });
    }
    for (const p of [place, accept, ready, pickup, deliver]) {
      row({ id: `orders.other_cpu_ms.${p.name}`, metric: `pgbouncer + Stripe fake CPU per ${p.name} (not counted above)`, value: ((p.cpu.pgbouncer ?? 0) + (p.cpu.node ?? 0)) / n, unit: 'ms', harness: cpuHarness });
    }

    // 3: sequential round trips, one operation at a time, background work finished between them.
    platform.samples.length = 0;
    platform.recording = true;
    const quiet = async () => {
      await drained(db);
      await sleep(150);
    };
    // With the database far away: the same pass also gives each operation's own latency, with nothing queued before it.
    proxy.setDelay(RTT_MS / 2);
    // Each round trip's SQL, to tell the writer's publish (after the answer) from the request's own statements.
    proxy.setCapture(true);
    for (let k = 0; k < TRIP_ORDERS; k++) await platform.life(nextOrder++, quiet);
    proxy.setCapture(false);
    proxy.setDelay(0);
    const tripSamples = [...platform.samples];
    if (process.env.BENCH_PROXY_CAPTURE === '1') {
      // What each operation sent, round trip by round trip (for profiling).
      const dump = tripSamples.map((s) => ({ op: s.op, ms: s.ms, trips: proxy!.trips.filter((t) => t.sent >= s.start && t.sent <= s.end).map((t) => ({ conn: t.conn, at: +(t.sent - s.start).toFixed(1), ms: +(t.answered - t.sent).toFixed(1), messages: t.messages })) }));
      writeFileSync(path.join(tmpdir(), 'order-flow-trips.json'), JSON.stringify(dump, null, 1));
    }
    const firstTrip = new Map<number, number>();
    for (const t of proxy.trips) firstTrip.set(t.conn, Math.min(firstTrip.get(t.conn) ?? Infinity, t.sent));
    for (const op of OPS) {
      const windows = tripSamples.filter((s) => s.op === op);
      // The request's own connection: the first one opened inside its window (a Worker's client lives for one
      // request). Background work it starts (the outbox relay's kick) and work already running (a relay that
      // lingered from the operation before, the provider's other webhooks) use connections of their own beside it.
      const own = windows.map((s) => {
        const inside = proxy!.trips.filter((t) => t.sent >= s.start && t.sent <= s.end).sort((a, b) => a.sent - b.sent);
        const conn = inside.find((t) => (firstTrip.get(t.conn) ?? 0) >= s.start)?.conn;
        // The writer's publish runs on the request's client after the answer (waitUntil, 10 ms after the commit:
        // ADR 0040); when the answer reaches the bench later than that, its mark lands inside the window.
        // It is not a round trip the answer waits for: the count stops there.
        const mine = inside.filter((t) => t.conn === conn);
        const publish = mine.findIndex((t) => t.messages.some((m) => m.startsWith('P:update "outbox" set "published_at"')));
        return sequentialTrips(publish < 0 ? mine : mine.slice(0, publish), s.start, s.end);
      });
      const all = windows.map((s) => sequentialTrips(proxy!.trips, s.start, s.end));
      const worst = Math.max(...own);
      const goal = op === 'tracking_read' ? GOALS.readRoundTrips : GOALS.roundTrips;
      const alone = windows.filter((w) => w.status < 300).map((w) => w.ms);
      const goalMs = latencyGoal(op);
      row({ id: `orders.rtt${RTT_MS}.alone.${op}_max_ms`, metric: `+${RTT_MS} ms RTT, each operation alone (background work drained between): ${op.replace('_', ' ')}, slowest of ${alone.length} (p50 ${percentile(alone, 50).toFixed(0)} ms)`, value: Math.max(...alone), unit: 'ms', goal: `≤ ${goalMs} (the p99 goal)`, pass: Math.max(...alone) <= goalMs, harness: `${HARNESS}; proxy adds ${RTT_MS} ms round-trip time after start-up` });
      row({ id: `orders.roundtrips.${op}`, metric: `sequential round trips to Postgres: ${op.replace('_', ' ')} (most of ${own.length}; with everything else on the wire meanwhile, merged: up to ${Math.max(...all)})`, value: worst, unit: 'round trips', goal: `≤ ${goal}`, pass: worst <= goal, harness: 'TCP proxy between Hyperdrive and the pool (bench/lib/pg-proxy.ts), start-up excluded, the request’s own connection up to the writer’s publish after the answer' });
    }

    // 4: the database 40 ms away, orders arriving open-loop at 12/s, each living its whole life.
    const openLoop = async (rate: number, seconds: number) => {
      proxy!.setDelay(RTT_MS / 2);
      platform!.samples.length = 0;
      const lives: Promise<void>[] = [];
      let failures = 0;
      if (!statementsOff) await db`select pg_stat_statements_reset()`;
      await profiler?.start();
      const c0 = descendantCpu();
      const t0 = performance.now();
      for (let k = 0; k < Math.round(rate * seconds); k++) {
        const due = t0 + (k * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        lives.push(platform!.life(nextOrder++).catch((e: unknown) => {
          failures++;
          if (failures <= 3) progress(`a life failed: ${String(e)}`);
        }));
      }
      await Promise.all(lives);
      const wallMs = performance.now() - t0;
      const cpu = cpuDelta(c0, descendantCpu());
      proxy!.setDelay(0);
      await drained(db, 180_000);
      // What a life cost the runtime and Postgres in this loop, its background work drained: at a steady rate
      // lower than the CPU phases' closed loop, less of it is shared (a queue batch, an isolate's publish round).
      const offered = Math.round(rate * seconds);
      const drainedCpu = cpuDelta(c0, descendantCpu());
      if (profiler) progress(`profile of the open loop at ${rate.toFixed(1)}/s:\n${(await profiler.stop(60, path.join(tmpdir(), `order-flow-open-${rate.toFixed(1)}.cpuprofile`))).join('\n')}`);
      const statements = statementsOff ? null : (await statementTotals(db)).calls / offered;
      if (process.env.BENCH_STATEMENTS === '1' && !statementsOff) {
        const top = await db<{ calls: number; query: string }[]>`
          select calls::float8 as calls, regexp_replace(query, '\\s+', ' ', 'g') as query
            from pg_stat_statements s join pg_database d on d.oid = s.dbid
           where d.datname = current_database() and query not ilike '%pg_stat_statements%'
           order by calls desc limit 40`;
        progress(`statements of the open loop at ${rate.toFixed(1)}/s, per life:\n${top.map((t) => `${(t.calls / offered).toFixed(2).padStart(6)}  ${t.query.slice(0, 160)}`).join('\n')}`);
      }
      const life = { workerdMs: (drainedCpu.workerd ?? 0) / offered, postgresMs: (drainedCpu.postgres ?? 0) / offered, statements };
      return { samples: [...platform!.samples], failures, offered, workerdCores: (cpu.workerd ?? 0) / wallMs, life };
    };
    const load0 = loadavg()[0]!;
    const rttHarness = `${HARNESS}; proxy adds ${RTT_MS} ms round-trip time after start-up`;
    const latencyRows = (run: Awaited<ReturnType<typeof openLoop>>, rate: number, seconds: number, idPart: string, label: string) => {
      for (const op of OPS) {
        const ms = run.samples.filter((s) => s.op === op && s.status < 300).map((s) => s.ms);
        const p99 = percentile(ms, 99);
        const goal = latencyGoal(op);
        row({ id: `orders.rtt${RTT_MS}.${idPart}${op}_p50_ms`, metric: `+${RTT_MS} ms RTT, ${label}: ${op.replace('_', ' ')} p50`, value: percentile(ms, 50), unit: 'ms', harness: rttHarness });
        row({ id: `orders.rtt${RTT_MS}.${idPart}${op}_p99_ms`, metric: `+${RTT_MS} ms RTT, ${label}: ${op.replace('_', ' ')} p99 (n=${ms.length})`, value: p99, unit: 'ms', goal: `≤ ${goal}`, pass: p99 <= goal, harness: rttHarness });
      }
      row({ id: `orders.rtt${RTT_MS}.${idPart}lives_failed`, metric: `+${RTT_MS} ms RTT, ${label}: orders that did not complete their life`, value: run.failures, unit: 'orders', goal: '0', pass: run.failures === 0, harness: rttHarness, note: `${run.offered} offered at ${rate.toFixed(2)}/s over ${seconds} s` });
      row({ id: `orders.rtt${RTT_MS}.${idPart}life_workerd_cpu_ms`, metric: `+${RTT_MS} ms RTT, ${label}: workerd CPU per life in this loop, its background work drained (the CPU phases' closed loop shares more of it)`, value: run.life.workerdMs, unit: 'ms', harness: '/proc/<pid>/stat' });
      row({ id: `orders.rtt${RTT_MS}.${idPart}life_pg_cpu_ms`, metric: `+${RTT_MS} ms RTT, ${label}: Postgres CPU per life in this loop, drained`, value: run.life.postgresMs, unit: 'ms', harness: '/proc/<pid>/stat' });
      if (run.life.statements !== null) row({ id: `orders.rtt${RTT_MS}.${idPart}life_statements`, metric: `+${RTT_MS} ms RTT, ${label}: statements per life in this loop`, value: run.life.statements, unit: 'statements', harness: 'pg_stat_statements (calls)' });
      row({ id: `orders.rtt${RTT_MS}.${idPart}workerd_cores`, metric: `+${RTT_MS} ms RTT, ${label}: workerd CPU ÷ wall time while the lives ran (its JavaScript runs on one thread)`, value: run.workerdCores, unit: 'cores', harness: '/proc/<pid>/stat' });
    };
    latencyRows(await openLoop(RATE, OPEN_SECONDS), RATE, OPEN_SECONDS, '', `${RATE} orders/s`);

    // The same at a rate this machine carries with headroom: half of what binds first — a whole life's CPU (every
    // process, from the CPU phases) against the machine's cores, or workerd's part against its one JavaScript
    // thread. At 75% of that thread (tried: ρ ≈ 0.8) queueing behind the consumers' batches on the same thread
    // still tripled the p99s; at half, what is left is the database's distance and the runtime's own time.
    // Two bounds: the machine's cores for every process, and one thread for workerd (the Worker's and the
    // objects' JavaScript run on one thread here: the 12/s phase's workerd_cores row shows where it saturates).
    const lifeCpuMs = [place, accept, ready, pickup, deliver].reduce((sum, p) => sum + Object.values(p.cpu).reduce((a, b) => a + b, 0), 0) / n;
    const lifeWorkerdMs = [place, accept, ready, pickup, deliver].reduce((sum, p) => sum + (p.cpu.workerd ?? 0), 0) / n;
    const cores = availableParallelism();
    const byMachine = (CARRIED_SHARE * cores * 1000) / lifeCpuMs;
    const byThread = (CARRIED_SHARE * 1000) / lifeWorkerdMs;
    const carried = Math.min(RATE, byMachine, byThread);
    row({ id: 'orders.life_cpu_ms', metric: `CPU per whole life, every process (workerd, Postgres, pgbouncer, fakes), from the CPU phases: ${RATE}/s needs ${((RATE * lifeCpuMs) / 1000).toFixed(1)} cores`, value: lifeCpuMs, unit: 'ms', harness: cpuHarness });
    row({ id: 'orders.life_workerd_cpu_ms', metric: `of which workerd: ${RATE}/s needs ${((RATE * lifeWorkerdMs) / 1000).toFixed(2)} of its one thread`, value: lifeWorkerdMs, unit: 'ms', harness: cpuHarness });
    const bound = byThread <= byMachine ? 'workerd’s thread' : `${cores} cores`;
    row({ id: `orders.rtt${RTT_MS}.carried_rate`, metric: `orders/s offered in the carried-rate phase: ${CARRIED_SHARE * 100}% of what binds first (${bound}; machine ${byMachine.toFixed(1)}/s, workerd thread ${byThread.toFixed(1)}/s)`, value: carried, unit: 'orders/s', harness: 'derived from the CPU phases' });
    if (carried < RATE) latencyRows(await openLoop(carried, CARRIED_SECONDS), carried, CARRIED_SECONDS, 'carried.', `${carried.toFixed(1)} orders/s (${CARRIED_SHARE * 100}% of ${bound})`);
    row({ id: 'orders.load_average', metric: 'load average (1 min) at the start of the latency phase', value: load0, unit: '', harness: 'os.loadavg()' });
    profiler?.close();
    await db.end();
    return rows;
  } finally {
    platform?.closeSockets();
    if (server) await server.close().catch(() => undefined);
    await proxy?.close();
    relay?.close();
    if (bouncer && 'child' in bouncer) {
      bouncer.child.kill('SIGTERM');
      rmSync(bouncer.dir, { recursive: true, force: true });
    }
    fake?.child.kill('SIGTERM');
    await notifications?.stop();
    rmSync(outdir, { recursive: true, force: true });
    await pg.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await run();
  console.log(table(rows));
  console.log(`written to ${writeResults(BENCH, rows)}`);
}
