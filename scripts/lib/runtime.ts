/**
 * The Workers runtime of a local platform: `wrangler dev` in a process group
 * of its own (wrangler's node, the workerd processes it spawns, esbuild), so
 * that stopping or restarting it leaves nothing behind. Restarting it is
 * stopping the whole group and starting wrangler again on the same port and
 * state folder: Durable Objects persist there; local queues are in memory and
 * are lost, as on any stop (docs/stack-notes.md).
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { OFFLINE_WRANGLER_ENV, ROOT } from './local-env';
import { groupMembers, startGroup, stopGroup, waitForHttp, type ManagedProcess } from './processes';

export interface RuntimeOptions {
  apiPort: number;
  stateDir: string;
  /** `wrangler dev --var NAME:value` overrides. */
  vars: Record<string, string>;
  databaseUrl: string;
  logLevel: string;
  output: 'inherit' | 'ignore';
}

export interface RuntimePids {
  /** wrangler's launcher: the leader of the group. */
  wrangler: number | undefined;
  /** The runtime processes (wrangler dev runs two: its proxy and the Worker's). */
  workerd: number[];
}

/**
 * What wrangler dev watches and reloads the Worker for (the bundle's sources,
 * its config, the local secrets, the built assets). While it reloads, its
 * proxy holds every request: first while esbuild bundles, then while the new
 * workerd starts; seconds on a busy machine, and in a tree several people
 * edit at once, often.
 */
const RELOAD_DIRS = ['workers', 'durable-objects', 'domain', 'db', 'dist/web'];
const RELOAD_FILES = new Set(['wrangler.toml', '.dev.vars']);

export class Runtime {
  private current: ManagedProcess | undefined;
  private stopped = false;
  private lastSourceChange = 0;
  private watchers: FSWatcher[] = [];
  readonly healthUrl: string;

  constructor(
    private readonly options: RuntimeOptions,
    /** Called when wrangler exits by itself, not because we stopped it. */
    private readonly onExit: (detail: string) => void,
  ) {
    this.healthUrl = `http://127.0.0.1:${options.apiPort}/healthz`;
  }

  /** Starts wrangler dev; resolves once `readyPath` answers 200. */
  async start(readyPath: string, timeoutMs = 60_000): Promise<void> {
    if (this.stopped) throw new Error('the runtime was stopped');
    const o = this.options;
    const wrangler = startGroup(
      'wrangler',
      path.join(ROOT, 'node_modules/.bin/wrangler'),
      [
        'dev',
        '--ip', '127.0.0.1',
        '--port', String(o.apiPort),
        '--persist-to', o.stateDir,
        ...Object.entries(o.vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
        '--log-level', o.logLevel,
        '--show-interactive-dev-session=false',
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', o.output, o.output],
        env: { ...process.env, ...OFFLINE_WRANGLER_ENV, CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: o.databaseUrl },
      },
    );
    this.current = wrangler;
    void wrangler.exited.then((code) => {
      // Only the group that is current: one we replaced or stopped exits on purpose.
      if (this.current === wrangler && !this.stopped) this.onExit(`wrangler dev exited with code ${code}`);
    });
    const child = wrangler.child;
    const gone = () => (child.exitCode !== null || child.signalCode !== null ? `wrangler dev exited (${child.exitCode ?? child.signalCode})` : undefined);
    await waitForHttp(`http://127.0.0.1:${o.apiPort}${readyPath}`, timeoutMs, 200, gone);
  }

  /** Stops the group that runs now (if any) and starts a fresh one; resolves once /healthz answers. */
  async restart(): Promise<void> {
    const old = this.current;
    this.current = undefined;
    // It is replaced because it died or hangs: wrangler takes about 2 s to wind
    // down on SIGTERM, time the API is down for nothing, so the grace is short.
    if (old) await stopGroup(old, 500);
    await this.start('/healthz');
  }

  /** Notes when a file wrangler reloads for changes (see reloadingLikely). */
  watchSources(): void {
    const note = () => void (this.lastSourceChange = Date.now());
    const add = (target: string, recursive: boolean, filter?: (name: string) => boolean) => {
      if (!existsSync(target)) return;
      try {
        const watcher = watch(target, { recursive }, (_event, name) => {
          if (!filter || (name && filter(name.toString()))) note();
        });
        watcher.on('error', () => watcher.close());
        watcher.unref();
        this.watchers.push(watcher);
      } catch {
        // No watch (inotify limits): the probes just get no patience for reloads.
      }
    };
    for (const dir of RELOAD_DIRS) add(path.join(ROOT, dir), true);
    add(ROOT, false, (name) => RELOAD_FILES.has(name));
  }

  /**
   * True when a file wrangler watches changed in the last `windowMs`: it is
   * probably reloading the Worker, holding requests meanwhile, and is given
   * time before we restart it. (Not so after a workerd crash: wrangler
   * restarts its runtime by itself too, but as often as not that runtime
   * never answers; see docs/stack-notes.md.)
   */
  reloadingLikely(windowMs: number): boolean {
    return Date.now() - this.lastSourceChange < windowMs;
  }

  async stop(): Promise<void> {
    for (const watcher of this.watchers.splice(0)) watcher.close();
    this.stopped = true;
    if (this.current) await stopGroup(this.current);
    this.current = undefined;
  }

  pids(): RuntimePids {
    const leader = this.current?.child.pid;
    if (leader === undefined) return { wrangler: undefined, workerd: [] };
    return { wrangler: leader, workerd: groupMembers(leader).filter((m) => m.name === 'workerd').map((m) => m.pid) };
  }

  /** GET /healthz within `timeoutMs`: the runtime answers, whatever Postgres does. */
  async probe(timeoutMs: number): Promise<{ ok: boolean; error?: string }> {
    try {
      const res = await fetch(this.healthUrl, { signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer();
      return res.status === 200 ? { ok: true } : { ok: false, error: `status ${res.status}` };
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      return { ok: false, error: e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message) };
    }
  }
}
