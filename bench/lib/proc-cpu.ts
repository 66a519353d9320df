/**
 * CPU time (ms) used so far by this process's descendants, by program:
 * workerd, postgres (the postmaster's own time plus that of every backend,
 * live or reaped), pgbouncer, redis, node (fakes) and other. From
 * /proc/<pid>/stat (utime + stime + cutime + cstime), so a benchmark reports
 * each process's own CPU on a machine it shares.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

export type CpuByProgram = Record<string, number>;

/** A process's command name and the fields after it in /proc/<pid>/stat: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14). */
function procStat(pid: number | string): { comm: string; fields: string[] } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const close = stat.lastIndexOf(')');
  return { comm: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ') };
}

function kindOf(comm: string): string {
  if (comm.startsWith('workerd')) return 'workerd';
  if (comm.startsWith('postgres')) return 'postgres';
  if (comm.startsWith('pgbouncer')) return 'pgbouncer';
  if (comm.startsWith('redis')) return 'redis';
  if (comm.startsWith('node') || comm.startsWith('tsx')) return 'node';
  return 'other';
}

/** CPU time (ms) one process has used so far, all its threads (utime + stime; not its children's). */
export function processCpuMs(pid: number): number {
  const { fields } = procStat(pid);
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

export function descendantCpu(root = process.pid): CpuByProgram {
  const procs: { pid: number; ppid: number; comm: string; ticks: number }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const { comm, fields } = procStat(entry);
      procs.push({ pid: Number(entry), ppid: Number(fields[1]), comm, ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]) });
    } catch {
      // The process exited while we looked.
    }
  }
  const children = new Map<number, typeof procs>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const totals: CpuByProgram = {};
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      const kind = kindOf(child.comm);
      totals[kind] = (totals[kind] ?? 0) + (child.ticks * 1000) / CLOCK_TICKS;
      // A postgres backend's time reaches its parent's cutime when it exits; count live backends too.
      if (kind !== 'postgres') walk(child.pid);
      else for (const backend of children.get(child.pid) ?? []) totals.postgres = (totals.postgres ?? 0) + (backend.ticks * 1000) / CLOCK_TICKS;
    }
  };
  walk(root);
  return totals;
}

/** CPU (ms) each program used between two readings. */
export function cpuDelta(before: CpuByProgram, after: CpuByProgram): CpuByProgram {
  const out: CpuByProgram = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) out[k] = (after[k] ?? 0) - (before[k] ?? 0);
  return out;
}

/**
 * CPU time (ms) so far of each live process under a postmaster, by its role
 * as `/proc/<pid>/cmdline` names it ("postgres: walwriter", "postgres: user db
 * 127.0.0.1(…) idle" → "client backend"), plus "exited" for backends already
 * reaped (the postmaster's cutime + cstime). For seeing where Postgres's CPU
 * goes (BENCH_PG_DETAIL=1 in bench/order-flow.ts).
 */
export function postgresCpuByRole(postmaster: number): CpuByProgram {
  const out: CpuByProgram = {};
  const own = procStat(postmaster).fields;
  out.postmaster = ((Number(own[11]) + Number(own[12])) * 1000) / CLOCK_TICKS;
  out.exited = ((Number(own[13]) + Number(own[14])) * 1000) / CLOCK_TICKS;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const f = procStat(entry).fields;
      if (Number(f[1]) !== postmaster) continue;
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      const role = /^postgres: \S+ \S+ \d/.test(cmd) || /\(\d+\)/.test(cmd) ? 'client backend' : cmd.replace(/^postgres:\s*/, '').replace(/\s+.*$/, '') || cmd;
      out[role] = (out[role] ?? 0) + ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS;
    } catch {
      // Gone while we looked.
    }
  }
  return out;
}
