/**
 * What the runtime charges for each kind of work an order needs, with none of
 * the platform's code (issue 14, goal 1): bench/lib/shape-probe-worker.ts in
 * its own createTestHarness (its own workerd process, measured by its pid
 * from /proc), the same workerd build, the same Hyperdrive path to Postgres
 * (the benchmark's proxy and pool) and the platform's own Postgres client.
 *
 * Each unit is the CPU of a route that repeats it K times less that of an
 * empty request, over K. The order-flow benchmark multiplies them by what an
 * order through `placed` needs (its requests, round trips, connections,
 * subrequests, object calls and queue messages, counted in the same run):
 * the least a Worker could spend on that order in this runtime.
 */
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestHarness } from 'wrangler';
import { processCpuMs } from './proc-cpu';
import { platformCompatibility, workerdDescendants } from './runtime-entry';

const REPEAT = 8;

export interface UnitCosts {
  /** An empty request into the probe (no framework, no middleware). */
  requestMs: number;
  /** A sequential round trip (`select 1`) on an open client. */
  roundTripMs: number;
  /** A request's client and its first connection through Hyperdrive (its first round trip not included). */
  connectionMs: number;
  /** A subrequest (POST, small JSON answer) to a local server. */
  subrequestMs: number;
  /** A Durable Object RPC call with a number each way. */
  objectCallMs: number;
  /** A queue message sent (one `send`) and consumed (batches of up to 50, acknowledged). */
  queueMessageMs: number;
  /** Each route's workerd CPU per request, as measured (ms). */
  routes: Record<string, number>;
}

async function pool(count: number, concurrency: number, fn: () => Promise<void>): Promise<void> {
  let left = count;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await fn();
    }),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the probe beside the platform (Hyperdrive at `postgresUrl`), measures each unit over `requests`
 * requests, `concurrency` at a time, and stops it. Give it the concurrency the platform was measured at:
 * the runtime's cost per unit grows when less work arrives per wake-up (docs/capacity.md).
 */
export async function measureUnitCosts(postgresUrl: string, concurrency: number, requests = 300): Promise<UnitCosts> {
  const compatibility = platformCompatibility();
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-shape-probe-'));
  const target = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}'));
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const targetUrl = `http://127.0.0.1:${(target.address() as { port: number }).port}/`;
  writeFileSync(
    path.join(dir, 'wrangler.toml'),
    [
      'name = "shape-probe"',
      `main = ${JSON.stringify(fileURLToPath(new URL('./shape-probe-worker.ts', import.meta.url)))}`,
      `compatibility_date = "${compatibility.date}"`,
      `compatibility_flags = ${JSON.stringify(compatibility.flags)}`,
      '[vars]',
      `FETCH_TARGET = "${targetUrl}"`,
      '[[hyperdrive]]',
      'binding = "HYPERDRIVE"',
      'id = "00000000000000000000000000000000"',
      `localConnectionString = "${postgresUrl}"`,
      '[[durable_objects.bindings]]',
      'name = "PROBE_OBJECT"',
      'class_name = "ProbeObject"',
      '[[migrations]]',
      'tag = "v1"',
      'new_sqlite_classes = ["ProbeObject"]',
      '[[queues.producers]]',
      'binding = "PROBE_QUEUE"',
      'queue = "shape-probe"',
      '[[queues.consumers]]',
      'queue = "shape-probe"',
      'max_batch_size = 50',
      'max_batch_timeout = 1',
      '',
    ].join('\n'),
  );
  // Wrangler takes Hyperdrive's local string from this variable before the config's.
  const saved = process.env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE;
  process.env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE = postgresUrl;
  const before = new Set(workerdDescendants());
  const server = createTestHarness({ root: dir, workers: [{ configPath: path.join(dir, 'wrangler.toml') }] });
  try {
    const { url } = await server.listen();
    // Its own workerd processes (the runtime and wrangler's proxy), counted as the platform's are: the platform's keep running beside them.
    const started = workerdDescendants().filter((pid) => !before.has(pid));
    if (started.length === 0) throw new Error('shape probe: no workerd process of its own');
    const cpu = () => started.reduce((sum, pid) => sum + processCpuMs(pid), 0);
    const worker = server.getWorker();
    const get = async (p: string) => {
      const res = (await worker.fetch(`${url.origin}${p}`)) as unknown as Response;
      const text = await res.text();
      if (res.status !== 200) throw new Error(`shape probe ${p} answered ${res.status}: ${text.slice(0, 200)}`);
      return text;
    };
    let sent = 0;
    const consumedAll = async () => {
      const deadline = Date.now() + 30_000;
      while (Number(await get('/consumed')) < sent) {
        if (Date.now() > deadline) throw new Error(`shape probe: ${sent} messages sent, ${await get('/consumed')} consumed after 30 s`);
        await sleep(100);
      }
    };
    /** Workerd CPU per request of `p` (queue messages consumed before the clock stops). */
    const cpuPerRequest = async (p: string, perRequest = 0) => {
      const run = async () => {
        await get(p);
        sent += perRequest;
      };
      await pool(30, concurrency, run); // warm-up
      await consumedAll();
      const c0 = cpu();
      await pool(requests, concurrency, run);
      await consumedAll();
      return (cpu() - c0) / requests;
    };
    const empty = await cpuPerRequest('/request');
    const pgOne = await cpuPerRequest('/pg?n=1');
    const pgMany = await cpuPerRequest(`/pg?n=${REPEAT + 1}`);
    const fetchMany = await cpuPerRequest(`/fetch?n=${REPEAT}`);
    const objectMany = await cpuPerRequest(`/do?n=${REPEAT}`);
    const queueMany = await cpuPerRequest(`/queue?n=${REPEAT}`, REPEAT);
    const roundTripMs = (pgMany - pgOne) / REPEAT;
    return {
      requestMs: empty,
      roundTripMs,
      connectionMs: pgOne - empty - roundTripMs,
      subrequestMs: (fetchMany - empty) / REPEAT,
      objectCallMs: (objectMany - empty) / REPEAT,
      queueMessageMs: (queueMany - empty) / REPEAT,
      routes: { request: empty, pg1: pgOne, [`pg${REPEAT + 1}`]: pgMany, [`fetch${REPEAT}`]: fetchMany, [`do${REPEAT}`]: objectMany, [`queue${REPEAT}`]: queueMany },
    };
  } finally {
    if (saved === undefined) delete process.env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE;
    else process.env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE = saved;
    await server.close().catch(() => {});
    await new Promise<void>((resolve) => target.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
}
