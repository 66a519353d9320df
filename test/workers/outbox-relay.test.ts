/**
 * The outbox relay: committed rows reach the EVENTS queue promptly after a
 * kick, are marked only once the queue accepted them, survive a queue that
 * fails (and a relay that dies after sending), and the cron publishes what
 * the prompt path left behind.
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { devMessages, outbox } from '../../db/schema/index';
import worker from '../../workers/index';
import type { EventEnvelope } from '../../workers/services/events/envelope';
import { outboxEvent, writeOutbox, type OutboxEvent } from '../../workers/services/outbox';
import { kickOutboxRelay, markAndSend, publishCommitted, relayOutboxOnce, type EventPublisher } from '../../workers/services/outbox-relay';
import { ACK_DEADLINE_MS, redeliverOnce } from '../../workers/queue/redelivery';
import { createMerchant, createOrder, createUser, db, fakeGet, writeOutboxRow } from './helpers/notification-world';

const rowsOf = (ids: string[]) => db().select().from(outbox).where(inArray(outbox.id, ids));

class RecordingQueue implements EventPublisher {
  sent: EventEnvelope[] = [];
  constructor(private readonly behaviour: 'ok' | 'fail' | 'fail-after-send' | 'hang' = 'ok', private readonly delayMs = 0) {}
  async sendBatch(messages: Iterable<{ body: EventEnvelope }>): Promise<void> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.behaviour === 'hang') return new Promise(() => {});
    if (this.behaviour === 'fail') throw new Error('Queue send failed: 503 Service Unavailable');
    for (const m of messages) this.sent.push(m.body);
    if (this.behaviour === 'fail-after-send') throw new Error('network connection lost');
  }
}

async function someRows(n = 2) {
  const m = await createMerchant();
  const order = await createOrder(m, null, { contact: { phone: '+33600000002' } });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await writeOutboxRow('order.preparing', order.orderId, { status: 'preparing' }));
  return { ids, orderId: order.orderId };
}

/** Published once, within a second of its commit; the real queue delivers it to the Worker's consumer, which texts the customer once. */
async function expectPublishedPromptlyAndTexted(id: string, orderId: string) {
  const [row] = await rowsOf([id]);
  expect(row!.publishedAt).not.toBeNull();
  expect(row!.attempts).toBe(1);
  expect(row!.publishedAt!.getTime() - row!.createdAt.getTime()).toBeLessThan(1000);
  await expect
    .poll(async () => (await db().select().from(devMessages).where(eq(devMessages.orderId, orderId))).length, { timeout: 10_000, interval: 200 })
    .toBe(1);
}

/** Events committed as a writer commits them (the row written from the event it then publishes). */
async function committedEvents(n = 2): Promise<{ events: OutboxEvent[]; orderId: string }> {
  const m = await createMerchant();
  const order = await createOrder(m, null, { contact: { phone: '+33600000002' } });
  const events = Array.from({ length: n }, (_, i) => outboxEvent('order.preparing', { type: 'order', id: order.orderId }, { status: 'preparing', step: i }, new Date(Date.now() + i)));
  await writeOutbox(db(), events);
  return { events, orderId: order.orderId };
}

describe("the writer's own publish", () => {
  it('sends what it committed, marked once, with no claim: the consumer handles it', async () => {
    const m = await createMerchant();
    const customer = await createUser('customer', { prefs: { sms: true, email: false, push: false } });
    const order = await createOrder(m, customer, { status: 'in_delivery' });
    const events = [outboxEvent('order.in_delivery', { type: 'order', id: order.orderId }, { status: 'in_delivery' })];
    await writeOutbox(db(), events);

    const ctx = createExecutionContext();
    expect(publishCommitted(env, ctx, db(), events)).toBe(true);
    await waitOnExecutionContext(ctx);
    await expectPublishedPromptlyAndTexted(events[0]!.id, order.orderId);
  });

  it('the envelope is the relay’s, in the order committed, and a second writer in the same tick joins the first', async () => {
    const a = await committedEvents(2);
    const b = await committedEvents(1);
    const ctxA = createExecutionContext();
    const ctxB = createExecutionContext();
    expect(publishCommitted(env, ctxA, db(), a.events)).toBe(true);
    expect(publishCommitted(env, ctxB, db(), b.events)).toBe(false);
    await waitOnExecutionContext(ctxA);
    const ids = [...a.events, ...b.events].map((e) => e.id);
    for (const row of await rowsOf(ids)) {
      expect(row.publishedAt).not.toBeNull();
      expect(row.attempts).toBe(1);
    }
    // The envelope as the relay builds it from the row, in commit order.
    const queue = new RecordingQueue();
    const more = await committedEvents(3);
    expect(await markAndSend(env, db(), more.events, queue)).toMatchObject({ claimed: 3, published: 3, failed: 0 });
    const rows = new Map((await rowsOf(more.events.map((e) => e.id))).map((r) => [r.id, r]));
    expect(queue.sent).toEqual(more.events.map((e) => ({ id: e.id, type: 'order.preparing', createdAt: rows.get(e.id)!.createdAt.toISOString(), data: { orderId: more.orderId, ...e.payload } })));
  });

  it('a row a relay already took is not sent again by the writer', async () => {
    const { events } = await committedEvents(2);
    const relayQueue = new RecordingQueue();
    await relayOutboxOnce(db(), relayQueue, { ids: [events[0]!.id] });
    const writerQueue = new RecordingQueue();
    expect(await markAndSend(env, db(), events, writerQueue)).toMatchObject({ claimed: 1, published: 1 });
    expect(relayQueue.sent.map((e) => e.id)).toEqual([events[0]!.id]);
    expect(writerQueue.sent.map((e) => e.id)).toEqual([events[1]!.id]);
    for (const row of await rowsOf(events.map((e) => e.id))) expect(row.attempts).toBe(1);
  });

  it('a refused send puts the rows back with the error, and the relay sends them', async () => {
    const { events } = await committedEvents(2);
    const run = await markAndSend(env, db(), events, new RecordingQueue('fail'));
    expect(run).toMatchObject({ claimed: 2, published: 0, failed: 2 });
    expect(run.lastError).toContain('503');
    // The relay (the real queue) took them right after: published by its claim, a second attempt each.
    for (const row of await rowsOf(events.map((e) => e.id))) {
      expect(row.publishedAt).not.toBeNull();
      expect(row.attempts).toBe(2);
      expect(row.lastError).toBeNull();
    }
  });

  it('a writer gone between the mark and the send: the acknowledgement sweep sends the row after the deadline', async () => {
    const { events } = await committedEvents(1);
    const id = events[0]!.id;
    // The send never returns (the isolate is gone): the row is marked and nobody sent it.
    void markAndSend(env, db(), events, new RecordingQueue('hang'));
    await expect.poll(async () => (await rowsOf([id]))[0]!.publishedAt, { timeout: 5_000, interval: 50 }).not.toBeNull();
    const [row] = await rowsOf([id]);
    expect(row!.consumedAt).toBeNull();
    const sweepQueue = new RecordingQueue();
    expect((await redeliverOnce(db(), sweepQueue, { ids: [id], now: new Date(row!.publishedAt!.getTime() + ACK_DEADLINE_MS - 1_000) })).claimed).toBe(0);
    expect((await redeliverOnce(db(), sweepQueue, { ids: [id], now: new Date(row!.publishedAt!.getTime() + ACK_DEADLINE_MS + 1_000) })).claimed).toBe(1);
    expect(sweepQueue.sent.map((e) => e.id)).toEqual([id]);
  });
});

describe('outbox relay', () => {
  it('a kick after the commit puts the event on the queue within a second, and the consumer sends it', async () => {
    const m = await createMerchant();
    const customer = await createUser('customer', { prefs: { sms: true, email: false, push: false } });
    const order = await createOrder(m, customer, { status: 'in_delivery' });
    const id = await writeOutboxRow('order.in_delivery', order.orderId, { status: 'in_delivery' });

    const ctx = createExecutionContext();
    kickOutboxRelay(env, ctx);
    await waitOnExecutionContext(ctx);
    await expectPublishedPromptlyAndTexted(id, order.orderId);
    const sms = await fakeGet<{ items: { body: string }[] }>(env.TWILIO_API_BASE, `/_fake/messages?to=${encodeURIComponent(customer.phone!)}`);
    expect(sms.items).toHaveLength(1);
  });

  it('kicks while a relay runs in this isolate join it: one relay, every row published, and the next kick starts afresh', async () => {
    const first = await someRows(1);
    const ctxA = createExecutionContext();
    const ctxB = createExecutionContext();
    expect(kickOutboxRelay(env, ctxA)).toBe(true);
    // Committed while A's relay is under way: B only asks it to go round again.
    const second = await someRows(1);
    kickOutboxRelay(env, ctxB);
    await waitOnExecutionContext(ctxA);
    await waitOnExecutionContext(ctxB);
    for (const row of await rowsOf([...first.ids, ...second.ids])) expect(row.publishedAt).not.toBeNull();
    const third = await someRows(1);
    const ctxC = createExecutionContext();
    expect(kickOutboxRelay(env, ctxC)).toBe(true);
    await waitOnExecutionContext(ctxC);
    expect((await rowsOf(third.ids))[0]!.publishedAt).not.toBeNull();
  });

  it('a second kick in the same tick joins the running relay instead of opening another connection', async () => {
    const { ids } = await someRows(2);
    const ctxA = createExecutionContext();
    const ctxB = createExecutionContext();
    expect(kickOutboxRelay(env, ctxA)).toBe(true);
    expect(kickOutboxRelay(env, ctxB)).toBe(false);
    await waitOnExecutionContext(ctxA);
    for (const row of await rowsOf(ids)) expect(row.publishedAt).not.toBeNull();
  });

  it('publishes the envelope { id, type, createdAt, data } with the order id', async () => {
    const { ids, orderId } = await someRows(1);
    const queue = new RecordingQueue();
    const run = await relayOutboxOnce(db(), queue, { ids });
    expect(run).toMatchObject({ claimed: 1, published: 1, failed: 0 });
    const [row] = await rowsOf(ids);
    expect(queue.sent).toEqual([{ id: ids[0], type: 'order.preparing', createdAt: row!.createdAt.toISOString(), data: { orderId, status: 'preparing' } }]);
  });

  it('keeps rows when the queue fails, backs off, and publishes them once it recovers', async () => {
    const { ids } = await someRows(2);
    const down = new RecordingQueue('fail');
    const failed = await relayOutboxOnce(db(), down, { ids });
    expect(failed).toMatchObject({ claimed: 2, published: 0, failed: 2 });
    let rows = await rowsOf(ids);
    for (const r of rows) {
      expect(r.publishedAt).toBeNull();
      expect(r.attempts).toBe(1);
      expect(r.lastError).toContain('503');
      expect(r.nextAttemptAt.getTime()).toBeGreaterThan(Date.now());
    }
    // Not due yet: the next run leaves them alone.
    const up = new RecordingQueue();
    expect((await relayOutboxOnce(db(), up, { ids })).claimed).toBe(0);
    // Due: published, each exactly once.
    const later = new Date(Date.now() + 5_000);
    expect(await relayOutboxOnce(db(), up, { ids, now: later })).toMatchObject({ published: 2 });
    expect(up.sent.map((e) => e.id).sort()).toEqual([...ids].sort());
    rows = await rowsOf(ids);
    expect(rows.every((r) => r.publishedAt !== null && r.attempts === 2 && r.lastError === null)).toBe(true);
  });

  it('a relay that dies after the send leaves the row unpublished: it is sent again (at least once)', async () => {
    const { ids } = await someRows(1);
    const flaky = new RecordingQueue('fail-after-send');
    await relayOutboxOnce(db(), flaky, { ids });
    expect(flaky.sent).toHaveLength(1);
    const again = new RecordingQueue();
    await relayOutboxOnce(db(), again, { ids, now: new Date(Date.now() + 5_000) });
    expect(again.sent.map((e) => e.id)).toEqual(ids);
    expect((await rowsOf(ids))[0]!.publishedAt).not.toBeNull();
  });

  it('two relays at once never claim the same row', async () => {
    const { ids } = await someRows(6);
    const a = new RecordingQueue('ok', 150);
    const b = new RecordingQueue('ok', 150);
    await Promise.all([relayOutboxOnce(db(), a, { ids }), relayOutboxOnce(db(), b, { ids })]);
    const sent = [...a.sent, ...b.sent].map((e) => e.id).sort();
    expect(sent).toEqual([...ids].sort());
  });

  it('the cron backstop publishes what the prompt path could not', async () => {
    const { ids } = await someRows(1);
    await relayOutboxOnce(db(), new RecordingQueue('fail'), { ids });
    await db().update(outbox).set({ nextAttemptAt: new Date(Date.now() - 1000) }).where(inArray(outbox.id, ids));
    const ctx = createExecutionContext();
    await worker.scheduled!(createScheduledController({ cron: '* * * * *' }), env, ctx);
    await waitOnExecutionContext(ctx);
    const [row] = await rowsOf(ids);
    expect(row!.publishedAt).not.toBeNull();
    expect(row!.attempts).toBe(2);
  });
});
