/**
 * A CPU profile of the Worker's isolate in workerd, through its inspector
 * (the DevTools protocol): `BENCH_PROFILE=1 npm run bench -- order-flow`
 * profiles each CPU phase, prints the functions with the most self and inclusive
 * time and saves each phase's profile as $TMPDIR/order-flow-<phase>.cpuprofile,
 * which is how the costs in docs/capacity.md were found. The inspector port is
 * wrangler's harness port WRANGLER_HARNESS_INSPECTOR_PORT (opened by patches/wrangler+*.patch),
 * else looked for among the runtime workerd's listening sockets (bench/lib/runtime-entry.ts).
 */
import { writeFileSync } from 'node:fs';
import { listeningPorts } from './runtime-entry';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface Profiler {
  start(): Promise<void>;
  /** Stops and returns the top functions by self time, as lines of text. */
  stop(top?: number, saveAs?: string): Promise<string[]>;
  close(): void;
}

async function inspectorTargets(pid: number): Promise<{ webSocketDebuggerUrl: string; title: string; url: string }[]> {
  const given = process.env.WRANGLER_HARNESS_INSPECTOR_PORT;
  for (const port of [...(given ? [Number(given)] : []), ...listeningPorts(pid)]) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return (await res.json()) as { webSocketDebuggerUrl: string; title: string; url: string }[];
    } catch {
      // not the inspector
    }
  }
  return [];
}

/** Connects to the isolate whose inspector title names `worker` (the wrangler.toml name). */
export async function connectProfiler(pid: number, worker: string): Promise<Profiler | null> {
  const targets = await inspectorTargets(pid);
  const target = targets.find((t) => t.title.includes(worker) && !t.title.includes('proxy')) ?? targets[0];
  if (!target) return null;
  // Node 22's WebSocket (undici).
  // wrangler's inspector proxy wants an Origin it knows (or no User-Agent, which undici always sends).
  const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { origin: 'http://127.0.0.1' } } as unknown as string[]);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error('the inspector refused the connection')), { once: true });
  });
  let id = 0;
  const pending = new Map<number, (r: unknown) => void>();
  ws.addEventListener('message', (e: MessageEvent) => {
    const m = JSON.parse(String(e.data)) as { id?: number; result?: unknown };
    if (m.id !== undefined) pending.get(m.id)?.(m.result);
  });
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      const n = ++id;
      pending.set(n, resolve);
      ws.send(JSON.stringify({ id: n, method, params }));
    });
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 200 });
  return {
    start: async () => void (await send('Profiler.start')),
    stop: async (top = 30, saveAs?: string) => {
      const { profile } = (await send('Profiler.stop')) as { profile: Profile };
      // Open in Chrome DevTools or speedscope; the summary below is self time and time inclusive of callees.
      if (saveAs) writeFileSync(saveAs, JSON.stringify(profile));
      return summarize(profile, top);
    },
    close: () => ws.close(),
  };
}

function summarize(profile: Profile, top: number): string[] {
  const total = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
  const self = new Map<string, number>();
  for (const n of profile.nodes) {
    const f = n.callFrame;
    const file = f.url.split('/').slice(-2).join('/');
    const key = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (n.hitCount ?? 0));
  }
  // Inclusive: each sample counts once for every distinct function on its stack.
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n: ProfileNode) => {
    const f = n.callFrame;
    return `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
  };
  const inclusive = new Map<string, number>();
  for (const n of profile.nodes) {
    if (!n.hitCount) continue;
    const seen = new Set<string>();
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const k = keyOf(byId.get(id)!);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + n.hitCount);
    }
  }
  const ms = (profile.endTime - profile.startTime) / 1000;
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
  return [`${total} samples over ${ms.toFixed(0)} ms; self time:`, ...rank(self), 'inclusive time:', ...rank(inclusive)];
}
