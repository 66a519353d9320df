/**
 * Redis 7 as the comparison for the shard's index: a private redis-server on
 * a free loopback port (started and stopped here), loaded with the same
 * drivers, queried with GEOSEARCH through `redis-benchmark` (50 clients: its
 * best case) and through a single pipelined connection for the agreement check.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, Socket } from 'node:net';

export function redisTools(): { ok: true; version: string } | { ok: false; reason: string } {
  for (const bin of ['redis-server', 'redis-benchmark']) {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    if (r.error || r.status !== 0) return { ok: false, reason: `${bin} is not installed (Debian: apt-get install -y redis-server redis-tools)` };
  }
  const v = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout;
  return { ok: true, version: /v=(\S+)/.exec(v)?.[1] ?? v.trim() };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

type Reply = string | number | null | Reply[] | Error;

/** A minimal RESP2 client: enough for GEOADD loads and GEOSEARCH replies. */
export class RespClient {
  private buffer = Buffer.alloc(0);
  private readonly waiting: ((r: Reply) => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      for (;;) {
        const parsed = parse(this.buffer, 0);
        if (!parsed) break;
        this.buffer = this.buffer.subarray(parsed.end);
        this.waiting.shift()?.(parsed.value);
      }
    });
  }

  static connect(port: number): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const s = new Socket();
      s.once('error', reject);
      s.connect(port, '127.0.0.1', () => resolve(new RespClient(s)));
    });
  }

  /** Sends all commands in one write (pipelined) and resolves with every reply. */
  pipeline(commands: (string | number)[][]): Promise<Reply[]> {
    const replies = commands.map(() => new Promise<Reply>((resolve) => this.waiting.push(resolve)));
    const parts: string[] = [];
    for (const c of commands) {
      parts.push(`*${c.length}\r\n`);
      for (const a of c) {
        const s = String(a);
        parts.push(`$${Buffer.byteLength(s)}\r\n${s}\r\n`);
      }
    }
    this.socket.write(parts.join(''));
    return Promise.all(replies);
  }

  close(): void {
    this.socket.destroy();
  }
}

function parse(buf: Buffer, at: number): { value: Reply; end: number } | null {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return null;
  const type = String.fromCharCode(buf[at]!);
  const line = buf.toString('utf8', at + 1, eol);
  const next = eol + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new Error(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return null;
      return { value: buf.toString('utf8', next, next + len), end: next + len + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const items: Reply[] = [];
      let pos = next;
      for (let i = 0; i < n; i++) {
        const item = parse(buf, pos);
        if (!item) return null;
        items.push(item.value);
        pos = item.end;
      }
      return { value: items, end: pos };
    }
    default:
      throw new Error(`unexpected RESP type ${type}`);
  }
}

export interface RedisServer {
  port: number;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: 'ignore' });
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      const c = await RespClient.connect(port);
      const [pong] = await c.pipeline([['PING']]);
      c.close();
      if (pong === 'PONG') break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('redis-server did not start');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface BenchmarkFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** `redis-benchmark --csv` for one command. */
export function redisBenchmark(port: number, clients: number, requests: number, command: string[], extra: string[] = []): BenchmarkFigures {
  const r = spawnSync('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-c', String(clients), '-n', String(requests), '--csv', ...extra, ...command], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr}`);
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  const line = r.stdout.trim().split('\n').filter((l) => !l.startsWith('"test"')).pop() ?? '';
  const cells = line.split('","').map((c) => c.replace(/"/g, ''));
  return { requestsPerSecond: Number(cells[1]), p50Ms: Number(cells[4]), p99Ms: Number(cells[6]) };
}
