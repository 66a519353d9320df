/**
 * GET (WebSocket) /v1/merchants/{id}/live and the MerchantFeed Durable
 * Object: new and changed orders reach the merchant within a second of the
 * commit, a reconnecting merchant catches up on what it missed, and the
 * object keeps its sequence across eviction; its alarm prunes old events.
 */
import { env } from 'cloudflare:workers';
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MerchantFeed } from '../../durable-objects/merchant-feed/MerchantFeed';
import { and, eq } from 'drizzle-orm';
import { orderStatusEvents, outbox } from '../../db/schema/index';
import { feedBackstopOf, merchantFeedStub, republishToMerchantFeeds } from '../../workers/services/merchant-feed';
import { toEnvelope } from '../../workers/services/outbox-relay';
import { api, createCity, createCustomer, createMerchant, createProduct, db, orderBody, payOrder, placeOrder, type Customer, type TestMerchant } from './helpers/commerce';

type Message = { type: string; seq: number; orderId?: string; status?: string; event?: string; reason?: string; [k: string]: unknown };

interface Feed {
  ws: WebSocket;
  messages: Message[];
  /** Resolves with the first message (from `from` on) matching, or fails after `timeoutMs`. */
  waitFor(match: (m: Message) => boolean, timeoutMs?: number): Promise<Message>;
  close(): void;
}

async function connect(merchantId: string, token: string | undefined, query = '', useQueryToken = false): Promise<Feed> {
  const headers: Record<string, string> = { Upgrade: 'websocket' };
  if (token && !useQueryToken) headers.Authorization = `Bearer ${token}`;
  const q = new URLSearchParams(query);
  if (token && useQueryToken) q.set('access_token', token);
  const res = await api(`/v1/merchants/${merchantId}/live${q.size ? `?${q}` : ''}`, { headers });
  if (res.status !== 101 || !res.webSocket) throw new Error(`no upgrade: ${res.status} ${await res.text()}`);
  const ws = res.webSocket;
  const messages: Message[] = [];
  const listeners = new Set<() => void>();
  ws.addEventListener('message', (e) => {
    messages.push(JSON.parse(e.data as string) as Message);
    for (const l of listeners) l();
  });
  ws.accept();
  return {
    ws,
    messages,
    waitFor(match, timeoutMs = 2_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(match);
          if (found) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    close: () => ws.close(1000, 'test done'),
  };
}

let cityId: string;
let merchant: TestMerchant;
let customer: Customer;
let product: string;

beforeAll(async () => {
  cityId = await createCity();
  merchant = await createMerchant(cityId);
  customer = await createCustomer();
  product = await createProduct(merchant.merchantId, 1200);
});

describe('live order events', () => {
  it('a new order, its payment and the merchant’s steps arrive within a second of each commit', async () => {
    const feed = await connect(merchant.merchantId, merchant.ownerToken);
    const hello = await feed.waitFor((m) => m.type === 'hello');
    await feed.waitFor((m) => m.type === 'live');

    const t0 = Date.now();
    const created = await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: product, quantity: 1 }]));
    const committedAt = Date.now();
    const createdMsg = await feed.waitFor((m) => m.type === 'status' && m.orderId === created.order.id && m.status === 'pending_payment', 1_000);
    expect(createdMsg).toMatchObject({ event: 'order.created', dispatch: 'unassigned' });
    expect(createdMsg.seq).toBeGreaterThan(hello.seq);
    expect(Date.now() - committedAt).toBeLessThan(1_000);

    await payOrder(created);
    const placed = await feed.waitFor((m) => m.orderId === created.order.id && m.status === 'placed', 1_000);
    expect(placed).toMatchObject({ event: 'order.placed' });
    await api(`/v1/orders/${created.order.id}/accept`, { method: 'POST', token: merchant.ownerToken });
    const preparing = await feed.waitFor((m) => m.orderId === created.order.id && m.status === 'preparing', 1_000);
    expect([createdMsg.seq, placed.seq, preparing.seq]).toEqual([createdMsg.seq, createdMsg.seq + 1, createdMsg.seq + 2]);
    expect(Date.now() - t0).toBeLessThan(10_000);
    feed.close();
  });

  it('a reconnecting merchant receives what it missed, in order, then live', async () => {
    const m = await createMerchant(cityId);
    const dish = await createProduct(m.merchantId, 900);
    const first = await connect(m.merchantId, m.ownerToken);
    const created = await placeOrder(customer.token, orderBody(m.merchantId, [{ productId: dish, quantity: 1 }]));
    const seen = await first.waitFor((x) => x.orderId === created.order.id);
    first.close();

    // While disconnected: the order is paid, accepted and made ready.
    await payOrder(created);
    await api(`/v1/orders/${created.order.id}/accept`, { method: 'POST', token: m.ownerToken });
    await api(`/v1/orders/${created.order.id}/ready`, { method: 'POST', token: m.ownerToken });

    const again = await connect(m.merchantId, m.ownerToken, `since=${seen.seq}`);
    await again.waitFor((x) => x.type === 'live');
    const missed = again.messages.filter((x) => x.type === 'status').map((x) => x.status);
    expect(missed).toEqual(['placed', 'preparing', 'ready']);
    const liveIndex = again.messages.findIndex((x) => x.type === 'live');
    expect(again.messages.slice(0, liveIndex).every((x) => x.type !== 'status' || x.seq > seen.seq)).toBe(true);

    // And then live again.
    const next = await placeOrder(customer.token, orderBody(m.merchantId, [{ productId: dish, quantity: 2 }]));
    await again.waitFor((x) => x.orderId === next.order.id, 1_000);
    again.close();
  });

  it('asks to resync when the client’s position is unknown', async () => {
    const feed = await connect(merchant.merchantId, merchant.ownerToken, 'since=999999999');
    expect(await feed.waitFor((m) => m.type === 'resync')).toMatchObject({ reason: 'unknown_seq' });
    feed.close();
  });
});

describe('one order’s events, in the order of its log (ADR 0075)', () => {
  const logOf = (orderId: string) => db().select().from(orderStatusEvents).where(eq(orderStatusEvents.orderId, orderId)).orderBy(orderStatusEvents.seq);

  it('every status frame carries the order’s seq and its snapshot, equal to the Postgres event at that seq', async () => {
    const m = await createMerchant(cityId);
    const dish = await createProduct(m.merchantId, 900);
    const feed = await connect(m.merchantId, m.ownerToken);
    await feed.waitFor((x) => x.type === 'live');
    const created = await placeOrder(customer.token, orderBody(m.merchantId, [{ productId: dish, quantity: 1 }]));
    await payOrder(created);
    await api(`/v1/orders/${created.order.id}/accept`, { method: 'POST', token: m.ownerToken });
    await feed.waitFor((x) => x.orderId === created.order.id && x.status === 'preparing', 2_000);
    const frames = feed.messages.filter((x) => x.type === 'status' && x.orderId === created.order.id);
    const log = await logOf(created.order.id);
    expect(frames.map((f) => f.orderSeq)).toEqual(log.map((e) => e.seq));
    for (const f of frames) {
      const e = log.find((row) => row.seq === f.orderSeq)!;
      expect(f).toMatchObject({ status: e.status, dispatch: e.dispatchState, event: e.type });
      expect(f.order).toEqual(e.snapshot);
    }
    feed.close();
  });

  it('drops an event older than one it sent, and fills a gap from the order’s log before a newer one', async () => {
    const m = await createMerchant(cityId);
    const dish = await createProduct(m.merchantId, 900);
    const created = await placeOrder(customer.token, orderBody(m.merchantId, [{ productId: dish, quantity: 1 }]));
    await payOrder(created);
    await api(`/v1/orders/${created.order.id}/accept`, { method: 'POST', token: m.ownerToken });
    await api(`/v1/orders/${created.order.id}/ready`, { method: 'POST', token: m.ownerToken });
    const log = await logOf(created.order.id);
    expect(log.map((e) => e.seq)).toEqual([1, 2, 3, 4]);

    // A feed that has seen nothing of this order yet; events are published as a lossy, reordering relay would.
    const other = await createMerchant(cityId);
    const stub = merchantFeedStub(env, other.merchantId);
    const feed = await connect(other.merchantId, other.ownerToken);
    await feed.waitFor((x) => x.type === 'live');
    const input = (seq: number) => {
      const e = log[seq - 1]!;
      return { eventId: `obx_gap_${created.order.id}_${seq}`, event: e.type!, orderId: created.order.id, status: e.status, dispatch: e.dispatchState ?? 'unassigned', at: e.at.toISOString(), orderSeq: seq, order: e.snapshot! };
    };
    await stub.publish([input(1)]);
    // seq 2 and 3 were lost; 4 arrives: 2 and 3 are read from Postgres and sent first.
    await stub.publish([input(4)]);
    // The lost ones arrive late (the queue's backstop): nothing goes out again.
    expect(await stub.publish([input(3), input(2)])).toEqual({ seqs: [] });
    expect(await stub.publish([input(4)])).toEqual({ seqs: [] });
    await feed.waitFor((x) => x.orderSeq === 4);
    const frames = feed.messages.filter((x) => x.type === 'status');
    expect(frames.map((f) => f.orderSeq)).toEqual([1, 2, 3, 4]);
    expect(frames.map((f) => f.status)).toEqual(log.map((e) => e.status));
    expect(frames.map((f) => f.seq)).toEqual([1, 2, 3, 4]);
    feed.close();
  });

  it('the queue republishes an order event whose publish was lost', async () => {
    const m = await createMerchant(cityId);
    const dish = await createProduct(m.merchantId, 900);
    const created = await placeOrder(customer.token, orderBody(m.merchantId, [{ productId: dish, quantity: 1 }]));
    const [row] = await db().select().from(outbox).where(and(eq(outbox.aggregateId, created.order.id), eq(outbox.topic, 'order.created')));
    const stub = merchantFeedStub(env, m.merchantId);
    const before = (await stub.stats()).latestSeq;
    // The commit's own publish happened; the backstop's (it goes to this feed, which is reached) is a no-op…
    const own = feedBackstopOf(toEnvelope(row!));
    expect(own?.merchantId).toBe(m.merchantId);
    expect((await republishToMerchantFeeds(env, [own!])).size).toBe(0);
    expect((await stub.stats()).latestSeq).toBe(before);
    // …and for a merchant whose feed never got it (lost), it is sent.
    const lostTo = await createMerchant(cityId);
    const envelope = toEnvelope(row!);
    const lost = feedBackstopOf({ ...envelope, data: { ...envelope.data, merchantId: lostTo.merchantId } });
    expect(lost?.merchantId).toBe(lostTo.merchantId);
    expect((await republishToMerchantFeeds(env, [lost!])).size).toBe(0);
    expect((await merchantFeedStub(env, lostTo.merchantId).stats()).latestSeq).toBe(1);
  });
});

describe('who may listen', () => {
  it('owner, staff and the API key (also via ?access_token=); others are refused', async () => {
    for (const token of [await merchant.memberToken('staff'), (await merchant.apiKey()).key]) {
      const feed = await connect(merchant.merchantId, token);
      await feed.waitFor((m) => m.type === 'live');
      feed.close();
    }
    const viaQuery = await connect(merchant.merchantId, merchant.ownerToken, '', true);
    await viaQuery.waitFor((m) => m.type === 'hello');
    viaQuery.close();

    const upgrade = { Upgrade: 'websocket' };
    const path = `/v1/merchants/${merchant.merchantId}/live`;
    expect((await api(path, { headers: upgrade })).status).toBe(401);
    expect((await api(path, { headers: upgrade, token: customer.token })).status).toBe(403);
    expect((await api(path, { headers: upgrade, token: (await createMerchant(cityId)).ownerToken })).status).toBe(404);
    expect((await api(path, { token: merchant.ownerToken })).status).toBe(426);
    expect((await api(`${path}?since=abc`, { headers: upgrade, token: merchant.ownerToken })).status).toBe(422);
  });
});

describe('the MerchantFeed Durable Object', () => {
  it('ignores a republished event id, and keeps its sequence and sockets across eviction', async () => {
    const m = await createMerchant(cityId);
    const stub = merchantFeedStub(env, m.merchantId);
    const feed = await connect(m.merchantId, m.ownerToken);
    await feed.waitFor((x) => x.type === 'live');
    const event = { eventId: 'obx_test_republish_000001', event: 'order.placed', orderId: 'ord_x', status: 'placed' as const, dispatch: 'unassigned' as const, at: new Date().toISOString() };
    expect(await stub.publish([event])).toEqual({ seqs: [1] });
    expect(await stub.publish([event])).toEqual({ seqs: [] });

    await evictDurableObject(stub);
    expect((await stub.stats()).latestSeq).toBe(1);
    await stub.publish([{ ...event, eventId: 'obx_test_republish_000002', status: 'preparing' }]);
    // The socket outlived the eviction (hibernation API) and still receives.
    expect(await feed.waitFor((x) => x.status === 'preparing')).toMatchObject({ seq: 2 });
    expect((await stub.stats()).sockets).toBe(1);
    feed.close();
  });

  it('its alarm prunes events past retention; a client behind the oldest kept event is told to resync', async () => {
    const m = await createMerchant(cityId);
    const stub = merchantFeedStub(env, m.merchantId);
    const base = { event: 'order.created', orderId: 'ord_y', status: 'pending_payment' as const, dispatch: 'unassigned' as const, at: new Date().toISOString() };
    await stub.publish([{ ...base, eventId: 'obx_prune_1' }, { ...base, eventId: 'obx_prune_2' }, { ...base, eventId: 'obx_prune_3' }]);
    // Age the first two events past the 24 h retention.
    await runInDurableObject(stub, (_instance: MerchantFeed, state) => {
      state.storage.sql.exec('update events set at_ms = ? where seq <= 2', Date.now() - 25 * 60 * 60 * 1000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.stats()).toMatchObject({ events: 1, oldestSeq: 3, latestSeq: 3 });

    const behind = await connect(m.merchantId, m.ownerToken, 'since=0');
    expect(await behind.waitFor((x) => x.type === 'resync')).toMatchObject({ reason: 'too_old' });
    behind.close();
    const current = await connect(m.merchantId, m.ownerToken, 'since=2');
    await current.waitFor((x) => x.type === 'live');
    expect(current.messages.filter((x) => x.type === 'status').map((x) => x.seq)).toEqual([3]);
    current.close();
  });
});
