/**
 * Outbox consumption acknowledged, and what was lost on the way sent again
 * (workers/queue/acknowledgements.ts, redelivery.ts; ADR 0078). The fault is
 * a message published and never consumed (a publisher that drops what it is
 * given, as a restarted local queue does); time is moved by passing `now` to
 * the sweep; the invariants are read from Postgres and the provider fakes.
 */
import { env } from 'cloudflare:workers';
import { and, eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { deadLetters, devMessages, notificationLog, outbox } from '../../db/schema/index';
import { BatchAcknowledgements } from '../../workers/queue/acknowledgements';
import { replayDeadLetter } from '../../workers/queue/dead-letters';
import { ACK_DEADLINE_MS, consumptionGauges, MAX_REPUBLISHES, redeliverOnce } from '../../workers/queue/redelivery';
import type { EventEnvelope } from '../../workers/services/events/envelope';
import { relayOutboxOnce, type EventPublisher } from '../../workers/services/outbox-relay';
import { createMerchant, createOrder, createUser, db, deliver, fakePost, smsSentTo, writeOutboxRow } from './helpers/notification-world';

const EVENTS = env.EVENTS as unknown as EventPublisher;
const rowOf = async (id: string) => (await db().select().from(outbox).where(eq(outbox.id, id)))[0]!;
const minutesLater = (base: Date, minutes: number) => new Date(base.getTime() + minutes * 60_000);
const sentOnce = (orderId: string) => db().select().from(devMessages).where(eq(devMessages.orderId, orderId));

/** A queue that accepts every message and delivers none of them. */
class DroppingQueue implements EventPublisher {
  dropped: EventEnvelope[] = [];
  async sendBatch(messages: Iterable<{ body: EventEnvelope }>): Promise<void> {
    for (const m of messages) this.dropped.push(m.body);
  }
}

/** An order on its way whose customer is texted about it, and the outbox row announcing it. */
async function inDeliveryEvent() {
  const m = await createMerchant();
  const customer = await createUser('customer', { prefs: { sms: true, email: false, push: false } });
  const order = await createOrder(m, customer, { status: 'in_delivery' });
  const id = await writeOutboxRow('order.in_delivery', order.orderId, { status: 'in_delivery' });
  return { id, orderId: order.orderId, customer };
}

/** Published to a queue that loses it: the row says published, nobody consumed it. */
async function lostEvent() {
  const event = await inDeliveryEvent();
  const lost = new DroppingQueue();
  expect((await relayOutboxOnce(db(), lost, { ids: [event.id] })).published).toBe(1);
  return { ...event, publishedAt: (await rowOf(event.id)).publishedAt! };
}

describe('outbox consumption', () => {
  it('the consumer acknowledges the events whose handlers all succeeded, in one statement per batch, and not the others', async () => {
    const a = await inDeliveryEvent();
    const b = await inDeliveryEvent();
    const failing = await inDeliveryEvent();
    await fakePost(env.TWILIO_API_BASE, '/_fake/faults', { match: encodeURIComponent(failing.customer.phone!), status: 503 });
    try {
      const rows = await db().select().from(outbox).where(inArray(outbox.id, [a.id, b.id, failing.id]));
      const body = (id: string): EventEnvelope => {
        const r = rows.find((x) => x.id === id)!;
        return { id, type: r.topic, createdAt: r.createdAt.toISOString(), data: r.payload };
      };
      const result = await deliver('delivery-events', [
        { body: body(a.id) },
        { body: body(b.id) },
        { body: body(failing.id) },
        // Not outbox events: nothing to acknowledge, nothing breaks.
        { body: { id: `${a.id}.retry.whe_00000000000000000000`, type: 'webhook.retry', createdAt: new Date().toISOString(), data: { endpointId: 'whe_none', eventId: a.id } } },
      ]);
      expect(result.retryMessages.length).toBe(1);
      expect((await rowOf(a.id)).consumedAt).not.toBeNull();
      expect((await rowOf(b.id)).consumedAt).not.toBeNull();
      const retried = await rowOf(failing.id);
      expect(retried.consumedAt).toBeNull();
      // Still in the queue's hands: not overdue before its retry is due.
      expect(retried.retryDueAt!.getTime()).toBeGreaterThan(Date.now());
    } finally {
      await fakePost(env.TWILIO_API_BASE, `/_fake/faults?match=${encodeURIComponent(encodeURIComponent(failing.customer.phone!))}`, {}, 'DELETE');
    }

    // The batch's writes: one UPDATE for the consumed ids, one for the retried ones.
    const statements: string[] = [];
    const recorder = {
      update: () => ({ set: () => ({ where: async () => void statements.push('update consumed') }) }),
      execute: async () => void statements.push('update retries'),
    } as unknown as Parameters<BatchAcknowledgements['flush']>[0];
    const acks = new BatchAcknowledgements();
    for (let i = 0; i < 50; i++) acks.consumedMessage({ id: `obx_${String(i).padStart(20, '0')}`, type: 'order.ready', createdAt: new Date().toISOString(), data: {} });
    acks.retriedMessage({ id: 'obx_aaaaaaaaaaaaaaaaaaaa', type: 'order.ready', createdAt: new Date().toISOString(), data: {} }, 5);
    acks.consumedMessage({ source: 'city-shard', event: { id: 'dfx_1', type: 'dispatch.offered', orderId: 'ord_1', at: new Date().toISOString() } });
    await acks.flush(recorder);
    expect(acks.consumed.size).toBe(50);
    expect(statements.sort()).toEqual(['update consumed', 'update retries']);
  });

  it('an event published but never consumed is sent again after its deadline, consumed once, and its effect happens once', async () => {
    const { id, orderId, customer, publishedAt } = await lostEvent();
    expect((await rowOf(id)).consumedAt).toBeNull();

    // Within the deadline: left alone.
    expect((await redeliverOnce(db(), EVENTS, { ids: [id], now: new Date(publishedAt.getTime() + ACK_DEADLINE_MS - 1_000) })).claimed).toBe(0);

    // Past it: republished through the real queue, and the Worker's consumer acknowledges it.
    const later = minutesLater(publishedAt, 6);
    expect(await redeliverOnce(db(), EVENTS, { ids: [id], now: later })).toMatchObject({ claimed: 1, republished: 1, parked: 0 });
    await expect.poll(async () => (await rowOf(id)).consumedAt, { timeout: 10_000, interval: 200 }).not.toBeNull();
    const row = await rowOf(id);
    expect(row).toMatchObject({ republishes: 1, republishedAt: later, parkedAt: null });
    expect(await sentOnce(orderId)).toHaveLength(1);

    // Consumed: the next runs leave it, however late.
    expect((await redeliverOnce(db(), EVENTS, { ids: [id], now: minutesLater(publishedAt, 60) })).claimed).toBe(0);

    // An acknowledgement lost after the effect (the consumer died before its UPDATE): sent again, and still one SMS.
    await db().update(outbox).set({ consumedAt: null }).where(eq(outbox.id, id));
    expect((await redeliverOnce(db(), EVENTS, { ids: [id], now: minutesLater(publishedAt, 60) })).republished).toBe(1);
    await expect.poll(async () => (await rowOf(id)).consumedAt, { timeout: 10_000, interval: 200 }).not.toBeNull();
    expect(await sentOnce(orderId)).toHaveLength(1);
    expect(await smsSentTo(customer.phone!)).toHaveLength(1);
    const log = await db().select().from(notificationLog).where(and(eq(notificationLog.eventId, id), eq(notificationLog.channel, 'sms')));
    expect(log).toHaveLength(1);
  });

  it('a poison event is republished a bounded number of times, then parked as a dead letter and never sent again', async () => {
    const { id, orderId, publishedAt } = await lostEvent();
    const lost = new DroppingQueue();
    for (let i = 1; i <= MAX_REPUBLISHES; i++) {
      expect(await redeliverOnce(db(), lost, { ids: [id], now: minutesLater(publishedAt, 6 * i) })).toMatchObject({ republished: 1, parked: 0 });
    }
    // Not yet past the deadline of its last republish.
    expect((await redeliverOnce(db(), lost, { ids: [id], now: minutesLater(publishedAt, 6 * MAX_REPUBLISHES + 4) })).claimed).toBe(0);
    expect(await redeliverOnce(db(), lost, { ids: [id], now: minutesLater(publishedAt, 6 * (MAX_REPUBLISHES + 1)) })).toMatchObject({ republished: 0, parked: 1 });
    expect(lost.dropped.map((e) => e.id)).toEqual(Array(MAX_REPUBLISHES).fill(id));
    const row = await rowOf(id);
    expect(row.republishes).toBe(MAX_REPUBLISHES);
    expect(row.parkedAt).not.toBeNull();
    const [letter] = await db().select().from(deadLetters).where(eq(deadLetters.messageId, `outbox:${id}`));
    expect(letter).toMatchObject({ queue: 'delivery-events', attempts: MAX_REPUBLISHES + 1, replayedAt: null });
    expect(letter!.body).toMatchObject({ id, type: 'order.in_delivery', data: { orderId } });
    expect((await redeliverOnce(db(), lost, { ids: [id], now: minutesLater(publishedAt, 120) })).claimed).toBe(0);
    expect((await consumptionGauges(db())).parked).toBeGreaterThanOrEqual(1);

    // An operator's replay goes through the consumer, which acknowledges it.
    expect((await replayDeadLetter(db(), env.EVENTS, letter!.id)).result).toBe('replayed');
    await expect.poll(async () => (await rowOf(id)).consumedAt, { timeout: 10_000, interval: 200 }).not.toBeNull();
    expect(await sentOnce(orderId)).toHaveLength(1);
  });

  it('an event the consumer handed back for a retry is not overdue before that retry is due', async () => {
    const { id, publishedAt } = await lostEvent();
    await db().update(outbox).set({ retryDueAt: minutesLater(publishedAt, 10) }).where(eq(outbox.id, id));
    const lost = new DroppingQueue();
    expect((await redeliverOnce(db(), lost, { ids: [id], now: minutesLater(publishedAt, 14) })).claimed).toBe(0);
    expect((await redeliverOnce(db(), lost, { ids: [id], now: minutesLater(publishedAt, 16) })).republished).toBe(1);
  });

  it('an event the queue itself gave up on (its dead-letter queue) is marked parked and left to operators', async () => {
    const { id } = await lostEvent();
    const row = await rowOf(id);
    const result = await deliver('delivery-events-dlq', [{ body: { id, type: row.topic, createdAt: row.createdAt.toISOString(), data: row.payload }, attempts: 9 }]);
    expect(result.explicitAcks.length).toBe(1);
    expect((await rowOf(id)).parkedAt).not.toBeNull();
    expect((await redeliverOnce(db(), new DroppingQueue(), { ids: [id], now: minutesLater(new Date(), 60) })).claimed).toBe(0);
  });
});
