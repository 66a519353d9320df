/**
 * The runtime's price of each kind of work an order needs, with none of the
 * platform's code (issue 14, goal 1; bench/lib/shape-probe.ts measures it):
 * a request answered, a Postgres round trip on the platform's own client
 * (db/client.ts, through Hyperdrive), a client's first connection, a
 * subrequest, a Durable Object RPC call, a queue message sent and consumed.
 * Each route repeats its unit `n` times in one request, so the CPU of
 * `/x?n=K` less that of an empty request, over K, is the unit's cost.
 */
import { DurableObject } from 'cloudflare:workers';
import { openDatabase } from '../../db/client';

interface ProbeEnv {
  HYPERDRIVE: { connectionString: string };
  PROBE_OBJECT: DurableObjectNamespace<ProbeObject>;
  PROBE_QUEUE: Queue<{ i: number }>;
  FETCH_TARGET: string;
}

export class ProbeObject extends DurableObject {
  ping(i: number): number {
    return i + 1;
  }
}

/** Messages the consumer has acknowledged, in this isolate (the harness runs one). */
let consumed = 0;

export default {
  async fetch(request: Request, env: ProbeEnv): Promise<Response> {
    const url = new URL(request.url);
    const n = Math.max(0, Math.min(100, Number(url.searchParams.get('n') ?? 1)));
    switch (url.pathname) {
      case '/request':
        return new Response('ok');
      case '/pg': {
        // Opened per request and not ended, as the platform's database middleware does (ADR 0003).
        const sql = openDatabase(env.HYPERDRIVE.connectionString).$client;
        for (let i = 0; i < n; i++) await sql`select 1 as one`;
        return new Response('ok');
      }
      case '/fetch':
        for (let i = 0; i < n; i++) await (await fetch(env.FETCH_TARGET, { method: 'POST', body: '{}' })).arrayBuffer();
        return new Response('ok');
      case '/do': {
        const stub = env.PROBE_OBJECT.getByName('one');
        for (let i = 0; i < n; i++) await stub.ping(i);
        return new Response('ok');
      }
      case '/queue':
        for (let i = 0; i < n; i++) await env.PROBE_QUEUE.send({ i });
        return new Response('ok');
      case '/consumed':
        return new Response(String(consumed));
      default:
        return new Response('not found', { status: 404 });
    }
  },

  async queue(batch: MessageBatch<{ i: number }>): Promise<void> {
    consumed += batch.messages.length;
    batch.ackAll();
  },
};
