/**
 * POST /v1/webhooks/twilio/status: a callback signed the way Twilio signs
 * (the fake's own implementation of the documented algorithm) is accepted
 * and moves the log entry to `delivered`; a forged one is refused and
 * changes nothing.
 */
import { env } from 'cloudflare:workers';
import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { notificationLog, outbox } from '../../db/schema/index';
import { toEnvelope } from '../../workers/services/outbox-relay';
import { call } from './auth-helpers';
import { createMerchant, createOrder, createUser, db, deliver, envelope, fakeGet, writeOutboxRow } from './helpers/notification-world';

interface SignedCallback { url: string; params: Record<string, string>; signature: string }

async function sentSms() {
  const m = await createMerchant();
  const customer = await createUser('customer', { prefs: { sms: true, email: false, push: false } });
  const order = await createOrder(m, customer, { status: 'delivered' });
  const event = envelope('order.delivered', { orderId: order.orderId });
  await deliver('delivery-events', [{ body: event }]);
  const [row] = await db().select().from(notificationLog).where(eq(notificationLog.eventId, event.id));
  expect(row).toMatchObject({ channel: 'sms', status: 'sent', provider: 'twilio' });
  return row!;
}

const postCallback = (cb: SignedCallback, signature = cb.signature, params = cb.params) =>
  call(new URL(cb.url).pathname, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature },
    body: new URLSearchParams(params).toString(),
  });

const statusOf = async (id: string) => (await db().select().from(notificationLog).where(eq(notificationLog.id, id)))[0]!.status;

describe('Twilio status callback', () => {
  it('records delivery when the signature is Twilio’s', async () => {
    const row = await sentSms();
    const cb = await fakeGet<SignedCallback>(env.TWILIO_API_BASE, `/_fake/status-callback/${row.providerMessageId}?status=delivered`);
    expect(cb.url).toBe(`${env.PUBLIC_BASE_URL}/v1/webhooks/twilio/status`);
    const res = await postCallback(cb);
    expect(res.status).toBe(204);
    expect(await statusOf(row.id)).toBe('delivered');
  });

  it('refuses a forged callback (403 problem) and changes nothing', async () => {
    const row = await sentSms();
    const cb = await fakeGet<SignedCallback>(env.TWILIO_API_BASE, `/_fake/status-callback/${row.providerMessageId}?status=undelivered`);

    // A signature made with another auth token.
    const forged = await postCallback(cb, 'bm90LXR3aWxpby1zaWduYXR1cmU=');
    expect(forged.status).toBe(403);
    expect(forged.headers.get('content-type')).toBe('application/problem+json');
    // A real signature, but for other field values.
    const tampered = await postCallback(cb, cb.signature, { ...cb.params, MessageStatus: 'failed' });
    expect(tampered.status).toBe(403);
    // No signature at all.
    const unsigned = await postCallback(cb, '');
    expect(unsigned.status).toBe(403);
    expect(await statusOf(row.id)).toBe('sent');

    // The genuine one still goes through.
    expect((await postCallback(cb)).status).toBe(204);
    expect(await statusOf(row.id)).toBe('failed');
  });
});

const emailsTo = async (address: string) => (await fakeGet<{ items: { subject: string; textBody: string }[] }>(env.EMAIL_API_BASE, `/_fake/emails?to=${encodeURIComponent(address)}`)).items;
const fallbacksOf = (logId: string) =>
  db().select().from(outbox).where(and(eq(outbox.topic, 'notification.fallback'), sql`${outbox.payload}->>'logId' = ${logId}`));

describe('an SMS that never arrives', () => {
  it('falls back to the next allowed channel once, however often Twilio reports it', async () => {
    const m = await createMerchant();
    // No device: order.preparing (push, then SMS, then email) goes by SMS.
    const customer = await createUser('customer', { locale: 'fr' });
    const order = await createOrder(m, customer, { status: 'preparing' });
    const eventId = await writeOutboxRow('order.preparing', order.orderId, { status: 'preparing' });
    await db().update(outbox).set({ publishedAt: new Date() }).where(eq(outbox.id, eventId));
    const [row] = await db().select().from(outbox).where(eq(outbox.id, eventId));
    await deliver('delivery-events', [{ body: toEnvelope(row!) }]);
    const [sms] = (await db().select().from(notificationLog).where(eq(notificationLog.eventId, eventId))).filter((r) => r.channel === 'sms');
    expect(sms).toMatchObject({ status: 'sent' });
    expect(await emailsTo(customer.email)).toHaveLength(0);

    const cb = await fakeGet<SignedCallback>(env.TWILIO_API_BASE, `/_fake/status-callback/${sms!.providerMessageId}?status=undelivered&errorCode=30003`);
    expect((await postCallback(cb)).status).toBe(204);
    expect(await statusOf(sms!.id)).toBe('failed');
    // The fallback goes through the outbox and the queue like any event: the email arrives, in French.
    await expect.poll(async () => (await emailsTo(customer.email)).length, { timeout: 8_000 }).toBe(1);
    const [email] = await emailsTo(customer.email);
    expect(email!.subject).toBe('Votre commande est en préparation');

    // Twilio repeats itself, then reports `failed`; the fallback's message arrives twice.
    expect((await postCallback(cb)).status).toBe(204);
    const failed = await fakeGet<SignedCallback>(env.TWILIO_API_BASE, `/_fake/status-callback/${sms!.providerMessageId}?status=failed&errorCode=30008`);
    expect((await postCallback(failed)).status).toBe(204);
    const fallbacks = await fallbacksOf(sms!.id);
    expect(fallbacks).toHaveLength(1);
    expect(fallbacks[0]!.payload).toMatchObject({ eventId, orderId: order.orderId, userId: customer.userId, template: 'customer.order.preparing', failedChannel: 'sms' });
    await deliver('delivery-events', [{ body: toEnvelope(fallbacks[0]!) }, { body: toEnvelope(fallbacks[0]!) }]);
    expect(await emailsTo(customer.email)).toHaveLength(1);

    const log = await db().select().from(notificationLog).where(eq(notificationLog.eventId, eventId));
    expect(log.map((r) => [r.channel, r.status, r.error]).sort()).toEqual([
      ['email', 'sent', null],
      ['sms', 'failed', 'twilio: undelivered (error 30003)'],
    ]);
  });

  it('adds nothing to a message that went out on every allowed channel', async () => {
    const m = await createMerchant();
    const customer = await createUser('customer', { prefs: { sms: true, email: true, push: false } });
    const order = await createOrder(m, customer, { status: 'delivered' });
    const event = envelope('order.delivered', { orderId: order.orderId });
    await deliver('delivery-events', [{ body: event }]);
    expect(await emailsTo(customer.email)).toHaveLength(1);
    const [sms] = (await db().select().from(notificationLog).where(eq(notificationLog.eventId, event.id))).filter((r) => r.channel === 'sms');

    const cb = await fakeGet<SignedCallback>(env.TWILIO_API_BASE, `/_fake/status-callback/${sms!.providerMessageId}?status=failed`);
    expect((await postCallback(cb)).status).toBe(204);
    const [fallback] = await fallbacksOf(sms!.id);
    // Run it here (the queue may be running it too): the email already carried the message.
    const result = await deliver('delivery-events', [{ body: toEnvelope(fallback!) }]);
    expect(result.retryMessages).toHaveLength(0);
    expect(await emailsTo(customer.email)).toHaveLength(1);
    expect(await statusOf(sms!.id)).toBe('failed');
  });
});
