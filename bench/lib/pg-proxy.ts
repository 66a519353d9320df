/**
 * A TCP proxy between the runtime's Hyperdrive connection and Postgres (or
 * pgbouncer) that counts round trips and can add network delay, for the
 * order-flow benchmark (issue 14):
 *
 * - Round trips: on each connection, a round trip starts when the client
 *   writes while nothing is outstanding and ends with the server's first
 *   bytes back; client writes before that answer are pipelined into the same
 *   round trip (postgres.js sends Parse/Bind/Execute/Sync for several queries
 *   in one go). Every round trip is kept as an interval [sent, answered] so a
 *   benchmark can count those inside a request's window and merge the ones
 *   that overlap across connections (parallel queries cost one wait).
 * - The connection's start-up (SSLRequest, StartupMessage, authentication,
 *   up to the server's first ReadyForQuery) is not counted and not delayed:
 *   in production it ends at Hyperdrive's edge, which keeps the connections to
 *   the database warm; only queries cross the distance.
 * - Delay: `oneWayMs` is added to every chunk after start-up, in each
 *   direction (so a round trip costs 2 × oneWayMs more), order preserved.
 */
import net from 'node:net';

export interface RoundTrip {
  conn: number;
  sent: number;
  answered: number;
  /** The client's messages in it: type letters, and the SQL of Parse/Query messages (shortened). */
  messages: string[];
}

/** The frontend messages in a chunk (type letter, and the SQL of P and Q). */
function describeClient(chunk: Buffer): string[] {
  const out: string[] = [];
  let i = 0;
  while (i + 5 <= chunk.length) {
    const type = String.fromCharCode(chunk[i]!);
    const len = chunk.readUInt32BE(i + 1);
    if (type === 'P') {
      // Parse: name\0 query\0 …
      const nameEnd = chunk.indexOf(0, i + 5);
      const queryEnd = chunk.indexOf(0, nameEnd + 1);
      out.push(`P:${chunk.subarray(nameEnd + 1, Math.min(queryEnd, nameEnd + 1 + 90)).toString().replace(/\s+/g, ' ')}`);
    } else if (type === 'Q') out.push(`Q:${chunk.subarray(i + 5, Math.min(i + 1 + len, i + 95)).toString().replace(/\s+/g, ' ')}`);
    else out.push(type);
    i += 1 + len;
  }
  return out;
}

export interface PgProxy {
  url: string;
  /** Round trips completed so far (performance.now() times). */
  trips: RoundTrip[];
  setDelay(oneWayMs: number): void;
  /** Record each round trip's messages (the SQL of its Parse/Query) from now on, or stop. */
  setCapture(on: boolean): void;
  /** Connections accepted so far (each Worker client opens its own). */
  connections(): number;
  close(): Promise<void>;
}

/** Lengths of a backend message stream until the first ReadyForQuery ('Z'); true once seen. */
function startupDone(buffer: Buffer, state: { offset: number; sslAnswer: boolean }): boolean {
  let i = state.offset;
  if (state.sslAnswer && buffer.length > i) {
    // The answer to an SSLRequest is one byte ('N' or 'S'), unframed.
    i += 1;
    state.sslAnswer = false;
  }
  while (buffer.length >= i + 5) {
    const type = buffer[i]!;
    const len = buffer.readUInt32BE(i + 1);
    if (buffer.length < i + 1 + len) break;
    if (type === 0x5a) return true;
    i += 1 + len;
  }
  state.offset = i;
  return false;
}

export async function startPgProxy(target: string): Promise<PgProxy> {
  const t = new URL(target);
  const targetPort = Number(t.port || 5432);
  const targetHost = t.hostname;
  let delay = 0;
  let connections = 0;
  let capture = process.env.BENCH_PROXY_CAPTURE === '1';
  const trips: RoundTrip[] = [];
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    const conn = ++connections;
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    let started = false;
    let serverBytes = Buffer.alloc(0);
    const parse = { offset: 0, sslAnswer: false };
    let firstClientChunk = true;
    let outstanding: number | null = null;
    let messages: string[] = [];

    const forward = (to: net.Socket, chunk: Buffer) => {
      if (!started || delay === 0) {
        to.write(chunk);
        return;
      }
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, delay);
    };

    client.on('data', (chunk) => {
      if (firstClientChunk) {
        firstClientChunk = false;
        // SSLRequest: length 8, code 80877103.
        if (chunk.length >= 8 && chunk.readUInt32BE(0) === 8 && chunk.readUInt32BE(4) === 80877103) parse.sslAnswer = true;
      }
      if (started && outstanding === null) {
        outstanding = performance.now();
        messages = [];
      }
      if (started && capture) messages.push(...describeClient(chunk));
      forward(upstream, chunk);
    });
    upstream.on('data', (chunk) => {
      if (!started) {
        serverBytes = Buffer.concat([serverBytes, chunk]);
        if (startupDone(serverBytes, parse)) {
          started = true;
          serverBytes = Buffer.alloc(0);
        }
        client.write(chunk);
        return;
      }
      if (outstanding !== null) {
        // The answer is seen by the client after the return trip's delay.
        trips.push({ conn, sent: outstanding, answered: performance.now() + delay, messages });
        outstanding = null;
      }
      forward(client, chunk);
    });
    const end = () => {
      // Let delayed chunks go out before closing.
      setTimeout(() => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      }, delay + 1);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const u = new URL(target);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return {
    url: u.toString(),
    trips,
    setDelay(oneWayMs: number) {
      delay = oneWayMs;
    },
    setCapture(on: boolean) {
      capture = on || process.env.BENCH_PROXY_CAPTURE === '1';
    },
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Sequential round trips in [from, to]: the round trips that started in the
 * window, overlapping ones (parallel queries on other connections) merged.
 */
export function sequentialTrips(trips: readonly RoundTrip[], from: number, to: number): number {
  const inside = trips.filter((t) => t.sent >= from && t.sent <= to).sort((a, b) => a.sent - b.sent);
  let count = 0;
  let until = -Infinity;
  for (const t of inside) {
    if (t.sent > until) {
      count++;
      until = t.answered;
    } else until = Math.max(until, t.answered);
  }
  return count;
}
