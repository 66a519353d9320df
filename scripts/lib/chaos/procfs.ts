/**
 * The processes a chaos run may signal: only descendants of this process
 * (what `startPlatform` spawned: embedded Postgres and its backends, wrangler
 * and its workerd), found through /proc, never by name across the machine.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface Proc {
  pid: number;
  ppid: number;
  comm: string;
}

function readProc(pid: number): Proc | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split at the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    return { pid, ppid, comm };
  } catch {
    return null;
  }
}

/** Every live descendant of `root` (children, their children, …). */
export function descendants(root = process.pid): Proc[] {
  const all: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProc(Number(name));
    if (p) all.push(p);
  }
  const byParent = new Map<number, Proc[]>();
  for (const p of all) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const out: Proc[] = [];
  const stack = [root];
  while (stack.length > 0) {
    for (const child of byParent.get(stack.pop()!) ?? []) {
      out.push(child);
      stack.push(child.pid);
    }
  }
  return out;
}

/** Descendants whose command name is `comm` (e.g. 'postgres', 'workerd'). */
export function descendantsNamed(comm: string, root = process.pid): number[] {
  return descendants(root)
    .filter((p) => p.comm === comm)
    .map((p) => p.pid);
}

/** Signals each pid; a pid already gone is skipped. Returns how many were signalled. */
export function signalAll(pids: readonly number[], signal: NodeJS.Signals): number {
  let n = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
      n++;
    } catch {
      // Gone already.
    }
  }
  return n;
}
