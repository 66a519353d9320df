/**
 * What the notification fakes share: a Node HTTP server on 127.0.0.1, a
 * record of every request, and faults the tests switch on through
 * `/_fake/faults` (fail the next N matching requests with a status, or drop
 * their connections, or stay down until cleared), so a test in workerd can
 * stage an outage and a recovery over plain HTTP.
 *
 *   POST   /_fake/faults   { match?, times?, status?, mode?: 'status' | 'drop' | 'slow', delayMs? }
 *          `match`: a substring of the request's path or body (default: all);
 *          `times` omitted: until cleared ("down"); `slow`: answer as usual, `delayMs` late.
 *   DELETE /_fake/faults?match=…   clear (all when no match): "recover"
 *   GET    /_fake/requests?match=… every request received, with its answer
 *
 * Given a `memory`, a fake keeps its record and what it received in a JSON
 * file across restarts of `npm start` (faults are a test's switches: not kept).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newest, stateFile } from './state-file';

export interface Fault {
  match: string;
  remaining: number;
  status: number;
  mode: 'status' | 'drop' | 'slow';
  /** `slow`: how long the answer waits. */
  delayMs?: number;
}

export interface RecordedRequest {
  at: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The status answered, or 0 for a dropped connection. */
  status: number;
}

export interface FakeRequest {
  req: IncomingMessage;
  method: string;
  url: URL;
  body: string;
  headers: Record<string, string>;
}

export interface FakeAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (request: FakeRequest) => Promise<FakeAnswer | undefined> | FakeAnswer | undefined;

/**
 * What a fake remembers across restarts of `npm start` (shared/state-file.ts),
 * besides the request record kept here: the messages it received, its settings.
 */
export interface FakeMemory<T> {
  /** The JSON file (npm start: .data/fakes/<fake>.json). */
  file: string;
  save(): T;
  /** Called once, before the first request, with what `save` returned last time. */
  load(saved: T): void;
  log?: (line: string) => void;
}

/** Requests a state file keeps (the newest): enough to look back at, small enough to rewrite each second. */
const KEPT_REQUESTS = 500;

export interface RunningFake {
  url: string;
  port: number;
  requests: RecordedRequest[];
  faults: Fault[];
  stop(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

/**
 * Starts a fake: `handle` answers the provider's own API; `/_fake/*` control
 * routes are answered here, plus any `control` routes the fake adds.
 */
export async function startFake<T>(options: { name: string; port?: number; handle: Handler; control?: Handler; memory?: FakeMemory<T> }): Promise<RunningFake> {
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  const memory = options.memory;
  const persisted = memory
    ? stateFile(memory.file, () => ({ requests: newest(requests, KEPT_REQUESTS), fake: memory.save() }), { delayMs: 1_000, ...(memory.log ? { log: memory.log } : {}) })
    : undefined;
  if (memory && persisted?.loaded) {
    requests.push(...persisted.loaded.requests);
    memory.load(persisted.loaded.fake);
  }

  const server: Server = createServer((req, res) => {
    // Everything but a look at the control pages may change what the fake holds.
    const changes = !(req.method === 'GET' && (req.url ?? '').startsWith('/_fake/'));
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake.local');
      const body = await readBody(req);
      const request: FakeRequest = { req, method: req.method ?? 'GET', url, body, headers: flatHeaders(req) };

      if (url.pathname.startsWith('/_fake/')) {
        if (url.pathname === '/_fake/faults' && request.method === 'POST') {
          const f = (body ? JSON.parse(body) : {}) as Partial<Fault> & { times?: number };
          faults.push({ match: f.match ?? '', remaining: f.times ?? Number.POSITIVE_INFINITY, status: f.status ?? 503, mode: f.mode ?? 'status', delayMs: Math.min(Math.max(0, f.delayMs ?? 0), 60_000) });
          return json(res, 201, { faults: faults.length });
        }
        if (url.pathname === '/_fake/faults' && request.method === 'DELETE') {
          const match = url.searchParams.get('match');
          for (let i = faults.length - 1; i >= 0; i--) if (match === null || faults[i]!.match === match) faults.splice(i, 1);
          return json(res, 200, { faults: faults.length });
        }
        if (url.pathname === '/_fake/requests') {
          const match = url.searchParams.get('match');
          return json(res, 200, { items: requests.filter((r) => !match || r.path.includes(match) || r.body.includes(match)) });
        }
        const answer = options.control ? await options.control(request) : undefined;
        if (answer) return json(res, answer.status, answer.body, answer.headers);
        return json(res, 404, { error: 'unknown control route' });
      }

      const record: RecordedRequest = { at: new Date().toISOString(), method: request.method, path: url.pathname + url.search, headers: request.headers, body, status: 0 };
      requests.push(record);
      const fault = faults.find((f) => f.remaining > 0 && (f.match === '' || record.path.includes(f.match) || body.includes(f.match)));
      if (fault) {
        fault.remaining--;
        if (fault.mode === 'drop') {
          req.socket.destroy();
          return;
        }
        if (fault.mode === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs ?? 0));
        else {
          record.status = fault.status;
          return json(res, fault.status, { error: `${options.name} fake: injected failure` });
        }
      }
      const answer = (await options.handle(request)) ?? { status: 404, body: { error: 'not found' } };
      record.status = answer.status;
      json(res, answer.status, answer.body, answer.headers);
    })()
      .catch((error: unknown) => {
        json(res, 500, { error: `${options.name} fake crashed: ${(error as Error).message}` });
      })
      .finally(() => {
        if (changes) persisted?.changed();
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  }).catch((error: unknown) => {
    persisted?.close();
    throw error;
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    faults,
    stop: () =>
      new Promise<void>((resolve) => {
        persisted?.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
