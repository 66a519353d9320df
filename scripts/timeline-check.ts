/**
 * `npm run timeline:check`: the order-timeline check of a running platform
 * (`npm start`), as a new client would see it (ADR 0075). It signs in as the
 * demo merchants, registers a webhook endpoint for each at the local receiver
 * fake that answers every delivery `--slow-ms` late (5 s by default), listens
 * to each merchant's live feed and to the order channel of every new order,
 * and once `--orders` orders have ended (or `--minutes` passed) compares
 * every webhook, order-channel frame and feed frame with the Postgres event
 * at its seq: present, in seq order per order, equal. It also reports how
 * long orders sat assigned before pickup. The simulator's own summary line
 * gives "assignment → readable by the driver".
 *
 * Options: --base URL (http://127.0.0.1:8787), --receiver URL
 * (http://127.0.0.1:12115), --orders N (50), --minutes M (20),
 * --slow-ms MS (5000), --drain-minutes M (10). DATABASE_URL overrides the
 * embedded Postgres of `npm start`.
 */
import postgres from 'postgres';
import { DEMO_MERCHANTS, DEMO_PASSWORD } from './lib/demo-city';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const BASE = arg('base', 'http://127.0.0.1:8787');
const RECEIVER = arg('receiver', `http://127.0.0.1:${process.env.NOTIFICATION_FAKES_PORT ? Number(process.env.NOTIFICATION_FAKES_PORT) + 3 : 12115}`);
const ORDERS = Number(arg('orders', '50'));
const MINUTES = Number(arg('minutes', '20'));
const SLOW_MS = Number(arg('slow-ms', '5000'));
const DRAIN_MINUTES = Number(arg('drain-minutes', '10'));
const DATABASE_URL = process.env.DATABASE_URL ?? `postgres://postgres:password@127.0.0.1:${process.env.PGPORT ?? 54329}/delivery`;
const TERMINAL = new Set(['delivered', 'cancelled', 'rejected', 'failed']);

type Frame = { type: string; at?: string; orderId?: string; seq?: number; orderSeq?: number; status?: string; dispatch?: string; order?: Record<string, unknown> };
interface Observed {
  /** Placed after the check started: only these are counted and compared. */
  fresh: boolean;
  feed: Frame[];
  channel: Frame[];
  /** When the check first heard of the order (its channel was opened then). */
  since: number;
  terminalAt?: number;
}
let done = false;

async function call<T>(path: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(`${BASE}${path}`, {
    method: init.method ?? (init.body ? 'POST' : 'GET'),
    headers: { ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}), ...(init.body ? { 'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID() } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const receiver = async (path: string, body?: unknown) => {
  const res = await fetch(`${RECEIVER}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`receiver ${path}: ${res.status}`);
  return res.json() as Promise<unknown>;
};

const closes = { feed: 0, channel: 0 };

function listen(url: string, onFrame: (f: Frame) => void, onClose?: () => void): WebSocket {
  const ws = new WebSocket(url);
  ws.addEventListener('message', (e) => onFrame(JSON.parse(String(e.data)) as Frame));
  if (onClose) ws.addEventListener('close', onClose);
  return ws;
}

async function main(): Promise<void> {
  const observed = new Map<string, Observed>();
  const sockets: WebSocket[] = [];
  const hooks: string[] = [];
  const wsBase = BASE.replace(/^http/, 'ws');
  const started = Date.now();
  const tokens = new Map<string, string>();

  for (const m of DEMO_MERCHANTS) {
    const { accessToken } = await call<{ accessToken: string }>('/v1/auth/login', { body: { email: m.ownerEmail, password: DEMO_PASSWORD } });
    const me = await call<{ merchantId: string }>('/v1/me', { token: accessToken });
    tokens.set(me.merchantId, accessToken);
    const name = `timeline-${me.merchantId}-${started}`;
    const hook = await call<{ id: string; secret: string }>(`/v1/merchants/${me.merchantId}/webhooks`, { token: accessToken, body: { url: `${RECEIVER}/hooks/${name}`, events: ['*'] } });
    await receiver('/_fake/secrets', { name, secret: hook.secret });
    await receiver('/_fake/faults', { match: `/hooks/${name}`, mode: 'slow', delayMs: SLOW_MS });
    hooks.push(name);
    // The feed socket reconnects with ?since= (a closed socket must not hide orders); `since=0` first: the
    // feed's backlog names the orders placed before the check started too.
    let feedSeq = 0;
    const connectFeed = () => {
      sockets.push(
        listen(
          `${wsBase}/v1/merchants/${me.merchantId}/live?since=${feedSeq}&access_token=${accessToken}`,
          (f) => {
            if (typeof f.seq === 'number' && f.type === 'status') feedSeq = Math.max(feedSeq, f.seq);
            if (f.type !== 'status' || !f.orderId) return;
            let o = observed.get(f.orderId);
            if (!o) {
              // A new order: watch its own channel too, as its merchant.
              const fresh = f.orderSeq === 1 && Date.parse(f.at ?? '') >= started;
              observed.set(f.orderId, (o = { fresh, feed: [], channel: [], since: Date.now() }));
              const mine = o;
              sockets.push(listen(`${wsBase}/v1/orders/${f.orderId}/live?access_token=${accessToken}`, (c) => c.type === 'status' && mine.channel.push(c), () => void closes.channel++));
            }
            if (f.orderSeq !== undefined && o.feed.some((x) => x.orderSeq === f.orderSeq)) return; // replayed on reconnect
            o.feed.push(f);
            if (f.status && TERMINAL.has(f.status)) o.terminalAt ??= Date.now();
          },
          () => {
            closes.feed++;
            if (!done) setTimeout(connectFeed, 500);
          },
        ),
      );
    };
    connectFeed();
  }
  console.log(`timeline-check: ${DEMO_MERCHANTS.length} merchants, webhooks answering ${SLOW_MS} ms late; waiting for ${ORDERS} orders to end (at most ${MINUTES} min)…`);

  const ended = () => [...observed.values()].filter((o) => o.fresh && o.terminalAt !== undefined).length;
  while (ended() < ORDERS && Date.now() - started < MINUTES * 60_000) {
    await new Promise((r) => setTimeout(r, 5_000));
    process.stdout.write(`\r  orders seen ${observed.size}, ended ${ended()} (${Math.round((Date.now() - started) / 1000)} s)   `);
  }
  console.log('');
  done = true;

  const sql = postgres(DATABASE_URL, { max: 2, onnotice: () => {} });
  const orderIds = [...observed.keys()];
  type Row = { order_id: string; seq: number; type: string | null; status: string; dispatch_state: string | null; snapshot: Record<string, unknown> | null; at: Date };
  const rows = await sql<Row[]>`
    select order_id, seq, type, status, dispatch_state, snapshot, at from order_status_events where order_id = any(${orderIds}) order by order_id, seq`;
  const log = new Map<string, Row[]>();
  for (const r of rows) log.set(r.order_id, [...(log.get(r.order_id) ?? []), r]);
  const subscribed = new Set(['order.created', 'order.placed', 'order.preparing', 'order.ready', 'order.assigned', 'order.in_delivery', 'order.delivered', 'order.cancelled', 'order.rejected', 'order.failed']);

  // Webhooks: wait (bounded) until every order event of the ended orders has arrived.
  type Received = { body: { id: string; type: string; seq?: number; data: { order: Record<string, unknown> } } };
  const received = async () => (await Promise.all(hooks.map(async (h) => ((await receiver(`/_fake/received?name=${h}`)) as { items: Received[] }).items))).flat();
  const endedIds = orderIds.filter((id) => observed.get(id)!.fresh && observed.get(id)!.terminalAt !== undefined);
  // Events from before the endpoints were registered (orders the feed's backlog named) were never theirs to receive.
  const expected = endedIds.reduce((n, id) => n + (log.get(id) ?? []).filter((e) => e.type && subscribed.has(e.type) && e.at.getTime() >= started).length, 0);
  const drainUntil = Date.now() + DRAIN_MINUTES * 60_000;
  let hooksIn = await received();
  while (Date.now() < drainUntil && new Set(hooksIn.filter((r) => subscribed.has(r.body.type) && endedIds.includes(r.body.data.order.id as string)).map((r) => r.body.id)).size < expected) {
    await new Promise((r) => setTimeout(r, 5_000));
    hooksIn = await received();
    process.stdout.write(`\r  webhooks of ended orders received ${new Set(hooksIn.filter((r) => endedIds.includes(r.body.data.order.id as string)).map((r) => r.body.id)).size} of ${expected}…   `);
  }
  console.log('');

  const problems: string[] = [];
  const counts = { webhooks: 0, channel: 0, feed: 0, withoutSeq: 0 };
  const check = (what: string, orderId: string, items: { seq: number | undefined; status?: unknown; dispatch?: unknown }[]) => {
    const events = log.get(orderId) ?? [];
    let last = 0;
    for (const f of items) {
      if (f.seq === undefined) {
        counts.withoutSeq++;
        problems.push(`${what} ${orderId}: a frame without seq`);
        continue;
      }
      if (f.seq <= last) problems.push(`${what} ${orderId}: seq ${f.seq} after ${last}`);
      last = Math.max(last, f.seq);
      const e = events.find((x) => x.seq === f.seq);
      if (!e) problems.push(`${what} ${orderId}: seq ${f.seq} not in Postgres`);
      else if (f.status !== e.status || (f.dispatch !== undefined && f.dispatch !== (e.dispatch_state ?? 'unassigned'))) problems.push(`${what} ${orderId} seq ${f.seq}: ${String(f.status)}/${String(f.dispatch)} ≠ Postgres ${e.status}/${e.dispatch_state}`);
    }
  };
  for (const id of endedIds) {
    const o = observed.get(id)!;
    counts.feed += o.feed.length;
    counts.channel += o.channel.length;
    check('feed', id, o.feed.map((f) => ({ seq: f.orderSeq, status: f.status, dispatch: f.dispatch })));
    check('order channel', id, o.channel.map((f) => ({ seq: f.seq, status: f.status, dispatch: f.dispatch })));
    const mine = new Map<string, Received>();
    for (const r of hooksIn) if (r.body.data.order.id === id && subscribed.has(r.body.type)) mine.set(r.body.id, r);
    // In the order they arrived (the receiver's list is in arrival order), once per Webhook-Id.
    const arrivals = [...mine.values()];
    counts.webhooks += arrivals.length;
    check('webhook', id, arrivals.map((r) => ({ seq: r.body.seq, status: r.body.data.order.status, dispatch: r.body.data.order.dispatch })));
  }

  // How long orders sat assigned before pickup (or until now, if still assigned).
  const assignedFor: number[] = [];
  for (const id of orderIds.filter((x) => observed.get(x)!.fresh)) {
    const events = log.get(id) ?? [];
    const a = events.find((e) => e.type === 'order.assigned');
    if (!a) continue;
    const next = events.find((e) => e.seq > a.seq && (e.status === 'in_delivery' || TERMINAL.has(e.status)));
    assignedFor.push(((next?.at ?? new Date()).getTime() - a.at.getTime()) / 1000);
  }
  assignedFor.sort((a, b) => a - b);
  await sql.end();
  for (const ws of sockets) ws.close();

  console.log(`orders placed after the start and ended ${endedIds.length} (orders seen ${orderIds.length}); Postgres events ${endedIds.reduce((n, id) => n + (log.get(id)?.length ?? 0), 0)}`);
  console.log(`webhooks ${counts.webhooks} (expected ${expected}), order-channel frames ${counts.channel}, feed frames ${counts.feed}, without seq ${counts.withoutSeq}; sockets closed by the other side: feed ${closes.feed}, order channels ${closes.channel}`);
  console.log(`assigned before pickup: median ${assignedFor[Math.floor(assignedFor.length / 2)]?.toFixed(1) ?? '-'} s, max ${assignedFor.at(-1)?.toFixed(1) ?? '-'} s, over 2 min ${assignedFor.filter((s) => s > 120).length}`);
  console.log(problems.length === 0 ? 'every frame carries seq, arrives per order in seq order and equals the Postgres event at that seq' : `${problems.length} problems:\n  ${problems.slice(0, 40).join('\n  ')}`);
  process.exit(problems.length === 0 && counts.webhooks >= expected ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
