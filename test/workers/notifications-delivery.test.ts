/**
 * Customer notifications end to end in workerd: the Worker's queue handler,
 * the real provider clients (twilio SDK, FCM HTTP v1 with jose, Postmark over
 * fetch) against the fakes in fakes, and the log in Postgres.
 */
import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { devices, devMessages, notificationAttempts, notificationLog } from '../../db/schema/index';
import {
  createMerchant,
  createOrder,
  createUser,
  db,
  deliver,
  envelope,
  fakeGet,
  fakePost,
  uniqueToken,
} from './helpers/notification-world';

const QUEUE = 'delivery-events';

interface TwilioMessage { sid: string; to: string; body: string; statusCallback: string | null }
interface Email { to: string; subject: string; textBody: string; messageStream: string }
interface Push { token: string; title: string; body: string; data: Record<string, string> }

const smsTo = async (phone: string) => (await fakeGet<{ items: TwilioMessage[] }>(env.TWILIO_API_BASE, `/_fake/messages?to=${encodeURIComponent(phone)}`)).items;
const emailsTo = async (address: string) => (await fakeGet<{ items: Email[] }>(env.EMAIL_API_BASE, `/_fake/emails?to=${encodeURIComponent(address)}`)).items;
const pushesTo = async (token: string) => (await fakeGet<{ items: Push[] }>(env.FCM_API_BASE, `/_fake/messages?token=${encodeURIComponent(token)}`)).items;
const logOf = (eventId: string) => db().select().from(notificationLog).where(eq(notificationLog.eventId, eventId));

describe('a status change reaches the customer once per allowed channel', () => {
  it('delivers SMS, email and push exactly once although the queue delivers the message twice', async () => {
    const m = await createMerchant();
    const pushToken = uniqueToken('fcm');
    const customer = await createUser('customer', { locale: 'fr-FR', pushTokens: [pushToken] });
    const order = await createOrder(m, customer, { status: 'in_delivery' });
    const event = envelope('order.in_delivery', { orderId: order.orderId, status: 'in_delivery' });

    // The same message in two batches handled at once (two consumer invocations),
    // twice within one batch, then once more later.
    const [a, b] = await Promise.all([deliver(QUEUE, [{ id: 'dup-a', body: event }]), deliver(QUEUE, [{ id: 'dup-b', body: event }, { id: 'dup-c', body: event }])]);
    const second = await deliver(QUEUE, [{ body: event, attempts: 2 }]);
    const retried = [...a.retryMessages, ...b.retryMessages, ...second.retryMessages];
    // A duplicate that found the send in progress is retried, never sent twice.
    for (const r of retried) expect(r.msgId).toMatch(/^dup-/);
    if (retried.length > 0) await deliver(QUEUE, [{ body: event, attempts: 3 }]);

    const [sms, emails, pushes] = await Promise.all([smsTo(customer.phone!), emailsTo(customer.email), pushesTo(pushToken)]);
    expect(sms).toHaveLength(1);
    expect(emails).toHaveLength(1);
    expect(pushes).toHaveLength(1);

    // French (the user's locale), with the delivery PIN and the tracking link.
    const trackingUrl = `${env.PUBLIC_BASE_URL}/track/${order.trackingToken}`;
    expect(sms[0]!.body).toContain('a récupéré votre commande');
    expect(sms[0]!.body).toContain(order.pin);
    expect(sms[0]!.body).toContain(trackingUrl);
    expect(sms[0]!.statusCallback).toBe(`${env.PUBLIC_BASE_URL}/v1/webhooks/twilio/status`);
    expect(emails[0]!.subject).toBe('Votre commande est en route');
    expect(emails[0]!.textBody).toContain(order.pin);
    expect(emails[0]!.messageStream).toBe('outbound');
    expect(pushes[0]!.title).toBe('Votre commande est en route');
    expect(pushes[0]!.data).toMatchObject({ event: 'order.in_delivery', eventId: event.id, orderId: order.orderId });

    const log = await logOf(event.id);
    expect(log.map((r) => [r.channel, r.status, r.provider]).sort()).toEqual([
      ['email', 'sent', 'postmark'],
      ['push', 'sent', 'fcm'],
      ['sms', 'sent', 'twilio'],
    ]);
    expect(log.find((r) => r.channel === 'sms')!.providerMessageId).toBe(sms[0]!.sid);
    // The log keeps a hash of the address, never the address.
    expect(JSON.stringify(log)).not.toContain(customer.phone!);
    expect(log.every((r) => /^[0-9a-f]{64}$/.test(r.recipientHash ?? ''))).toBe(true);

    // Local mode: the dev outbox has each message once, rendered.
    const captured = await db().select().from(devMessages).where(eq(devMessages.orderId, order.orderId));
    expect(captured.map((c) => c.channel).sort()).toEqual(['email', 'push', 'sms']);
    expect(captured.every((c) => c.locale === 'fr' && c.event === 'order.in_delivery')).toBe(true);
  });

  it('sends only on the channels the user allows, and logs why the others were skipped', async () => {
    const m = await createMerchant();
    const customer = await createUser('customer', { prefs: { sms: false, email: true, push: true } });
    const order = await createOrder(m, customer, { status: 'delivered' });
    const event = envelope('order.delivered', { orderId: order.orderId });

    const result = await deliver(QUEUE, [{ body: event }]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(await smsTo(customer.phone!)).toHaveLength(0);
    const emails = await emailsTo(customer.email);
    expect(emails).toHaveLength(1);
    expect(emails[0]!.subject).toBe('Your order was delivered');

    const log = await logOf(event.id);
    expect(log.map((r) => [r.channel, r.status, r.error]).sort()).toEqual([
      ['email', 'sent', null],
      ['push', 'skipped', 'no registered device'],
      ['sms', 'skipped', 'opted out of sms'],
    ]);
  });
});

describe('provider failures', () => {
  it('an SMS outage followed by recovery delivers every message once, and each attempt is logged', async () => {
    const m = await createMerchant();
    const customer = await createUser('customer');
    const orders = await Promise.all([createOrder(m, customer, { status: 'in_delivery' }), createOrder(m, customer, { status: 'delivered' })]);
    const events = [envelope('order.in_delivery', { orderId: orders[0].orderId }), envelope('order.delivered', { orderId: orders[1].orderId })];

    // Twilio is down for this number (5xx on every call) until cleared.
    await fakePost(env.TWILIO_API_BASE, '/_fake/faults', { match: encodeURIComponent(customer.phone!), status: 503 });
    const during = await deliver(QUEUE, events.map((body) => ({ id: body.id, body })));
    expect(during.retryMessages.map((r) => r.msgId).sort()).toEqual(events.map((e) => e.id).sort());
    // (The backoff of those retries is unit-tested: getQueueResult does not report delaySeconds.)
    expect(await smsTo(customer.phone!)).toHaveLength(0);
    // Email went out meanwhile.
    expect(await emailsTo(customer.email)).toHaveLength(2);

    // Still down on the second delivery.
    const again = await deliver(QUEUE, events.map((body) => ({ id: body.id, body, attempts: 2 })));
    expect(again.retryMessages).toHaveLength(2);

    // Recovery.
    await fakePost(env.TWILIO_API_BASE, `/_fake/faults?match=${encodeURIComponent(encodeURIComponent(customer.phone!))}`, {}, 'DELETE');
    const after = await deliver(QUEUE, events.map((body) => ({ id: body.id, body, attempts: 3 })));
    expect(after.retryMessages).toHaveLength(0);
    expect(after.explicitAcks).toHaveLength(2);

    const sms = await smsTo(customer.phone!);
    expect(sms).toHaveLength(2);
    expect(await emailsTo(customer.email)).toHaveLength(2);

    for (const e of events) {
      const [row] = (await logOf(e.id)).filter((r) => r.channel === 'sms');
      expect(row).toMatchObject({ status: 'sent', attempt: 3 });
      const attempts = await db().select().from(notificationAttempts).where(eq(notificationAttempts.logId, row!.id));
      expect(attempts.map((a) => [a.attempt, a.status, a.permanent, a.httpStatus]).sort()).toEqual([
        [1, 'failed', false, 503],
        [2, 'failed', false, 503],
        [3, 'sent', false, null],
      ]);
    }
  });

  it('a 4xx is permanent: no retry, and the next allowed channel carries the message', async () => {
    const m = await createMerchant();
    const pushToken = uniqueToken('unregistered');
    const customer = await createUser('customer', { pushTokens: [pushToken] });
    const order = await createOrder(m, customer, { status: 'preparing' });
    // order.preparing goes to the first usable channel: push, then SMS, then email.
    const event = envelope('order.preparing', { orderId: order.orderId });

    const result = await deliver(QUEUE, [{ body: event }]);
    expect(result.retryMessages).toHaveLength(0);
    // FCM said UNREGISTERED: the device is gone, the SMS went instead, no email needed.
    expect(await db().select().from(devices).where(eq(devices.pushToken, pushToken))).toHaveLength(0);
    const sms = await smsTo(customer.phone!);
    expect(sms).toHaveLength(1);
    expect(sms[0]!.body).toContain('is preparing it');
    expect(await emailsTo(customer.email)).toHaveLength(0);
    const log = await logOf(event.id);
    expect(log.map((r) => [r.channel, r.status]).sort()).toEqual([
      ['push', 'failed'],
      ['sms', 'sent'],
    ]);
    expect(log.find((r) => r.channel === 'push')!.error).toContain('UNREGISTERED');
  });

  it('an invalid phone number (Twilio 400) falls back to email', async () => {
    const m = await createMerchant();
    const customer = await createUser('customer', { phone: '+1555' /* not E.164 length: Twilio 21211 */ });
    const order = await createOrder(m, customer, { status: 'preparing' });
    const event = envelope('order.preparing', { orderId: order.orderId });
    const result = await deliver(QUEUE, [{ body: event }]);
    expect(result.retryMessages).toHaveLength(0);
    const [smsRow] = (await logOf(event.id)).filter((r) => r.channel === 'sms');
    expect(smsRow).toMatchObject({ status: 'failed' });
    expect(smsRow!.error).toContain('21211');
    const emails = await emailsTo(customer.email);
    expect(emails).toHaveLength(1);
    const attempts = await db().select().from(notificationAttempts).where(and(eq(notificationAttempts.logId, smsRow!.id)));
    expect(attempts).toMatchObject([{ status: 'failed', permanent: true, httpStatus: 400 }]);
  });
});

describe('the send lease', () => {
  it('lets one sender at a time send, hands over after a transient failure, and settles once sent', async () => {
    const { claimSend, recordAttempt } = await import('../../workers/services/notifications/log');
    const user = await createUser('customer');
    const key = { eventId: envelope('order.placed', {}).id, channel: 'sms' as const, userId: user.userId };
    const details = { template: 'customer.order.placed', orderId: null, recipientHash: 'h', provider: 'twilio' };
    const first = await claimSend(db(), key, details);
    expect(first.kind).toBe('claimed');
    // A duplicate delivery while the first sender is at work: busy (retried later), never a second send.
    expect((await claimSend(db(), key, details)).kind).toBe('busy');
    if (first.kind !== 'claimed') return;
    await recordAttempt(db(), first.row, { ok: false, permanent: false, provider: 'twilio', httpStatus: 503, error: '503', latencyMs: 5 });
    const second = await claimSend(db(), key, details);
    expect(second).toMatchObject({ kind: 'claimed', row: { attempt: 2 } });
    if (second.kind !== 'claimed') return;
    await recordAttempt(db(), second.row, { ok: true, provider: 'twilio', providerMessageId: 'SM1', latencyMs: 5 });
    expect(await claimSend(db(), key, details)).toEqual({ kind: 'settled', status: 'sent' });
  });

  it('a several-channel job claims its channels and records its skips in one statement; again, it claims nothing and the skips stay one', async () => {
    const { claimAll, claimSend } = await import('../../workers/services/notifications/log');
    const user = await createUser('customer');
    const eventId = envelope('order.placed', {}).id;
    const sends = [
      { channel: 'email' as const, recipientHash: 'he', provider: 'postmark' },
      { channel: 'sms' as const, recipientHash: 'hs', provider: 'twilio' },
    ];
    const skips = [{ channel: 'push' as const, reason: 'no registered device' }];
    const first = await claimAll(db(), { eventId, userId: user.userId }, 'customer.order.placed', null, sends, skips);
    expect(first.get('email')).toMatchObject({ status: 'queued', attempt: 1, recipientHash: 'he' });
    expect(first.get('sms')).toMatchObject({ status: 'queued', attempt: 1, recipientHash: 'hs' });
    const again = await claimAll(db(), { eventId, userId: user.userId }, 'customer.order.placed', null, sends, skips);
    expect([...again.values()]).toEqual([null, null]);
    const rows = await db().select().from(notificationLog).where(eq(notificationLog.eventId, eventId));
    expect(rows.map((r) => `${r.channel}:${r.status}`).sort()).toEqual(['email:queued', 'push:skipped', 'sms:queued']);
    // The redelivery's sender finds the rows leased by the first: busy, never a second send.
    const details = { template: 'customer.order.placed', orderId: null, recipientHash: 'he', provider: 'postmark' };
    expect((await claimSend(db(), { eventId, channel: 'email', userId: user.userId }, details, again.get('email'))).kind).toBe('busy');
  });
});
