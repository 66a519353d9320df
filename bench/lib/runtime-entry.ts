/**
 * The runtime's own entry socket under wrangler's createTestHarness. The URL
 * listen() answers is wrangler dev's ProxyWorker (a Durable Object in a
 * second workerd that re-sends every request and frame, for live reload);
 * production has no such hop. A load generator in another process or thread
 * cannot use Miniflare's dispatchFetch, so it connects to the entry socket of
 * the workerd that runs the Worker: found here among this process's workerd
 * descendants' listening TCP sockets (/proc/<pid>/fd → /proc/net/tcp), the one
 * that answers GET /healthz with 200 and is not the proxy's.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { unstable_readConfig } from 'wrangler';
import { descendants } from '../../scripts/lib/chaos/procfs';

/** workerd processes below `root`. */
export function workerdDescendants(root = process.pid): number[] {
  return descendants(root)
    .filter((p) => p.comm.startsWith('workerd'))
    .map((p) => p.pid);
}

export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return [];
  }
  const ports: number[] = [];
  for (const line of readFileSync(`/proc/${pid}/net/tcp`, 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // local_address rem_address st … inode(9); st 0A = LISTEN.
    if (f.length > 9 && f[3] === '0A' && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
  }
  return ports;
}

/** The runtime workerd's pid and the origin of its entry socket. */
export async function runtimeEntry(proxyUrl: URL): Promise<{ pid: number; origin: string }> {
  const proxyPort = Number(proxyUrl.port);
  for (const pid of workerdDescendants()) {
    const ports = listeningPorts(pid);
    if (ports.includes(proxyPort)) continue;
    for (const port of ports) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3_000) });
        const body = await res.text();
        if (res.status === 200 && body.includes('ok')) return { pid, origin: `http://127.0.0.1:${port}` };
      } catch {
        // not an HTTP entry (inspector, debug port)
      }
    }
  }
  throw new Error('no workerd entry socket answering /healthz was found');
}

/**
 * The platform's compatibility date and flags (its wrangler.toml), for the
 * small Workers a benchmark runs beside it as a floor: the same runtime
 * behaviour as the platform's.
 */
export function platformCompatibility(): { date: string; flags: string[] } {
  const config = unstable_readConfig({ config: fileURLToPath(new URL('../../wrangler.toml', import.meta.url)) });
  if (!config.compatibility_date) throw new Error('wrangler.toml has no compatibility_date');
  return { date: config.compatibility_date, flags: config.compatibility_flags };
}
