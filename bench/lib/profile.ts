/**
 * A CPU profile of the Worker's isolate in workerd, through its inspector
 * (the DevTools protocol): `BENCH_PROFILE=1 npm run bench -- order-flow`
 * profiles each CPU phase and prints the functions with the most self time,
 * which is how the costs in docs/capacity.md were found. The inspector port is
 * found among the runtime workerd's listening sockets (bench/lib/runtime-entry.ts).
 */
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
  stop(top?: number): Promise<string[]>;
  close(): void;
}

async function inspectorTargets(pid: number): Promise<{ webSocketDebuggerUrl: string; title: string; url: string }[]> {
  for (const port of listeningPorts(pid)) {
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
  const ws = new WebSocket(target.webSocketDebuggerUrl);
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
    stop: async (top = 30) => {
      const { profile } = (await send('Profiler.stop')) as { profile: Profile };
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
  const ms = (profile.endTime - profile.startTime) / 1000;
  return [
    `${total} samples over ${ms.toFixed(0)} ms`,
    ...[...self.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`),
  ];
}
