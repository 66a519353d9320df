/**
 * Runs the whole platform on this machine: Postgres, migrations, the demo
 * seed, the web build, the local provider fakes and wrangler dev (workerd),
 * with nothing looked up outside loopback. Used by `npm start`, the browser
 * tests and the end-to-end benchmarks, so all of them run the same platform.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPostgres, type RunningPostgres } from './postgres';
import { migrateDatabase } from './migrate';
import { seedDemoCity, type SeedSummary } from './seed';
import { OFFLINE_WRANGLER_ENV, ROOT, localSecrets, writeDevVars } from './local-env';
import { LOCAL_SERVICES, type RunningLocalService } from './local-services';
import { startGroup, stopGroup, waitForHttp, type ManagedProcess } from './processes';

export interface PlatformOptions {
  apiPort: number;
  /** Persistent Postgres data folder; omitted = a throwaway cluster. */
  postgresDataDir?: string;
  postgresPort?: number;
  /** wrangler's local state (Durable Objects, queues); omitted = a throwaway folder. */
  wranglerStateDir?: string;
  seed?: boolean;
  build?: boolean;
  logLevel?: string;
  /** Where wrangler's output goes ('inherit' for npm start, 'ignore' for tests). */
  output?: 'inherit' | 'ignore';
  log?: (line: string) => void;
  /** Worker variables on top of the local ones (e.g. the chaos suite's short sweep deadlines). */
  vars?: Record<string, string>;
  /** Called if wrangler dev exits on its own. */
  onUnexpectedExit?: (code: number | null) => void;
}

export interface RunningPlatform {
  baseUrl: string;
  databaseUrl: string;
  seed?: SeedSummary;
  services: RunningLocalService[];
  stop(): Promise<void>;
}

export async function startPlatform(options: PlatformOptions): Promise<RunningPlatform> {
  const log = options.log ?? (() => {});
  const baseUrl = `http://127.0.0.1:${options.apiPort}`;
  let pg: RunningPostgres | undefined;
  let wrangler: ManagedProcess | undefined;
  const services: RunningLocalService[] = [];
  let stopping = false;
  const throwawayState = options.wranglerStateDir ? undefined : mkdtempSync(path.join(tmpdir(), 'delivery-wrangler-'));

  const stop = async () => {
    stopping = true;
    if (wrangler) await stopGroup(wrangler);
    for (const s of services.reverse()) await s.stop().catch((e: unknown) => log(`${s.name}: stop failed: ${String(e)}`));
    if (pg) await pg.stop();
    if (throwawayState) rmSync(throwawayState, { recursive: true, force: true });
  };

  try {
    pg = await startPostgres({
      ...(options.postgresDataDir ? { dataDir: options.postgresDataDir } : {}),
      ...(options.postgresPort ? { port: options.postgresPort } : {}),
      database: 'delivery',
      log,
    });
    await migrateDatabase(pg.url);
    log('migrations applied');
    const seed = options.seed === false ? undefined : await seedDemoCity(pg.url);
    if (seed) log(`demo city seeded (${seed.created} rows created, ${seed.reused} reused)`);

    if (options.build !== false) {
      const build = spawnSync(path.join(ROOT, 'node_modules/.bin/vite'), ['build', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
      if (build.status !== 0) throw new Error('web build failed');
      log('web apps built into dist/web');
    }

    const secrets = localSecrets();
    writeDevVars(secrets);
    const vars: Record<string, string> = { APP_ENV: 'local', PUBLIC_BASE_URL: baseUrl };
    for (const service of LOCAL_SERVICES) {
      const running = await service.start({ apiOrigin: baseUrl, secrets, log });
      services.push(running);
      Object.assign(vars, running.vars);
      log(`${service.name} fake listening${running.url ? ` at ${running.url}` : ''}`);
    }

    Object.assign(vars, options.vars);
    wrangler = startGroup(
      'wrangler',
      path.join(ROOT, 'node_modules/.bin/wrangler'),
      [
        'dev',
        '--ip', '127.0.0.1',
        '--port', String(options.apiPort),
        '--persist-to', options.wranglerStateDir ?? throwawayState!,
        ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
        '--log-level', options.logLevel ?? 'warn',
        '--show-interactive-dev-session=false',
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', options.output ?? 'inherit', options.output ?? 'inherit'],
        env: { ...process.env, ...OFFLINE_WRANGLER_ENV, CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: pg.url },
      },
    );
    void wrangler.exited.then((code) => {
      if (!stopping) options.onUnexpectedExit?.(code);
    });
    await waitForHttp(`${baseUrl}/readyz`, 60_000);
    return { baseUrl, databaseUrl: pg.url, ...(seed ? { seed } : {}), services, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
