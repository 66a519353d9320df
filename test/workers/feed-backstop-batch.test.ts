/**
 * The EVENTS consumer republishes a batch's order events to the merchant
 * feeds once per merchant, not once per event (issue 14), and a merchant whose
 * feed cannot be reached has its messages retried while the others are
 * consumed (workers/queue/consumer.ts, services/merchant-feed.ts).
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../db/ids';
import type { FeedEventInput } from '../../domain/protocol/merchant-feed';
import { consumeEvents } from '../../workers/queue/consumer';
import { merchantFeedStub } from '../../workers/services/merchant-feed';
import type { EventEnvelope } from '../../workers/services/events/envelope';
import { createCity, createMerchant } from './helpers/commerce';

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
