/**
 * The city shard's `order.arriving_soon` fact on the EVENTS queue becomes
 * the customer's "arriving soon" message: by push, else SMS (one of them),
 * once however often the fact is delivered, and not at all once the order
 * is no longer in delivery.
 */
import { env } from 'cloudflare:workers';
import { eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { deadLetters, notificationLog } from '../../db/schema/index';
import type { ArrivingSoonFact } from '../../durable-objects/city-shard/events';
import { createMerchant, createOrder, createUser, db, deliver, fakeGet, uniqueToken, type TestOrder } from './helpers/notification-world';

const QUEUE = 'delivery-events';
const pushesTo = async (token: string) => (await fakeGet<{ items: { title: string; body: string; data: Record<string, string> }[] }>(env.FCM_API_BASE, `/_fake/messages?token=${token}`)).items;
const smsTo = async (phone: string) => (await fakeGet<{ items: { body: string }[] }>(env.TWILIO_API_BASE, `/_fake/messages?to=${encodeURIComponent(phone)}`)).items;
const emailsTo = async (address: string) => (await fakeGet<{ items: unknown[] }>(env.EMAIL_API_BASE, `/_fake/emails?to=${encodeURIComponent(address)}`)).items;

/** The queue message a shard publishes (durable-objects/city-shard/events.ts). */
const fact = (order: TestOrder, etaSeconds = 130): { source: 'city-shard'; event: ArrivingSoonFact } => ({
  source: 'city-shard',
  event: { id: `${order.orderId}:order.arriving_soon`, type: 'order.arriving_soon', shardKey: 'test', orderId: order.orderId, at: new Date().toISOString(), driverId: 'drv_x', etaSeconds, distanceM: 420 },
});

describe('arriving soon', () => {
  it('pushes once, in the customer’s language, with the PIN, although the fact arrives twice', async () => {
    const m = await createMerchant();
    const token = uniqueToken('fcm');
    const customer = await createUser('customer', { locale: 'fr', pushTokens: [token] });
    const order = await createOrder(m, customer, { status: 'in_delivery' });
    const body = fact(order);

    const ids = [`${order.orderId}-a`, `${order.orderId}-b`];
    const first = await deliver(QUEUE, ids.map((id) => ({ id, body })));
    expect(first.retryMessages).toEqual([]);
    await deliver(QUEUE, [{ body, attempts: 2 }]);

    const pushes = await pushesTo(token);
    expect(pushes).toHaveLength(1);
    expect(pushes[0]).toMatchObject({ title: 'Votre livreur arrive', data: { event: 'order.arriving_soon', orderId: order.orderId } });
    expect(pushes[0]!.body).toBe(`Votre commande #${order.number} arrive dans environ 2 min. Préparez votre code ${order.pin}.`);
    // `first` policy: the push carried it, nothing else is sent.
    expect(await smsTo(customer.phone!)).toHaveLength(0);
    expect(await emailsTo(customer.email)).toHaveLength(0);
    // Not an unknown fact: nothing parked.
    expect(await db().select().from(deadLetters).where(inArray(deadLetters.messageId, ids))).toHaveLength(0);
  });

  it('falls back to SMS without a registered device', async () => {
    const m = await createMerchant();
    const customer = await createUser('customer');
    const order = await createOrder(m, customer, { status: 'in_delivery' });
    await deliver(QUEUE, [{ body: fact(order, 60) }]);
    const sms = await smsTo(customer.phone!);
    expect(sms).toHaveLength(1);
    expect(sms[0]!.body).toContain('arrives in about 1 min');
    expect(sms[0]!.body).toContain(order.pin);
  });

  it('says nothing once the order is no longer in delivery, and logs why', async () => {
    const m = await createMerchant();
    const token = uniqueToken('fcm');
    const customer = await createUser('customer', { pushTokens: [token] });
    const order = await createOrder(m, customer, { status: 'delivered' });
    const body = fact(order);
    const result = await deliver(QUEUE, [{ body }]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(await pushesTo(token)).toHaveLength(0);
    expect(await smsTo(customer.phone!)).toHaveLength(0);
    const log = await db().select().from(notificationLog).where(eq(notificationLog.eventId, body.event.id));
    expect(log.map((r) => [r.channel, r.status, r.error])).toEqual([['push', 'skipped', 'outdated: the order is delivered']]);
  });
});
