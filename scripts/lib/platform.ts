/**
 * Runs the whole platform on this machine: Postgres, migrations, the demo
 * seed, the web build, the local provider fakes and wrangler dev (workerd),
 * with nothing looked up outside loopback. Used by `npm start`, the browser
 * tests and the chaos suite, so all of them run the same platform.
 *
 * Supervised by default (scripts/lib/supervisor.ts, which also describes the
 * handle returned here): Postgres is started again when it exits, the runtime
 * when wrangler exits or /healthz stops answering, within a restart budget.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPostgres, type RunningPostgres } from './postgres';
import { migrateDatabase } from './migrate';
import { seedDemoCity, type SeedSummary } from './seed';
import { ROOT, localSecrets, writeDevVars } from './local-env';
import { LOCAL_SERVICES, type RunningLocalService } from './local-services';
import { Runtime, type RuntimePids } from './runtime';
import { Supervisor, watchHealth, type RestartPolicy, type SupervisorEvent } from './supervisor';

export interface SupervisionOptions {
  policy?: RestartPolicy;
  /** Time from one /healthz probe to the next. */
  probeIntervalMs?: number;
  /** A probe without an answer by then fails. */
  probeTimeoutMs?: number;
  /** Probes failed in a row that make the runtime unresponsive. */
  probeFailures?: number;
  /** How long the runtime may stay silent while wrangler reloads the Worker after a file changed, before we restart it anyway. */
  reloadGraceMs?: number;
}

export interface PlatformOptions {
  apiPort: number;
  /** Persistent Postgres data folder; omitted = a throwaway cluster. */
  postgresDataDir?: string;
  postgresPort?: number;
  /** wrangler's local state (Durable Objects, queues); omitted = a throwaway folder. */
  wranglerStateDir?: string;
  /** Where the provider fakes keep what they hold across restarts; omitted = in memory only. */
  fakesStateDir?: string;
  seed?: boolean;
  build?: boolean;
  logLevel?: string;
  /** Where wrangler's output goes ('inherit' for npm start, 'ignore' for tests). */
  output?: 'inherit' | 'ignore';
  log?: (line: string) => void;
  /** Worker variables on top of the local ones (e.g. the chaos suite's short sweep deadlines). */
  vars?: Record<string, string>;
  /** Restart Postgres and the runtime when they die (default: on); false = nothing watches them. */
  supervise?: boolean | SupervisionOptions;
  /** A unit died more often than the budget allows: the platform has stopped everything. */
  onGiveUp?: (event: Extract<SupervisorEvent, { type: 'gave-up' }>) => void;
}

export interface RunningPlatform {
  baseUrl: string;
  databaseUrl: string;
  seed?: SeedSummary;
  services: RunningLocalService[];
  postgres: {
    /** The postmaster's pid; undefined while it is down, or when DATABASE_URL names the server. */
    pid(): number | undefined;
    /** A deliberate outage: Postgres stays down, unsupervised, until start(). */
    stop(): Promise<void>;
    start(): Promise<void>;
  };
  runtime: { pids(): RuntimePids };
  /** Graceful stop and start; not counted against the restart budget. */
  restartPostgres(): Promise<void>;
  restartRuntime(): Promise<void>;
  supervision: Pick<Supervisor, 'on' | 'waitFor' | 'state' | 'history'>;
  /** Stops everything; safe to call more than once. */
  stop(): Promise<void>;
}

export async function startPlatform(options: PlatformOptions): Promise<RunningPlatform> {
  const log = options.log ?? (() => {});
  const baseUrl = `http://127.0.0.1:${options.apiPort}`;
  const supervise = options.supervise ?? true;
  const tuning: SupervisionOptions = typeof supervise === 'object' ? supervise : {};
  let pg: RunningPostgres | undefined;
  let runtime: Runtime | undefined;
  let health: { stop(): void } | undefined;
  const services: RunningLocalService[] = [];
  const throwawayState = options.wranglerStateDir ? undefined : mkdtempSync(path.join(tmpdir(), 'delivery-wrangler-'));

  const supervisor = new Supervisor({
    ...(tuning.policy ? { policy: tuning.policy } : {}),
    log,
    onGiveUp: (event) => {
      log('stopping everything: the platform cannot heal by itself (see docs/runbook.md, "Local platform recovery")');
      void stop().then(() => options.onGiveUp?.(event));
    },
  });

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      supervisor.close();
      health?.stop();
      if (runtime) await runtime.stop();
      for (const s of services.reverse()) await s.stop().catch((e: unknown) => log(`${s.name}: stop failed: ${String(e)}`));
      if (pg) await pg.stop();
      if (throwawayState) rmSync(throwawayState, { recursive: true, force: true });
    })());

  try {
    pg = await startPostgres({
      ...(options.postgresDataDir ? { dataDir: options.postgresDataDir } : {}),
      ...(options.postgresPort ? { port: options.postgresPort } : {}),
      database: 'delivery',
      log,
    });
    const server = pg.server;
    supervisor.add('postgres', {
      restart: async () => {
        if (!server) throw new Error('Postgres from DATABASE_URL is not ours to restart');
        if (server.pid() !== undefined) await server.stop();
        await server.start();
      },
    });
    server?.onUnexpectedExit((detail) => {
      if (supervise) supervisor.report('postgres', 'died', detail);
      else log(`postgres exited (${detail}); not supervised, so it stays down`);
    });
    await migrateDatabase(pg.url);
    log('migrations applied');
    const seed = options.seed === false ? undefined : await seedDemoCity(pg.url);
    if (seed) log(`demo city seeded (${seed.created} rows created, ${seed.reused} reused)`);

    if (options.build !== false) {
      // The demo build (ADR 0086): the Stripe fake allowed by its CSP, the demo accounts on the sign-in panels.
      const build = spawnSync(path.join(ROOT, 'node_modules/.bin/vite'), ['build', '--mode', 'demo', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
      if (build.status !== 0) throw new Error('web build failed');
      log('web apps built into dist/web');
    }

    const secrets = localSecrets();
    writeDevVars(secrets);
    const vars: Record<string, string> = { APP_ENV: 'local', PUBLIC_BASE_URL: baseUrl };
    for (const service of LOCAL_SERVICES) {
      const running = await service.start({ apiOrigin: baseUrl, secrets, log, ...(options.fakesStateDir ? { stateDir: options.fakesStateDir } : {}) });
      services.push(running);
      Object.assign(vars, running.vars);
      log(`${service.name} fake listening${running.url ? ` at ${running.url}` : ''}`);
    }
    Object.assign(vars, options.vars);

    const rt = new Runtime(
      {
        apiPort: options.apiPort,
        stateDir: options.wranglerStateDir ?? throwawayState!,
        vars,
        databaseUrl: pg.url,
        logLevel: options.logLevel ?? 'warn',
        output: options.output ?? 'inherit',
      },
      (detail) => {
        if (supervise) supervisor.report('runtime', 'died', detail);
        else log(`${detail}; not supervised, so the API is down`);
      },
    );
    runtime = rt;
    supervisor.add('runtime', { restart: () => rt.restart() });
    await rt.start('/readyz');
    if (supervise) {
      const timeoutMs = tuning.probeTimeoutMs ?? 1_500;
      const graceMs = tuning.reloadGraceMs ?? 20_000;
      const failures = tuning.probeFailures ?? 3;
      let reloading = false;
      rt.watchSources();
      health = watchHealth({
        probe: () => rt.probe(timeoutMs),
        intervalMs: tuning.probeIntervalMs ?? 1_000,
        failures,
        active: () => supervisor.state('runtime') === 'running',
        onHealthy: () => {
          reloading = false;
        },
        patienceMs: (streak) => {
          if (!rt.reloadingLikely(30_000)) return 0;
          // Reloads often miss a probe or two: say something only once it would have counted.
          if (!reloading && streak >= failures) log(`runtime not answering while wrangler reloads the Worker (a file changed): giving it up to ${graceMs / 1000} s`);
          reloading = streak >= failures;
          return graceMs;
        },
        onUnresponsive: (detail) => supervisor.report('runtime', 'unresponsive', reloading ? `${detail}; the reload did not come back` : detail),
      });
    }

    const ownServer = () => {
      if (!server) throw new Error('Postgres from DATABASE_URL is not ours to stop or start');
      return server;
    };
    /** Runs `action` with the unit's supervision paused (after any restart in progress). */
    const deliberately = async (unit: 'postgres' | 'runtime', action: () => Promise<void>) => {
      await supervisor.settled(unit);
      supervisor.paused(unit);
      try {
        await action();
      } finally {
        supervisor.resumed(unit);
      }
    };
    return {
      baseUrl,
      databaseUrl: pg.url,
      ...(seed ? { seed } : {}),
      services,
      postgres: {
        pid: () => server?.pid(),
        stop: async () => {
          await supervisor.settled('postgres');
          supervisor.paused('postgres');
          await ownServer().stop();
          log('postgres stopped (asked); it stays down until started');
        },
        start: async () => {
          await ownServer().start();
          supervisor.resumed('postgres');
          log('postgres started (asked)');
        },
      },
      runtime: { pids: () => rt.pids() },
      restartPostgres: () =>
        deliberately('postgres', async () => {
          const s = ownServer();
          await s.stop();
          await s.start();
          log('postgres restarted (asked)');
        }),
      restartRuntime: () =>
        deliberately('runtime', async () => {
          await rt.restart();
          log('runtime restarted (asked)');
        }),
      supervision: {
        on: (listener) => supervisor.on(listener),
        waitFor: (match, timeoutMs) => supervisor.waitFor(match, timeoutMs),
        state: (unit) => supervisor.state(unit),
        history: () => supervisor.history(),
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
