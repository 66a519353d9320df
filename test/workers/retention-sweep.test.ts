/**
 * The retention sweep: expired idempotency records, old webhook deliveries,
 * old dev-outbox messages, Stripe deduplication rows and published outbox
 * rows past their retention are deleted, in bounded batches, by the minute
 * cron; everything younger, or still needed, stays.
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { and, eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { newId } from '../../db/ids';
import { devMessages, idempotencyKeys, outbox, processedWebhookEvents, webhookDeliveries, webhookEndpoints } from '../../db/schema/index';
import worker from '../../workers/index';
import { pruneExpired, RETENTION_RULES } from '../../workers/services/retention';
import { createMerchant, db } from './helpers/notification-world';

const DAY = 24 * 60 * 60 * 1000;
const ago = (ms: number) => new Date(Date.now() - ms);

/** Rows on both sides of every retention limit; answers the ids, by what should happen to them. */
async function seed() {
  const tag = newId('msg');
  const m = await createMerchant();
  const endpointId = newId('whk');
  await db().insert(webhookEndpoints).values({ id: endpointId, merchantId: m.merchantId, url: 'https://example.test/hook', events: ['*'], secret: 'whsec_dGVzdA==' });
  const delivery = (createdAt: Date, nextRetryAt: Date | null = null) => {
    const id = newId('whd');
    return { id, endpointId, eventId: newId('obx'), eventType: 'order.placed', eventAt: createdAt, payload: {}, status: 'failed' as const, createdAt, nextRetryAt };
  };
  const deliveries = { old: delivery(ago(31 * DAY)), oldRetrying: delivery(ago(31 * DAY), new Date(Date.now() + 60_000)), recent: delivery(ago(DAY)) };
  await db().insert(webhookDeliveries).values(Object.values(deliveries));

  await db().insert(idempotencyKeys).values([
    { scope: tag, key: 'expired', requestHash: 'h', statusCode: 201, createdAt: ago(DAY + 60_000), expiresAt: ago(60_000) },
    { scope: tag, key: 'live', requestHash: 'h', statusCode: 201, createdAt: ago(60_000), expiresAt: new Date(Date.now() + DAY) },
  ]);
  const message = (at: Date) => ({ id: newId('msg'), channel: 'sms' as const, to: '+33600000000', event: 'order.placed', locale: 'fr', body: 'x', orderId: tag, at });
  const messages = { old: [message(ago(8 * DAY)), message(ago(8 * DAY)), message(ago(9 * DAY))], recent: [message(ago(DAY))] };
  await db().insert(devMessages).values([...messages.old, ...messages.recent]);
  await db().insert(processedWebhookEvents).values([
    { provider: tag, eventId: 'evt_old', receivedAt: ago(31 * DAY) },
    { provider: tag, eventId: 'evt_recent', receivedAt: ago(DAY) },
  ]);
  // Published events were consumed too (as they are once their handlers ran): an unconsumed one is the
  // redelivery backstop's, which the same cron run locks and republishes, and the sweep then skips it.
  const row = (createdAt: Date, publishedAt: Date | null) => ({ id: newId('obx'), topic: 'order.placed', aggregateType: 'order', aggregateId: tag, payload: {}, createdAt, publishedAt, consumedAt: publishedAt, nextAttemptAt: createdAt });
  const events = { published: row(ago(9 * DAY), ago(8 * DAY)), unpublished: row(ago(30 * DAY), null), recent: row(ago(2 * DAY), ago(2 * DAY)) };
  await db().insert(outbox).values(Object.values(events));
  return { tag, deliveries, messages, events };
}

type Seeded = Awaited<ReturnType<typeof seed>>;

async function remaining(s: Seeded) {
  const ids = <T extends { id: string }>(rows: T[]) => rows.map((r) => r.id).sort();
  return {
    deliveries: ids(await db().select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(inArray(webhookDeliveries.id, Object.values(s.deliveries).map((d) => d.id)))),
    keys: (await db().select({ key: idempotencyKeys.key }).from(idempotencyKeys).where(eq(idempotencyKeys.scope, s.tag))).map((k) => k.key),
    messages: ids(await db().select({ id: devMessages.id }).from(devMessages).where(eq(devMessages.orderId, s.tag))),
    stripe: (await db().select({ id: processedWebhookEvents.eventId }).from(processedWebhookEvents).where(eq(processedWebhookEvents.provider, s.tag))).map((e) => e.id),
    events: ids(await db().select({ id: outbox.id }).from(outbox).where(eq(outbox.aggregateId, s.tag))),
  };
}

function expectOnlyTheKeptOnes(left: Awaited<ReturnType<typeof remaining>>, s: Seeded) {
  expect(left.deliveries).toEqual([s.deliveries.oldRetrying.id, s.deliveries.recent.id].sort());
  expect(left.keys).toEqual(['live']);
  expect(left.messages).toEqual(s.messages.recent.map((m) => m.id));
  expect(left.stripe).toEqual(['evt_recent']);
  expect(left.events).toEqual([s.events.unpublished.id, s.events.recent.id].sort());
}

describe('retention sweep', () => {
  it('deletes what is past its retention and keeps the rest', async () => {
    const s = await seed();
    const deleted = await pruneExpired(db(), { batchSize: 2 });
    expectOnlyTheKeptOnes(await remaining(s), s);
    for (const name of ['webhook_deliveries', 'idempotency_keys', 'dev_messages', 'processed_webhook_events', 'outbox']) expect(deleted[name]).toBeGreaterThanOrEqual(1);
    expect(deleted.dev_messages).toBeGreaterThanOrEqual(3); // over two batches of 2
  });

  it('deletes at most batchSize × maxBatches rows of a table per run', async () => {
    const s = await seed();
    // Only this test's rows (the database is shared with other tests).
    const rule = RETENTION_RULES.find((r) => r.name === 'dev_messages')!;
    const mine = { ...rule, expired: (now: Date) => and(rule.expired(now), eq(devMessages.orderId, s.tag))! };
    expect(await pruneExpired(db(), { rules: [mine], batchSize: 1, maxBatches: 2 })).toEqual({ dev_messages: 2 });
    expect((await remaining(s)).messages).toHaveLength(2);
    expect(await pruneExpired(db(), { rules: [mine], batchSize: 1, maxBatches: 2 })).toEqual({ dev_messages: 1 });
    expect(await pruneExpired(db(), { rules: [mine], batchSize: 1, maxBatches: 2 })).toEqual({ dev_messages: 0 });
    expect((await remaining(s)).messages).toEqual(s.messages.recent.map((m) => m.id));
  });

  it('runs from the minute cron', async () => {
    const s = await seed();
    const ctx = createExecutionContext();
    await worker.scheduled!(createScheduledController({ cron: '* * * * *' }), env, ctx);
    await waitOnExecutionContext(ctx);
    expectOnlyTheKeptOnes(await remaining(s), s);
  });
});
