/**
 * Child processes that must not outlive `npm start`. wrangler dev spawns
 * workerd, and killing wrangler's pid alone leaves workerd running, so every
 * child gets its own process group and the whole group is signalled.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

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

export interface GroupMember {
  pid: number;
  /** The executable's name as the kernel keeps it (/proc/<pid>/comm), e.g. `workerd`. */
  name: string;
}

/**
 * The live processes of the group led by `pgid` (one we started with
 * startGroup), read from /proc (Linux): e.g. the workerd processes wrangler
 * dev spawned. Zombies are left out. Empty where /proc does not exist.
 */
export function groupMembers(pgid: number): GroupMember[] {
  const members: GroupMember[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return members;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so split after the last ')'.
      const close = stat.lastIndexOf(')');
      const [state, , pgrp] = stat.slice(close + 2).split(' ');
      if (Number(pgrp) !== pgid || state === 'Z') continue;
      members.push({ pid: Number(entry), name: stat.slice(stat.indexOf('(') + 1, close) });
    } catch {
      // The process ended while we looked.
    }
  }
  return members.sort((a, b) => a.pid - b.pid);
}

/** Polls `url` until it answers `okStatus`; `gone()` names a reason to stop waiting (the server exited). */
export async function waitForHttp(url: string, timeoutMs: number, okStatus = 200, gone: () => string | undefined = () => undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const reason = gone();
    if (reason) throw new Error(`${url} will not answer: ${reason}`);
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
