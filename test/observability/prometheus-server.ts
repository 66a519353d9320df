/**
 * Debian's Prometheus for the observability tests: found on PATH (`.ci/run`
 * installs the `prometheus` package when it is missing), started on a free
 * port with a throwaway data folder, stopped by its pid.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/lib/postgres';

/** Why the Prometheus tests cannot run here, or null when they can. In CI a missing binary fails the test instead (CI=true). */
export function prometheusMissing(): string | null {
  for (const tool of ['prometheus', 'promtool']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    if (found.status !== 0) return `${tool} not found: apt-get install prometheus (.ci/run does it in CI)`;
  }
  return null;
}

export function requirePrometheus(): boolean {
  const missing = prometheusMissing();
  if (missing && process.env.CI) throw new Error(`CI must run the Prometheus tests: ${missing}`);
  if (missing) console.warn(`skipped: ${missing}`);
  return missing === null;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface RunningPrometheus {
  url: string;
  pid: number;
  /** An instant query; throws with Prometheus' error (e.g. bad_data) when it is refused. */
  query(expr: string): Promise<PromSample[]>;
  /** The raw answer of /api/v1/query, refused ones included. */
  queryRaw(expr: string): Promise<{ status: string; errorType?: string; error?: string; data?: { resultType: string; result: unknown } }>;
  stop(): Promise<void>;
}

export async function startPrometheus(config: string): Promise<RunningPrometheus> {
  const dir = mkdtempSync(path.join(tmpdir(), 'delivery-prometheus-'));
  const configFile = path.join(dir, 'prometheus.yml');
  writeFileSync(configFile, config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    'prometheus',
    [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}): ${stderr}`);
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready after 20 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const queryRaw = async (expr: string) => {
    const res = await fetch(`${url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: expr }) });
    return (await res.json()) as Awaited<ReturnType<RunningPrometheus['queryRaw']>>;
  };
  return {
    url,
    pid: child.pid!,
    queryRaw,
    query: async (expr) => {
      const answer = await queryRaw(expr);
      if (answer.status !== 'success') throw new Error(`${expr}: ${answer.errorType}: ${answer.error}`);
      if (answer.data?.resultType !== 'vector') throw new Error(`${expr}: a ${answer.data?.resultType}, not a vector`);
      return answer.data.result as PromSample[];
    },
    stop,
  };
}
