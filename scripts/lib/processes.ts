/**
 * Child processes that must not outlive `npm start`. wrangler dev spawns
 * workerd, and killing wrangler's pid alone leaves workerd running, so every
 * child gets its own process group and the whole group is signalled.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

export function startGroup(name: string, command: string, args: string[], options: SpawnOptions = {}): ManagedProcess {
  const child = spawn(command, args, { ...options, detached: true });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { name, child, exited };
}

function signalGroup(p: ManagedProcess, signal: NodeJS.Signals): void {
  if (p.child.pid === undefined) return;
  try {
    process.kill(-p.child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM the group, then SIGKILL whatever is left after the grace period. */
export async function stopGroup(p: ManagedProcess, graceMs = 5_000): Promise<void> {
  const pid = p.child.pid;
  if (pid === undefined) return;
  signalGroup(p, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (groupAlive(pid)) signalGroup(p, 'SIGKILL');
  while (groupAlive(pid)) await new Promise((r) => setTimeout(r, 50));
}

export async function waitForHttp(url: string, timeoutMs: number, okStatus = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status === okStatus) return;
      last = `status ${res.status}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer ${okStatus} within ${timeoutMs} ms (${last})`);
}
