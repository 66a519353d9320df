/**
 * The EVENTS consumer's backstops once per batch (issue 14): a batch's order
 * events republished to the merchant feeds once per merchant, and their
 * status calls to the city shards once per shard, not once per event; a
 * message whose feed or shard did not take its event is retried while the
 * others are consumed (workers/queue/consumer.ts, services/merchant-feed.ts,
 * services/city-shard-client.ts publishOrderStatuses).
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../db/ids';
import type { FeedEventInput } from '../../domain/protocol/merchant-feed';
import { consumeEvents } from '../../workers/queue/consumer';
import { merchantFeedStub } from '../../workers/services/merchant-feed';
import type { EventEnvelope } from '../../workers/services/events/envelope';
import { and, eq, inArray } from 'drizzle-orm';
import { outbox } from '../../db/schema/index';
import { toEnvelope } from '../../workers/services/outbox-relay';
import { loadCityGeometry } from '../../workers/services/city-shard-client';
import { shardFor } from '../../domain/shard-keys';
import { createCity, createCustomer, createMerchant, createProduct, db, orderBody, payOrder, placeOrder } from './helpers/commerce';

let cityId: string;
beforeAll(async () => {
  cityId = await createCity();
});

const orderEvent = (merchantId: string, orderId: string, seq: number, status: 'pending_payment' | 'placed', at: Date): EventEnvelope => ({
  id: newId('obx'),
  type: status === 'pending_payment' ? 'order.created' : `order.${status}`,
  createdAt: at.toISOString(),
  data: { orderId, merchantId, status, dispatch: 'unassigned', seq },
});

/** The feed namespace as the consumer sees it, recording each publish; `down` merchants' feeds cannot be reached. */
function recordingFeeds(down: Set<string>) {
  const calls: { merchantId: string; inputs: FeedEventInput[] }[] = [];
  const names = new Map<string, string>();
  const ns = {
    idFromName(name: string) {
      const id = env.MERCHANT_FEED.idFromName(name);
      names.set(id.toString(), name.replace(/^merchant:/, ''));
      return id;
    },
    get(id: DurableObjectId) {
      const merchantId = names.get(id.toString())!;
      return {
        async publish(inputs: FeedEventInput[]) {
          calls.push({ merchantId, inputs });
          if (down.has(merchantId)) throw new Error('feed unreachable (test)');
          return merchantFeedStub(env, merchantId).publish(inputs);
        },
      };
    },
  };
  return { calls, env: { ...env, MERCHANT_FEED: ns as unknown as Env['MERCHANT_FEED'] } };
}

describe('the merchant feed backstop, per batch', () => {
  it('publishes each merchant’s events in one call, in order; retries only the unreachable merchant’s messages', async () => {
    const [a, b] = [await createMerchant(cityId), await createMerchant(cityId)];
    const t0 = Date.now() - 60_000;
    const [o1, o2, o3] = [newId('ord'), newId('ord'), newId('ord')];
    const events = [
      orderEvent(a.merchantId, o1, 1, 'pending_payment', new Date(t0)),
      orderEvent(a.merchantId, o1, 2, 'placed', new Date(t0 + 1_000)),
      orderEvent(a.merchantId, o2, 1, 'pending_payment', new Date(t0 + 2_000)),
      orderEvent(b.merchantId, o3, 1, 'pending_payment', new Date(t0 + 3_000)),
      orderEvent(b.merchantId, o3, 2, 'placed', new Date(t0 + 4_000)),
    ];
    const messages = events.map((body, i) => ({ id: `feed-batch-${i}-${body.id}`, timestamp: new Date(), attempts: 1, body }));
    const batch = createMessageBatch('delivery-events', messages);
    const feeds = recordingFeeds(new Set([b.merchantId]));
    const ctx = createExecutionContext();
    await consumeEvents(batch, feeds.env as Env);
    const result = await getQueueResult(batch, ctx);

    // One publish per merchant, carrying its events (one order's in the order they happened).
    expect(feeds.calls.map((c) => c.merchantId).sort()).toEqual([a.merchantId, b.merchantId].sort());
    const toA = feeds.calls.find((c) => c.merchantId === a.merchantId)!.inputs;
    expect(toA.map((i) => i.eventId).sort()).toEqual(events.slice(0, 3).map((e) => e.id).sort());
    expect(toA.filter((i) => i.orderId === o1).map((i) => i.status)).toEqual(['pending_payment', 'placed']);
    // A's feed got them; B's messages go round again, A's are consumed.
    expect((await merchantFeedStub(env, a.merchantId).stats()).latestSeq).toBe(3);
    expect([...result.explicitAcks].sort()).toEqual(messages.slice(0, 3).map((m) => m.id).sort());
    expect(result.retryMessages.map((r) => r.msgId).sort()).toEqual(messages.slice(3).map((m) => m.id).sort());

    // The retry, with B's feed back: published, consumed, and A's feed not told again.
    const again = createMessageBatch('delivery-events', messages.slice(3).map((m) => ({ ...m, attempts: 2 })));
    const healed = recordingFeeds(new Set());
    const ctx2 = createExecutionContext();
    await consumeEvents(again, healed.env as Env);
    const second = await getQueueResult(again, ctx2);
    expect(healed.calls.map((c) => c.merchantId)).toEqual([b.merchantId]);
    expect((await merchantFeedStub(env, b.merchantId).stats()).latestSeq).toBe(2);
    expect([...second.explicitAcks].sort()).toEqual(messages.slice(3).map((m) => m.id).sort());
    expect(second.retryMessages).toEqual([]);
  });

  it('consumes a batch without order events without touching any feed', async () => {
    const batch = createMessageBatch('delivery-events', [{ id: `feed-none-${newId('obx')}`, timestamp: new Date(), attempts: 1, body: { id: newId('obx'), type: 'account.password_changed', createdAt: new Date().toISOString(), data: { userId: newId('usr') } } }]);
    const feeds = recordingFeeds(new Set());
    const ctx = createExecutionContext();
    await consumeEvents(batch, feeds.env as Env);
    const result = await getQueueResult(batch, ctx);
    expect(feeds.calls).toEqual([]);
    expect(result.explicitAcks).toHaveLength(1);
  });
});

/** The shard namespace as the consumer sees it, recording each batch call; `answer` may refuse some updates or throw. */
function recordingShards(answer?: (updates: { orderId: string }[]) => boolean[] | 'unreachable') {
  const calls: { shard: string; updates: { orderId: string; status: string; seq?: number }[] }[] = [];
  const ns = {
    getByName(name: string) {
      const real = env.CITY_SHARD.getByName(name);
      return new Proxy(real, {
        get(target, prop) {
          if (prop !== 'orderStatusesChanged') return Reflect.get(target, prop);
          return async (updates: { orderId: string; status: string; seq?: number }[]) => {
            calls.push({ shard: name, updates });
            const forced = answer?.(updates);
            if (forced === 'unreachable') throw new Error('shard unreachable (test)');
            const applied = await real.orderStatusesChanged(updates);
            return forced ?? applied;
          };
        },
      });
    },
  };
  return { calls, env: { ...env, CITY_SHARD: ns as unknown as Env['CITY_SHARD'] } };
}

describe('the city shard backstop, per batch', () => {
  it('sends one call per shard with every status of the batch; a refused or unreachable update retries its message only', async () => {
    const m = await createMerchant(cityId);
    const dish = await createProduct(m.merchantId, 1200);
    const customer = await createCustomer();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await placeOrder(customer.token, orderBody(m.merchantId, [{ productId: dish, quantity: 1 }]));
      await payOrder(created);
      ids.push(created.order.id);
    }
    // The orders' `placed` events as the relay sends them (their commit's own calls already happened).
    let rows: (typeof outbox.$inferSelect)[] = [];
    for (let tries = 0; tries < 100 && rows.length < 3; tries++) {
      rows = await db().select().from(outbox).where(and(inArray(outbox.aggregateId, ids), eq(outbox.topic, 'order.placed')));
      if (rows.length < 3) await new Promise((r) => setTimeout(r, 50));
    }
    expect(rows).toHaveLength(3);
    const messages = ids.map((id, i) => {
      const body = toEnvelope(rows.find((r) => r.aggregateId === id)!);
      return { id: `shard-batch-${i}-${body.id}`, timestamp: new Date(), attempts: 1, body };
    });
    const refused = ids[1]!;

    // The shard refuses the second order's update: that message goes round again, the others are consumed.
    const shards = recordingShards((updates) => updates.map((u) => u.orderId !== refused));
    const batch = createMessageBatch('delivery-events', messages);
    await consumeEvents(batch, shards.env as Env);
    const result = await getQueueResult(batch, createExecutionContext());
    expect(shards.calls).toHaveLength(1);
    expect(shards.calls[0]!.updates.map((u) => u.orderId).sort()).toEqual([...ids].sort());
    expect(shards.calls[0]!.updates.every((u) => u.status === 'placed' && (u.seq ?? 0) >= 2)).toBe(true);
    expect(result.retryMessages.map((r) => r.msgId)).toEqual([messages[1]!.id]);
    expect([...result.explicitAcks].sort()).toEqual([messages[0]!.id, messages[2]!.id].sort());

    // A shard that cannot be reached: every message of the batch is retried.
    const down = recordingShards(() => 'unreachable');
    const again = createMessageBatch('delivery-events', messages.map((msg) => ({ ...msg, attempts: 2 })));
    await consumeEvents(again, down.env as Env);
    const second = await getQueueResult(again, createExecutionContext());
    expect(down.calls).toHaveLength(1);
    expect(second.explicitAcks).toEqual([]);
    expect(second.retryMessages.map((r) => r.msgId).sort()).toEqual(messages.map((msg) => msg.id).sort());
  });

  it('the shard applies each update of a batch on its own and says which it refused', async () => {
    const city = await loadCityGeometry(db(), await createCity());
    const stub = env.CITY_SHARD.getByName(shardFor(city!, null).key);
    const answers = await stub.orderStatusesChanged([
      { orderId: 'ord_batch_probe_1', status: 'placed', dispatch: null, seq: 2, at: new Date().toISOString() },
      { orderId: 'ord_batch_probe_2', status: 'not-a-status', dispatch: null },
      { orderId: 'ord_batch_probe_3', status: 'cancelled', dispatch: null, seq: 3, at: new Date().toISOString() },
    ]);
    expect(answers).toEqual([true, false, true]);
  });
});
