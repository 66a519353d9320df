/**
 * A model-based test of the order timeline (ADR 0075, docs/api.md v1.1): random
 * interleavings, from a seeded generator, of customer, merchant, driver,
 * shard and Stripe actions, with a lossy, duplicating, reordering delivery of
 * the shard's dispatch facts and of the outbox's queue messages
 * (helpers/timeline-model.ts `Network`). After every step, and at the end once
 * everything held back has been delivered, each view of each order is held
 * against the Postgres log (order_status_events):
 * - the log: seqs 1..n, nothing after a terminal status, status and dispatch
 *   never backwards (unassigned ⇄ offered is allowed), one driver at most;
 * - the order channel (GET (WebSocket) /v1/orders/{id}/live) and the merchant
 *   feed (once its frames carry `orderSeq`): seqs strictly increasing, never
 *   ahead of the log, each frame the log's event at its seq;
 * - merchant webhooks: the order events received are exactly a prefix of the
 *   log's public events, each body the order as of its seq;
 * - REST: GET /v1/orders/{id} never goes backwards between polls and is the log's
 *   event at its seq; /events is the log, 1..n;
 * - Postgres: one open order per driver at most;
 * - at the end: each order is terminal, or open in a state with a next step
 *   (the shard's job and driver agree with Postgres), and every channel caught
 *   up with the log.
 * The seed, the step and the last actions are printed with any violation.
 * Operators have no order step in the API (only dead-letter replays), so no
 * operator action is drawn.
 */
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { statusRank, isTerminal, type OrderStatus } from '../../domain/order';
import type { CityShard } from '../../durable-objects/city-shard/CityShard';
import { loadCityGeometry } from '../../workers/services/city-shard-client';
import { shardFor } from '../../domain/shard-keys';
import { Client, type Message } from './city-shard-helpers';
import {
  api, createCity, createCustomer, createDriver, createMerchant, createProduct, db, deliverWebhook, intentIdOf, json, orderBody, payOrder, placeOrder, stripeEvents,
  type CreatedOrder, type Customer, type TestMerchant,
} from './helpers/commerce';
import { fakeGet, fakePost } from './helpers/notification-world';
import {
  checkLog, checkSeqChannel, checkWebhooks, dispatchRank, eventually, Network, publicEvents, readLogs, readOrders, rngOf, sleep,
  type Logs, type ReceivedHook, type Rng, type SeqFrame,
} from './helpers/timeline-model';

const RECEIVER = inject('webhookReceiverUrl');
/** Each seed is one run: its own city (so its own shard), merchant, customer and drivers. */
const RUNS = [
  { seed: 20240611, steps: 32, orders: 4, drivers: 3 },
  { seed: 7, steps: 32, orders: 3, drivers: 2 },
  { seed: 424242, steps: 32, orders: 4, drivers: 2 },
  { seed: 99991, steps: 32, orders: 3, drivers: 3 },
];

const sockets: Client[] = [];
afterAll(() => {
  for (const s of sockets) {
    try {
      s.close();
    } catch {
      // already closed
    }
  }
});

async function connect(path: string, token: string): Promise<Client> {
  const res = await api(`${path}?access_token=${token}`, { headers: { Upgrade: 'websocket' } });
  if (res.status !== 101 || !res.webSocket) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  const c = new Client(res.webSocket);
  sockets.push(c);
  return c;
}

interface Driver {
  driverId: string;
  token: string;
  socket: Client;
  answered: Set<string>;
}

interface ModelOrder {
  id: string;
  created: CreatedOrder;
  watcher: Client;
  /** The last GET /v1/orders/{id} answer: a later one may not go backwards. */
  rest: { seq: number; status: OrderStatus; dispatch: string } | null;
}

interface World {
  rng: Rng;
  merchant: TestMerchant;
  customer: Customer;
  dish: string;
  drivers: Driver[];
  orders: ModelOrder[];
  feed: Client;
  hook: string;
  net: Network;
  shard: DurableObjectStub<CityShard>;
  maxOrders: number;
}

async function buildWorld(seed: number, maxOrders: number, driverCount: number): Promise<World> {
  const cityId = await createCity();
  const merchant = await createMerchant(cityId);
  const [customer, dish] = await Promise.all([createCustomer(), createProduct(merchant.merchantId, 1500)]);
  // The merchant's webhook endpoint, at the receiver fake, for every event.
  const hook = `model-${seed}-${crypto.randomUUID().slice(0, 6)}`;
  const registered = await api(`/v1/merchants/${merchant.merchantId}/webhooks`, { token: merchant.ownerToken, body: { url: `${RECEIVER}/hooks/${hook}`, events: ['*'] } });
  expect(registered.status).toBe(201);
  await fakePost(RECEIVER, '/_fake/secrets', { name: hook, secret: (await json<{ secret: string }>(registered)).secret });

  const city = (await loadCityGeometry(db(), cityId))!;
  const shard = env.CITY_SHARD.getByName(shardFor(city, merchant.location).key) as DurableObjectStub<CityShard>;
  const world: World = { rng: rngOf(seed), merchant, customer, dish, drivers: [], orders: [], feed: await connect(`/v1/merchants/${merchant.merchantId}/live`, merchant.ownerToken), hook, net: null!, shard, maxOrders };
  world.net = new Network(shard, () => world.orders.map((o) => o.id));
  await world.net.capture();
  for (let i = 0; i < driverCount; i++) {
    const d = await createDriver(cityId);
    const socket = await connect('/v1/drivers/me/live', d.token);
    await socket.next('session');
    socket.send({ type: 'location', lat: merchant.location.lat + 0.001 * (i + 1), lng: merchant.location.lng, at: new Date().toISOString() });
    socket.send({ type: 'availability', available: true });
    await socket.next('session');
    world.drivers.push({ ...d, socket, answered: new Set() });
  }
  // The drivers' connection may have woken the object: make sure the recorder is the sink.
  await world.net.capture();
  return world;
}

// ---- actions ------------------------------------------------------------------------------

type Row = Awaited<ReturnType<typeof readOrders>>[number];

interface Action {
  name: string;
  weight: number;
  run(): Promise<string>;
}

/**
 * A step through the API: 200, or a refusal (409 illegal, 403 a party's step that is not theirs; 404
 * for a driver who is no party to the order, `stranger`). Anything else is a defect.
 */
async function step(orderId: string, name: string, token: string, body?: unknown, stranger = false): Promise<string> {
  const res = await api(`/v1/orders/${orderId}/${name}`, { method: 'POST', token, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  expect([200, 403, 409, ...(stranger ? [404] : [])], `POST /v1/orders/${orderId}/${name}: ${res.status} ${text}`).toContain(res.status);
  return `${name} ${orderId.slice(-6)} -> ${res.status}`;
}

/** Offers a driver holds and has not answered (not withdrawn, not past their time). */
function openOffers(d: Driver): Message[] {
  const gone = new Set(d.socket.all('offer.expired').map((m) => m.offerId as string));
  return d.socket.all('offer').filter((o) => !d.answered.has(o.offerId as string) && !gone.has(o.offerId as string) && Date.parse(o.expiresAt as string) > Date.now() + 500);
}

function actionsFor(w: World, rows: readonly Row[]): Action[] {
  const { rng, merchant, customer } = w;
  const actions: Action[] = [];
  const add = (name: string, weight: number, run: () => Promise<string>) => actions.push({ name, weight, run });
  const driverOf = (row: Row) => w.drivers.find((d) => d.driverId === row.driverId);

  if (w.orders.length < w.maxOrders) {
    add('place', rows.filter((r) => !isTerminal(r.status)).length < 2 ? 6 : 2, async () => {
      const created = await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: w.dish, quantity: 1 + rng.int(2) }]));
      const watcher = await connect(`/v1/orders/${created.order.id}/live`, customer.token);
      w.orders.push({ id: created.order.id, created, watcher, rest: null });
      const pay = rng.chance(0.85);
      if (pay) await payOrder(created);
      return `place ${created.order.id.slice(-6)}${pay ? ' + pay' : ' (unpaid)'}`;
    });
  }
  for (const row of rows) {
    const id = row.id;
    if (row.status === 'pending_payment') add('customer cancel (unpaid)', 0.5, () => step(id, 'cancel', customer.token));
    if (row.status === 'placed') {
      add('merchant accept', 5, () => step(id, 'accept', merchant.ownerToken));
      add('merchant reject', 0.5, () => step(id, 'reject', merchant.ownerToken));
      add('customer cancel', 0.5, () => step(id, 'cancel', customer.token));
    }
    if (row.status === 'preparing') add('merchant ready', 3, () => step(id, 'ready', merchant.ownerToken));
    if (row.status === 'preparing' || row.status === 'ready') add('merchant cancel', 0.3, () => step(id, 'cancel', merchant.ownerToken));
    const driver = driverOf(row);
    if (driver && row.dispatchState === 'assigned' && (row.status === 'preparing' || row.status === 'ready')) add('driver arrived', 1, () => step(id, 'arrived', driver.token));
    if (driver && row.dispatchState === 'assigned' && row.status === 'ready') add('driver pickup', 4, () => step(id, 'pickup', driver.token));
    if (driver && row.status === 'in_delivery') {
      add('driver deliver', 4, async () => {
        const pin = (await json<{ deliveryPin: string }>(await api(`/v1/orders/${id}`, { token: customer.token }))).deliveryPin;
        return step(id, 'deliver', driver.token, { pin });
      });
      add('driver fail', 0.5, () => step(id, 'fail', driver.token, { reason: 'nobody home' }));
    }
  }
  for (const d of w.drivers) {
    const offers = openOffers(d);
    if (offers.length === 0) continue;
    const offer = offers[0]!;
    const answer = (type: 'offer.accept' | 'offer.decline') => async () => {
      d.answered.add(offer.offerId as string);
      d.socket.send({ type, offerId: offer.offerId, ...(type === 'offer.decline' ? { reason: 'model says no' } : {}) });
      // The answer has no reply of its own on a decline; an accept is answered once Postgres has it.
      await sleep(60);
      return `${type} ${(offer.orderId as string).slice(-6)} by ${d.driverId.slice(-4)}`;
    };
    add('driver accept offer', 5, answer('offer.accept'));
    add('driver decline offer', 2.5, answer('offer.decline'));
  }
  // A step out of turn on any order, by any party: refused (or, by luck, legal).
  if (rows.length > 0) {
    add('random step', 1, async () => {
      const row = rng.pick(rows);
      const driver = rng.chance(0.5) ? rng.pick(w.drivers) : undefined;
      const who = driver?.token ?? rng.pick([customer.token, merchant.ownerToken]);
      return `random: ${await step(row.id, rng.pick(['accept', 'reject', 'ready', 'arrived', 'pickup', 'cancel', 'accept', 'ready', 'pickup']), who, undefined, driver !== undefined && driver.driverId !== row.driverId)}`;
    });
    // Stripe delivers an event of an order's PaymentIntent again (deduplicated by its id).
    add('stripe replay', 1, async () => {
      const o = rng.pick(w.orders);
      const intent = intentIdOf(o.created.payment!.clientSecret);
      const events = await stripeEvents(intent);
      if (events.length === 0) return `stripe replay ${o.id.slice(-6)}: no events`;
      const e = rng.pick(events);
      const res = await deliverWebhook(e);
      expect(res.status, `stripe replay ${e.type}`).toBe(200);
      return `stripe replay ${e.type} ${o.id.slice(-6)}`;
    });
  }
  const { facts, envelopes } = w.net;
  const net = (name: string, weight: number, lane: typeof facts, how: 'next' | 'random' | 'again' | 'drop') =>
    add(name, weight, async () => (await w.net.act(lane, how, rng)) ?? `${name}: nothing`);
  if (facts.pending.length > 0) {
    net('fact next', 4, facts, 'next');
    net('fact out of order', 3, facts, 'random');
    net('fact drop', 1, facts, 'drop');
  }
  if (facts.delivered.length > 0) net('fact again', 1, facts, 'again');
  if (envelopes.pending.length > 0) {
    net('envelope late', 2, envelopes, 'random');
    net('envelope drop', 0.5, envelopes, 'drop');
  }
  if (envelopes.delivered.length > 0) net('envelope again', 1, envelopes, 'again');
  const { announcements } = w.net;
  if (announcements.pending.length > 0) {
    net('announce next', 3, announcements, 'next');
    net('announce out of order', 2, announcements, 'random');
    net('announce drop', 0.5, announcements, 'drop');
  }
  if (announcements.delivered.length > 0) net('announce again', 0.5, announcements, 'again');
  return actions;
}

function choose(rng: Rng, actions: readonly Action[]): Action {
  const total = actions.reduce((s, a) => s + a.weight, 0);
  let r = rng.next() * total;
  for (const a of actions) {
    r -= a.weight;
    if (r <= 0) return a;
  }
  return actions[actions.length - 1]!;
}

// ---- observation ------------------------------------------------------------------------------

let feedNoted = false;

/** Everything every view shows now, checked against the log read after it. */
async function observe(w: World, polled: readonly ModelOrder[]): Promise<{ violations: string[]; logs: Logs }> {
  const ids = w.orders.map((o) => o.id);
  // Views first, the log last: a view may only show what was committed before it was read.
  const channel = new Map(w.orders.map((o) => [o.id, o.watcher.all('status').map((m) => ({ seq: m.seq as number | undefined, status: m.status as string, dispatch: m.dispatch as string }))]));
  const feedFrames = w.feed.all('status');
  const hooks = (await fakeGet<{ items: ReceivedHook[] }>(RECEIVER, `/_fake/received?name=${w.hook}`)).items;
  const rest = await Promise.all(
    polled.map(async (o) => {
      const order = await json<{ seq: number; status: OrderStatus; dispatch: string }>(await api(`/v1/orders/${o.id}`, { token: w.customer.token }));
      const events = await json<{ items: { seq: number; status: string; dispatch: string | null }[] }>(await api(`/v1/orders/${o.id}/events`, { token: w.customer.token }));
      return { o, order, events: events.items };
    }),
  );
  const logs = await readLogs(ids);
  const rows = await readOrders(ids);
  const violations: string[] = [];
  for (const id of ids) {
    const log = logs.get(id)!;
    violations.push(...checkLog(id, log), ...checkSeqChannel('order channel', id, channel.get(id)!, log), ...checkWebhooks(id, hooks, log));
    const row = rows.find((r) => r.id === id)!;
    if (row.seq !== log.length) violations.push(`orders ${id}: seq ${row.seq}, the log has ${log.length} events`);
  }
  // The merchant feed: checked once its frames carry the order's seq.
  if (feedFrames.some((m) => 'orderSeq' in m)) {
    for (const id of ids) {
      const frames: SeqFrame[] = feedFrames.filter((m) => m.orderId === id).map((m) => ({ seq: m.orderSeq as number | undefined, status: m.status as string, dispatch: m.dispatch as string }));
      violations.push(...checkSeqChannel('merchant feed', id, frames, logs.get(id)!));
      for (const m of feedFrames.filter((f) => f.orderId === id && f.order)) {
        const snap = m.order as { seq?: number; status?: string };
        if (snap.seq !== m.orderSeq || snap.status !== m.status) violations.push(`merchant feed ${id}: frame order ${JSON.stringify({ seq: snap.seq, status: snap.status })} is not its orderSeq ${m.orderSeq}/${m.status}`);
      }
    }
  } else if (!feedNoted && feedFrames.length > 0) {
    feedNoted = true;
    console.log('order-timeline-model: merchant feed frames carry no orderSeq yet; feed assertions skipped');
  }
  for (const { o, order, events } of rest) {
    const log = logs.get(o.id)!;
    const at = log[order.seq - 1];
    if (!at || at.status !== order.status || at.dispatch !== order.dispatch) violations.push(`GET ${o.id}: ${order.seq}/${order.status}/${order.dispatch}, the log says ${at ? `${at.status}/${at.dispatch}` : 'nothing'}`);
    if (o.rest && (order.seq < o.rest.seq || statusRank(order.status) < statusRank(o.rest.status) || dispatchRank(order.dispatch as never) < dispatchRank(o.rest.dispatch as never))) {
      violations.push(`GET ${o.id}: went back from ${JSON.stringify(o.rest)} to ${order.seq}/${order.status}/${order.dispatch}`);
    }
    o.rest = { seq: order.seq, status: order.status, dispatch: order.dispatch };
    if (events.map((e) => e.seq).join() !== events.map((_, i) => i + 1).join()) violations.push(`GET ${o.id}/events: seqs ${events.map((e) => e.seq).join(',')}`);
    events.forEach((e) => {
      const l = log[e.seq - 1];
      if (!l || l.status !== e.status || l.dispatch !== e.dispatch) violations.push(`GET ${o.id}/events @${e.seq}: ${e.status}/${e.dispatch}, the log says ${l ? `${l.status}/${l.dispatch}` : 'nothing'}`);
    });
    if (events.length < order.seq) violations.push(`GET ${o.id}/events: ${events.length} events, the order (read before) is at seq ${order.seq}`);
  }
  // One open order per driver.
  const open = new Map<string, string[]>();
  for (const r of rows) if (r.driverId && !isTerminal(r.status)) open.set(r.driverId, [...(open.get(r.driverId) ?? []), r.id]);
  for (const [driverId, list] of open) if (list.length > 1) violations.push(`driver ${driverId} has ${list.length} open orders: ${list.join(', ')}`);
  return { violations, logs };
}

/** Once everything was delivered: each order ended, or open in a state something will move on, and the shard agrees. */
async function finalState(w: World, logs: Logs): Promise<string[]> {
  const out: string[] = [];
  const rows = await readOrders(w.orders.map((o) => o.id));
  for (const r of rows) {
    const job = await w.shard.dispatchLog(r.id);
    if (isTerminal(r.status)) {
      if (r.driverId) {
        const d = await w.shard.driverState(r.driverId);
        if (d?.orderId === r.id) out.push(`order ${r.id} is ${r.status} but the shard still holds driver ${r.driverId} on it`);
      }
      continue;
    }
    switch (r.status) {
      case 'pending_payment':
      case 'placed':
        break; // the customer pays or cancels; the merchant accepts or rejects
      case 'delivered':
      case 'cancelled':
      case 'rejected':
      case 'failed':
        break; // terminal: checked above
      case 'preparing':
      case 'ready':
        if (!r.driverId) {
          if (!job) out.push(`order ${r.id} is ${r.status}/${r.dispatchState} without a driver, and the shard has no dispatch job for it`);
          else if (job.dispatch !== r.dispatchState) out.push(`order ${r.id} is ${r.status}/${r.dispatchState} in Postgres, the shard's job says ${job.dispatch} (offers: ${job.offers.map((o) => `${o.status}`).join(',')})`);
        } else if (r.dispatchState !== 'assigned') {
          out.push(`order ${r.id} is ${r.status}/${r.dispatchState} with driver ${r.driverId}`);
        } else if ((await w.shard.driverState(r.driverId))?.orderId !== r.id) {
          out.push(`order ${r.id} is assigned to ${r.driverId} in Postgres, the shard's driver holds ${(await w.shard.driverState(r.driverId))?.orderId}`);
        }
        break;
      case 'in_delivery':
        if (!r.driverId || r.dispatchState !== 'picked_up') out.push(`order ${r.id} is in_delivery/${r.dispatchState} with driver ${r.driverId}`);
        break;
    }
    const log = logs.get(r.id)!;
    if (log.at(-1)?.status !== r.status) out.push(`order ${r.id}: row ${r.status}, log ends with ${log.at(-1)?.status}`);
  }
  return out;
}

/** Every channel caught up with the log: the order channel's last frame, and every public event at the webhook receiver. */
async function caughtUp(w: World, logs: Logs): Promise<string[]> {
  const out: string[] = [];
  const hooks = (await fakeGet<{ items: ReceivedHook[] }>(RECEIVER, `/_fake/received?name=${w.hook}`)).items;
  for (const o of w.orders) {
    const log = logs.get(o.id)!;
    const last = log.at(-1)!;
    const frames = o.watcher.all('status');
    if (last.status !== 'pending_payment' && frames.at(-1)?.seq !== last.seq) out.push(`order channel ${o.id}: last frame seq ${frames.at(-1)?.seq}, the log ends at ${last.seq} (${last.status}/${last.dispatch})`);
    const got = new Set(hooks.filter((h) => h.body.data?.order?.id === o.id && h.body.type.startsWith('order.')).map((h) => h.body.seq));
    const missing = publicEvents(log).filter((e) => !got.has(e.seq));
    if (missing.length > 0) out.push(`webhooks ${o.id}: never received ${missing.map((e) => `${e.type}@${e.seq}`).join(', ')}`);
    if (w.feed.all('status').some((m) => 'orderSeq' in m)) {
      const feedLast = w.feed.all('status').filter((m) => m.orderId === o.id).at(-1);
      if (feedLast?.orderSeq !== last.seq) out.push(`merchant feed ${o.id}: last orderSeq ${feedLast?.orderSeq}, the log ends at ${last.seq}`);
    }
  }
  return out;
}

// ---- the runs ---------------------------------------------------------------------------------

describe('the order timeline under random interleavings and a faulty network', () => {
  beforeAll(() => {
    feedNoted = false;
  });

  it.each(RUNS)('seed $seed: $steps steps, up to $orders orders, $drivers drivers', async ({ seed, steps, orders: maxOrders, drivers }) => {
    const started = Date.now();
    const w = await buildWorld(seed, maxOrders, drivers);
    const trail: string[] = [];
    // Violations are collected over the whole run (each with the step it was first seen at), so one
    // defect does not hide the others; the run fails at its end with all of them, the seed and the steps.
    const found = new Map<string, string>();
    const note = (where: string, violations: string[]) => {
      for (const v of violations) if (!found.has(v)) found.set(v, `${where} [after: ${trail.slice(-6).join(' | ')}]`);
    };

    for (let i = 1; i <= steps; i++) {
      await w.net.capture();
      await w.net.pull();
      const rows = await readOrders(w.orders.map((o) => o.id));
      const action = choose(w.rng, actionsFor(w, rows));
      let done: string;
      try {
        done = await action.run();
      } catch (error) {
        trail.push(`${i}. ${action.name}: threw`);
        throw new Error(`seed ${seed}, step ${i} (${action.name}): ${String(error)}\nlast actions:\n  ${trail.slice(-15).join('\n  ')}`, { cause: error });
      }
      trail.push(`${i}. ${done}`);
      const touched = w.orders.filter((o) => done.includes(o.id.slice(-6)));
      const polled = [...new Set([...touched, ...(w.orders.length > 0 ? [w.rng.pick(w.orders)] : [])])];
      note(`step ${i}`, (await observe(w, polled)).violations);
    }

    const stepsMs = Date.now() - started;
    // The end: what the network held back is delivered (dropped facts too: a queue is at least once), then everything settles.
    const drained = await w.net.drain(w.rng, () => sleep(300));
    trail.push(`end: ${drained} held-back messages delivered`);
    let last = await observe(w, w.orders);
    note('the end', last.violations);
    await eventually(async () => {
      last = await observe(w, w.orders);
      return (await caughtUp(w, last.logs)).length === 0;
    }, 15_000, 300);
    note('the end', last.violations);
    note('the end (caught up)', await caughtUp(w, last.logs));
    note('the end (final states)', await finalState(w, last.logs));
    if (found.size > 0) {
      const list = [...found].slice(0, 15).map(([v, where]) => `- ${v}\n    first at ${where}`);
      throw new Error(`seed ${seed}: ${found.size} violation(s)\n${list.join('\n')}\nsteps:\n  ${trail.join('\n  ')}`);
    }
    expect(w.net.failures, `seed ${seed}: consumer failures`).toEqual([]);

    const statuses = (await readOrders(w.orders.map((o) => o.id))).map((r) => `${r.status}/${r.dispatchState}`);
    console.log(
      `order-timeline-model seed ${seed}: ${steps} steps, ${w.orders.length} orders [${statuses.join(', ')}], ` +
        `facts ${w.net.facts.deliveries} deliveries, envelopes ${w.net.envelopes.deliveries} extra deliveries, announcements ${w.net.announcements.deliveries}, ` +
        `events ${[...last.logs.values()].reduce((s, l) => s + l.length, 0)}, sink reinstalls ${w.net.reinstalls}, ${stepsMs} ms of steps, ${Date.now() - started} ms in all`,
    );
  }, 60_000);
});
