/**
 * The pieces of the order-timeline model test (test/workers/order-timeline-model.test.ts):
 * a seeded random source, the "network" that delivers the city shard's facts
 * and the outbox's envelopes lossily, twice and out of order, and the
 * invariants every view of an order must keep against the Postgres log
 * (order_status_events). The invariant checks are pure: they take what was
 * observed and return the violations as sentences.
 */
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { asc, inArray, or, sql } from 'drizzle-orm';
import { seededRandom } from '../../../scripts/lib/seeded-random';
import { orders, orderStatusEvents, outbox } from '../../../db/schema/index';
import type { CityShard } from '../../../durable-objects/city-shard/CityShard';
import type { TestCityShard } from '../../support/test-city-shard';
import type { EventSink, ShardEvent } from '../../../durable-objects/city-shard/events';
import { isTerminal, statusRank, WEBHOOK_EVENT_TYPES, type DispatchState, type OrderStatus } from '../../../domain/order';
import { handleMessage, type ConsumerDeps } from '../../../workers/queue/consumer';
import { scheduleWebhookRetry } from '../../../workers/queue/retry-message';
import { buildSenders } from '../../../workers/queue/senders';
import { afterOrderCommit } from '../../../workers/services/order-commit';
import { toEnvelope } from '../../../workers/services/outbox-relay';
import { shardBackstop } from '../../../workers/services/orders/shard-backstop';
import { cancelOrderDispatch, loadCityGeometry, shardOrderOf } from '../../../workers/services/city-shard-client';
import { db } from './commerce';

// ---- randomness ----------------------------------------------------------------

export interface Rng {
  next(): number;
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
  shuffle<T>(items: readonly T[]): T[];
}

export function rngOf(seed: number): Rng {
  const next = seededRandom(seed);
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    pick: (items) => items[int(items.length)]!,
    chance: (p) => next() < p,
    shuffle: (items) => {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    },
  };
}

// ---- the Postgres log ------------------------------------------------------------

export interface LogEvent {
  seq: number;
  type: string | null;
  status: OrderStatus;
  dispatch: DispatchState;
  driverId: string | null;
  snapshot: { seq?: number; status?: string; dispatch?: string } | null;
}

export type Logs = Map<string, LogEvent[]>;

export async function readLogs(orderIds: readonly string[]): Promise<Logs> {
  const logs: Logs = new Map(orderIds.map((id) => [id, []]));
  if (orderIds.length === 0) return logs;
  const rows = await db()
    .select()
    .from(orderStatusEvents)
    .where(inArray(orderStatusEvents.orderId, [...orderIds]))
    .orderBy(asc(orderStatusEvents.orderId), asc(orderStatusEvents.seq));
  for (const r of rows) {
    const snapshot = (r.snapshot ?? null) as LogEvent['snapshot'] & { driverId?: string | null };
    logs.get(r.orderId)!.push({ seq: r.seq!, type: r.type, status: r.status as OrderStatus, dispatch: r.dispatchState as DispatchState, driverId: snapshot?.driverId ?? null, snapshot });
  }
  return logs;
}

export async function readOrders(orderIds: readonly string[]) {
  if (orderIds.length === 0) return [];
  return db().select().from(orders).where(inArray(orders.id, [...orderIds]));
}

/** `unassigned` ⇄ `offered` is a legitimate move both ways (an offer declined or expired with nobody else free); past them, only forward. */
export const dispatchRank = (d: DispatchState): number => ({ unassigned: 0, offered: 0, assigned: 1, picked_up: 2, dropped_off: 3 })[d];

/** The log itself: seqs 1..n, each row's snapshot agrees with its columns, nothing goes backwards, one driver at most. */
export function checkLog(orderId: string, log: readonly LogEvent[]): string[] {
  const out: string[] = [];
  log.forEach((e, i) => {
    if (e.seq !== i + 1) out.push(`log ${orderId}: seq ${e.seq} at position ${i + 1} (gap or duplicate)`);
    if (e.snapshot && (e.snapshot.seq !== e.seq || e.snapshot.status !== e.status || e.snapshot.dispatch !== e.dispatch)) out.push(`log ${orderId}@${e.seq}: snapshot ${JSON.stringify(e.snapshot)} differs from its row`);
    const prev = log[i - 1];
    if (!prev) return;
    if (isTerminal(prev.status)) out.push(`log ${orderId}@${e.seq}: ${e.type} after terminal ${prev.status}`);
    if (statusRank(e.status) < statusRank(prev.status)) out.push(`log ${orderId}@${e.seq}: status ${prev.status} -> ${e.status}`);
    if (dispatchRank(e.dispatch) < dispatchRank(prev.dispatch)) out.push(`log ${orderId}@${e.seq}: dispatch ${prev.dispatch} -> ${e.dispatch}`);
    if (prev.driverId && e.driverId !== prev.driverId) out.push(`log ${orderId}@${e.seq}: driver ${prev.driverId} -> ${e.driverId}`);
  });
  return out;
}

// ---- views: frames with a seq ---------------------------------------------------------

export interface SeqFrame {
  seq: number | undefined;
  status: string;
  dispatch: string;
}

/**
 * A channel that carries an order's events with their seq (order channel,
 * merchant feed): strictly increasing, never ahead of the log, and each frame
 * is the log's event at that seq. Gaps are allowed (a watcher is told the
 * latest, not every step); a frame without a seq may not go backwards by rank.
 */
export function checkSeqChannel(channel: string, orderId: string, frames: readonly SeqFrame[], log: readonly LogEvent[]): string[] {
  const out: string[] = [];
  let last: SeqFrame | undefined;
  let lastSeq = 0;
  frames.forEach((f, i) => {
    const where = `${channel} ${orderId} frame #${i + 1} ${JSON.stringify(f)}`;
    if (f.seq === undefined) {
      out.push(`${where}: no seq`);
    } else {
      const before = frames.slice(0, i).map((x) => x.seq).join(',');
      // Told again what it was just told (the message names no count, so one repeat reads as one violation).
      if (f.seq === lastSeq) out.push(`${channel} ${orderId}: repeats seq ${f.seq} (${f.status}/${f.dispatch})`);
      if (f.seq < lastSeq) out.push(`${channel} ${orderId}: goes back to seq ${f.seq} (${f.status}/${f.dispatch}) after frames ${before}`);
      const e = log[f.seq - 1];
      if (!e) out.push(`${where}: seq beyond the log (${log.length} events)`);
      else if (e.status !== f.status || e.dispatch !== f.dispatch) out.push(`${where}: the log at ${f.seq} says ${e.status}/${e.dispatch}`);
      lastSeq = Math.max(lastSeq, f.seq);
    }
    if (last && (statusRank(f.status as OrderStatus) < statusRank(last.status as OrderStatus) || dispatchRank(f.dispatch as DispatchState) < dispatchRank(last.dispatch as DispatchState))) {
      out.push(`${where}: goes back from ${last.status}/${last.dispatch}`);
    }
    last = f;
  });
  return out;
}

// ---- views: merchant webhooks -------------------------------------------------------------

export interface ReceivedHook {
  webhookId: string | null;
  verified: boolean | null;
  status: number;
  body: { id: string; type: string; seq?: number; data: { order: { id: string; seq?: number; status: string; dispatch: string } } };
}

const PUBLIC_ORDER_TYPES: ReadonlySet<string> = new Set(WEBHOOK_EVENT_TYPES.filter((t) => t.startsWith('order.')));

/** Order events a `*` endpoint receives, in log order. */
export const publicEvents = (log: readonly LogEvent[]) => log.filter((e) => e.type !== null && PUBLIC_ORDER_TYPES.has(e.type));

/**
 * The webhooks of one order (first delivery of each Webhook-Id, as a receiver
 * deduplicates): its order events are exactly a prefix of the log's public
 * events, each body is the order as of its seq, and payment events sit after
 * the order event whose seq they carry.
 */
export function checkWebhooks(orderId: string, received: readonly ReceivedHook[], log: readonly LogEvent[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const mine = received.filter((r) => {
    if (r.body.data?.order?.id !== orderId) return false;
    const id = r.webhookId ?? r.body.id;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  for (const r of mine) if (r.verified !== true) out.push(`webhook ${orderId} ${r.body.type}: signature not verified`);
  const orderHooks = mine.filter((r) => r.body.type.startsWith('order.'));
  const expected = publicEvents(log);
  orderHooks.forEach((r, i) => {
    const e = expected[i];
    if (!e || e.seq !== r.body.seq || e.type !== r.body.type) {
      out.push(`webhook ${orderId}: #${i + 1} is ${r.body.type}@${r.body.seq}, the log's public event #${i + 1} is ${e ? `${e.type}@${e.seq}` : 'none'} (received ${orderHooks.map((h) => `${h.body.type}@${h.body.seq}`).join(', ')})`);
    }
  });
  let prev: { seq: number; payment: boolean } | undefined;
  for (const r of mine) {
    const seq = r.body.seq;
    if (typeof seq !== 'number') {
      out.push(`webhook ${orderId} ${r.body.type}: no seq`);
      continue;
    }
    const e = log[seq - 1];
    const o = r.body.data.order;
    if (!e) out.push(`webhook ${orderId} ${r.body.type}@${seq}: beyond the log`);
    else if (o.seq !== seq || o.status !== e.status || o.dispatch !== e.dispatch) out.push(`webhook ${orderId} ${r.body.type}@${seq}: data.order is ${o.seq}/${o.status}/${o.dispatch}, the log says ${e.status}/${e.dispatch}`);
    const payment = r.body.type.startsWith('payment.');
    // By seq; at one seq the order event first, then its payment events.
    if (prev && (seq < prev.seq || (seq === prev.seq && !payment))) out.push(`webhook ${orderId} ${r.body.type}@${seq}: arrived after ${prev.payment ? 'a payment event' : 'an order event'}@${prev.seq}`);
    prev = { seq, payment };
  }
  return out;
}

// ---- the network: shard facts and outbox envelopes -----------------------------------------

interface Parcel {
  id: string;
  label: string;
  send(): Promise<unknown>;
}

class Lane {
  pending: Parcel[] = [];
  delivered: Parcel[] = [];
  dropped: Parcel[] = [];
  deliveries = 0;
}

/**
 * Where the shard's facts, the outbox's envelopes and the announcements after
 * a dispatch fact's commit travel, each on its own lane.
 * - Shard facts are taken from the shard's event sink (they reach nobody
 *   else): deliver the oldest, a random one out of order, one again, or drop
 *   one. A dropped fact is delivered at the end of the run: the queue is at
 *   least once, so a loss is a delay.
 * - Outbox envelopes also travel the real way (the relay and the EVENTS queue
 *   in workerd, which deliver each once); this lane adds what a real queue
 *   may do on top: the same envelope again, and late (after newer ones).
 *   Dropping one from this lane leaves the real delivery as its only one.
 * - Announcements: what the consumer does after it commits a dispatch fact
 *   (afterOrderCommit: the merchant feed, the shard's watchers, the relay),
 *   held here so it can run late, after a newer commit's, or twice; a dropped
 *   one runs at the end (in production the outbox row's backstop repeats it).
 */
export class Network {
  readonly facts = new Lane();
  readonly envelopes = new Lane();
  readonly announcements = new Lane();
  private recorded: ShardEvent[] = [];
  private recordedSeen = 0;
  private outboxSeen = new Set<string>();
  reinstalls = 0;
  failures: string[] = [];
  private readonly sink: EventSink & { model: true };
  readonly deps: ConsumerDeps;

  constructor(
    private readonly shard: DurableObjectStub<CityShard>,
    private readonly orderIds: () => readonly string[],
  ) {
    this.sink = { model: true, publish: async (batch) => void this.recorded.push(...batch) };
    this.deps = consumerDeps((label, send) => void this.announcements.pending.push({ id: label, label, send }));
  }

  /** Puts the recorder in place (again, if the object was evicted and rebuilt with the real queue sink). */
  async capture(): Promise<void> {
    const sink = this.sink;
    const replaced = await runInDurableObject(this.shard, (instance: TestCityShard) => {
      if ((instance.sink as Partial<typeof sink>).model) return false;
      instance.setEventSink(sink);
      return true;
    });
    if (replaced) this.reinstalls++;
  }

  /** New shard facts and new outbox rows of the run's orders join the lanes. */
  async pull(): Promise<void> {
    for (const e of this.recorded.slice(this.recordedSeen)) this.facts.pending.push(this.message(e.id, `${e.type} ${e.orderId.slice(-6)}`, { source: 'city-shard', event: e }));
    this.recordedSeen = this.recorded.length;
    const ids = [...this.orderIds()];
    if (ids.length === 0) return;
    const rows = await db()
      .select()
      .from(outbox)
      .where(or(inArray(outbox.aggregateId, ids), inArray(sql<string>`${outbox.payload} ->> 'orderId'`, ids)))
      .orderBy(asc(outbox.createdAt));
    for (const row of rows) {
      if (this.outboxSeen.has(row.id)) continue;
      this.outboxSeen.add(row.id);
      const envelope = toEnvelope(row);
      this.envelopes.pending.push(this.message(row.id, `${row.topic} ${String(envelope.data.orderId ?? row.aggregateId).slice(-6)}`, envelope));
    }
  }

  /** A queue message, handled the way the consumer handles it. */
  private message(id: string, label: string, body: unknown): Parcel {
    let n = 0;
    return { id, label, send: () => handleMessage(body, `model-${id}-${++n}`, this.deps, env.EVENTS) };
  }

  /** What the consumer does with one message; a failure leaves it to be delivered again. */
  async deliver(lane: Lane, parcel: Parcel): Promise<string> {
    lane.deliveries++;
    try {
      await parcel.send();
      lane.delivered.push(parcel);
      return parcel.label;
    } catch (error) {
      this.failures.push(`${parcel.label}: ${String(error)}`);
      lane.pending.push(parcel);
      return `${parcel.label} (failed: ${String(error)})`;
    }
  }

  /** `how`: the oldest pending, a random pending one (out of order), a delivered one again, or drop one. */
  async act(lane: Lane, how: 'next' | 'random' | 'again' | 'drop', rng: Rng): Promise<string | null> {
    if (how === 'again') {
      if (lane.delivered.length === 0) return null;
      const parcel = rng.pick(lane.delivered);
      return `again: ${await this.deliver(lane, parcel)}`;
    }
    if (lane.pending.length === 0) return null;
    const index = how === 'next' ? 0 : rng.int(lane.pending.length);
    const [parcel] = lane.pending.splice(index, 1);
    if (how === 'drop') {
      lane.dropped.push(parcel!);
      return `dropped: ${parcel!.label}`;
    }
    return `${how}: ${await this.deliver(lane, parcel!)}`;
  }

  /** The end of the run: everything pending or dropped, in random order (and some again), until nothing new comes. */
  async drain(rng: Rng, settle: () => Promise<unknown>): Promise<number> {
    let delivered = 0;
    for (let round = 0; round < 8; round++) {
      await settle();
      await this.capture();
      await this.pull();
      const lanes = [this.facts, this.envelopes, this.announcements];
      const batch = lanes.flatMap((lane) => [...lane.pending, ...lane.dropped].map((p) => ({ lane, p })));
      for (const lane of lanes) {
        lane.pending = [];
        lane.dropped = [];
      }
      if (batch.length === 0) return delivered;
      for (const { lane, p } of rng.shuffle(batch)) {
        await this.deliver(lane, p);
        delivered++;
        if (rng.chance(0.2)) await this.deliver(lane, p);
      }
    }
    return delivered;
  }
}

/**
 * The consumer's dependencies, as consumeEvents builds them, on the test file's one database client;
 * what follows a committed dispatch fact is handed to `hold` instead of being done at once.
 */
function consumerDeps(hold: (label: string, send: () => Promise<unknown>) => void): ConsumerDeps {
  const database = db();
  return {
    db: database,
    senders: buildSenders(env),
    capture: true,
    localMode: true,
    resolve: null,
    publicBaseUrl: env.PUBLIC_BASE_URL,
    encryptionKeys: env.DATA_ENCRYPTION_KEYS,
    scheduleRetry: (endpointId, eventId, delaySeconds) => scheduleWebhookRetry(env.EVENTS, endpointId, eventId, delaySeconds),
    dispatchEffects: {
      async afterCommit(merchantId, events, order) {
        hold(`after ${events.map((e) => e.topic).join('+')} ${order.id.slice(-6)}@${order.seq}`, async () => {
          const pending: Promise<unknown>[] = [];
          afterOrderCommit(env, { waitUntil: (p) => pending.push(p) }, database, merchantId, events, order);
          await Promise.allSettled(pending);
        });
      },
      async cancelDispatch(order, reason) {
        const city = await loadCityGeometry(database, order.cityId);
        if (city) await cancelOrderDispatch(env, city, shardOrderOf(order), reason);
      },
    },
    shardBackstop: (event) => shardBackstop(env, database, event),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it answers true or `timeoutMs` passes; answers whether it did. */
export async function eventually(probe: () => Promise<boolean>, timeoutMs: number, intervalMs = 150): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}
