/**
 * POST /v1/webhooks/twilio/status: a callback signed the way Twilio signs
 * (the fake's own implementation of the documented algorithm) is accepted
 * and moves the log entry to `delivered`; a forged one is refused and
 * changes nothing.
 */
import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { notificationLog } from '../../db/schema/index';
import { call } from './auth-helpers';
import { createMerchant, createOrder, createUser, db, deliver, envelope, fakeGet } from './helpers/notification-world';

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
