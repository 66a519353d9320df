/**
 * The dead-letter queue: what the EVENTS consumer gave up on lands in
 * `dead_letters` (once per message), operators list it and replay it, and a
 * replay goes back through the idempotent consumer.
 */
import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { deadLetters } from '../../db/schema/index';
import { callJson } from './auth-helpers';
import { createMerchant, createOrder, createUser, db, deliver, envelope, fakeGet } from './helpers/notification-world';

interface DeadLetterView { id: string; queue: string; messageId: string; body: { id: string }; attempts: number; replayedAt: string | null; error: string | null }

describe('dead letters', () => {
  it('stores parked messages once, lists them for operators only, and replays them through the consumer', async () => {
    const m = await createMerchant();
    const customer = await createUser('customer', { prefs: { sms: true, email: false, push: false } });
    const order = await createOrder(m, customer, { status: 'delivered' });
    const event = envelope('order.delivered', { orderId: order.orderId });
    const messageId = `dlq-${crypto.randomUUID()}`;

    // The queue moved it to the DLQ after its retries; the DLQ may deliver it twice too.
    const stored = await deliver('delivery-events-dlq', [{ id: messageId, body: event, attempts: 9 }]);
    expect(stored.explicitAcks).toEqual([messageId]);
    await deliver('delivery-events-dlq', [{ id: messageId, body: event, attempts: 9 }]);
    const rows = await db().select().from(deadLetters).where(eq(deadLetters.messageId, messageId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ queue: 'delivery-events', attempts: 9, replayedAt: null });

    const ops = await createUser('ops');
    const { body: page } = await callJson<{ items: DeadLetterView[] }>('/v1/ops/dead-letters?pending=true&limit=100', { token: ops.token }, 200);
    const listed = page.items.find((d) => d.messageId === messageId);
    expect(listed).toMatchObject({ id: rows[0]!.id, body: { id: event.id } });
    await callJson('/v1/ops/dead-letters', { token: customer.token }, 403);
    await callJson('/v1/ops/dead-letters', { token: m.owner.token }, 403);

    // Replay: back on EVENTS, where the real consumer sends the SMS.
    const { body: replayed } = await callJson<DeadLetterView>(`/v1/ops/dead-letters/${rows[0]!.id}/replay`, { token: ops.token, method: 'POST' }, 202);
    expect(replayed.replayedAt).not.toBeNull();
    await callJson(`/v1/ops/dead-letters/${rows[0]!.id}/replay`, { token: ops.token, method: 'POST' }, 409);
    await callJson('/v1/ops/dead-letters/dlq_doesnotexist000000000/replay', { token: ops.token, method: 'POST' }, 404);
    await expect
      .poll(async () => (await fakeGet<{ items: unknown[] }>(env.TWILIO_API_BASE, `/_fake/messages?to=${encodeURIComponent(customer.phone!)}`)).items.length, { timeout: 10_000, interval: 200 })
      .toBe(1);
  });

  it('a message the consumer does not recognise is parked at once, not retried', async () => {
    const messageId = `junk-${crypto.randomUUID()}`;
    const result = await deliver('delivery-events', [{ id: messageId, body: { hello: 'world' } }]);
    expect(result.explicitAcks).toEqual([messageId]);
    const [row] = await db().select().from(deadLetters).where(eq(deadLetters.messageId, messageId));
    expect(row!.error).toContain('unrecognised');
  });

  it('paginates newest first with a cursor', async () => {
    const ops = await createUser('ops');
    for (let i = 0; i < 3; i++) await deliver('delivery-events-dlq', [{ body: envelope('matrix.noop', { i }), attempts: 9 }]);
    const first = await callJson<{ items: DeadLetterView[]; nextCursor: string | null }>('/v1/ops/dead-letters?limit=2', { token: ops.token }, 200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).not.toBeNull();
    const second = await callJson<{ items: DeadLetterView[] }>(`/v1/ops/dead-letters?limit=2&cursor=${encodeURIComponent(first.body.nextCursor!)}`, { token: ops.token }, 200);
    const ids = [...first.body.items, ...second.body.items].map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
