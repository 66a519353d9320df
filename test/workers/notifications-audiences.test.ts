/**
 * Who is told what: merchants of new orders and cancellations, drivers of
 * offers (by push, for an app in the background), customers without an
 * account at the contact they gave, refunds with their amount; nothing for
 * a stale message.
 */
import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { deadLetters, dispatchOffers, notificationLog, orderContacts } from '../../db/schema/index';
import { createDriver, createMerchant, createOrder, createUser, db, deliver, envelope, fakeGet, uniqueToken } from './helpers/notification-world';

const QUEUE = 'delivery-events';
const pushesTo = async (token: string) =>
  (await fakeGet<{ items: { title: string; body: string; data: Record<string, string>; android: { ttl?: string } }[] }>(env.FCM_API_BASE, `/_fake/messages?token=${token}`)).items;
const emailsTo = async (address: string) => (await fakeGet<{ items: { subject: string; textBody: string }[] }>(env.EMAIL_API_BASE, `/_fake/emails?to=${encodeURIComponent(address)}`)).items;
const smsTo = async (phone: string) => (await fakeGet<{ items: { body: string }[] }>(env.TWILIO_API_BASE, `/_fake/messages?to=${encodeURIComponent(phone)}`)).items;

describe('merchants', () => {
  it('are told of a new order and of a cancellation, by push first', async () => {
    const ownerToken = uniqueToken('owner');
    const m = await createMerchant(undefined, { pushTokens: [ownerToken] });
    const order = await createOrder(m, null, { contact: { phone: '+33600000003' } });
    await deliver(QUEUE, [{ body: envelope('order.placed', { orderId: order.orderId }) }]);
    await deliver(QUEUE, [{ body: envelope('order.cancelled', { orderId: order.orderId, actor: { type: 'customer', id: null } }) }]);
    const pushes = await pushesTo(ownerToken);
    expect(pushes.map((p) => p.title)).toEqual([expect.stringMatching(/^New order #/), expect.stringMatching(/^Order #.* cancelled$/)]);
    expect(await emailsTo(m.owner.email)).toHaveLength(0);
  });

  it('are not told of a cancellation they made themselves', async () => {
    const ownerToken = uniqueToken('owner');
    const m = await createMerchant(undefined, { pushTokens: [ownerToken] });
    const order = await createOrder(m, null, { contact: { phone: '+33600000004' } });
    await deliver(QUEUE, [{ body: envelope('order.cancelled', { orderId: order.orderId, actor: { type: 'merchant', id: m.owner.userId } }) }]);
    expect(await pushesTo(ownerToken)).toHaveLength(0);
  });
});

describe('drivers', () => {
  it('get a push for an offer from the shard, with its expiry, once', async () => {
    const m = await createMerchant();
    const driverToken = uniqueToken('driver');
    const driver = await createDriver(m.cityId, { pushTokens: [driverToken], locale: 'fr' });
    const order = await createOrder(m, null, { contact: { phone: '+33600000005' } });
    const offerId = `ofr_${crypto.randomUUID().replace(/-/g, '').slice(0, 20)}`;
    const fact = {
      source: 'city-shard',
      event: {
        id: `shard-evt-${crypto.randomUUID()}`,
        type: 'dispatch.offered',
        shardKey: 'test',
        orderId: order.orderId,
        at: new Date().toISOString(),
        offerId,
        driverId: driver.driverId,
        round: 1,
        expiresAt: new Date(Date.now() + 30_000).toISOString(),
        payoutCents: 650,
      },
    };
    await deliver(QUEUE, [{ body: fact }, { body: fact }]);
    await deliver(QUEUE, [{ body: fact, attempts: 2 }]);
    const pushes = await pushesTo(driverToken);
    expect(pushes).toHaveLength(1);
    expect(pushes[0]!.title).toBe('Nouvelle course proposée');
    expect(pushes[0]!.body).toContain('6,50');
    expect(pushes[0]!.data).toMatchObject({ type: 'dispatch.offer', offerId });
    // An offer is worth delivering only until it expires.
    expect(Number(pushes[0]!.android.ttl!.replace('s', ''))).toBeLessThanOrEqual(30);
    // The orders domain applies the same fact to Postgres: the offer enters the dispatch log, once.
    const offers = await db().select().from(dispatchOffers).where(eq(dispatchOffers.id, offerId));
    expect(offers).toEqual([expect.objectContaining({ orderId: order.orderId, driverId: driver.driverId, status: 'pending' })]);
    expect(await db().select().from(deadLetters).where(eq(deadLetters.body, fact))).toHaveLength(0);
  });

  it('get nothing for an offer that has already expired', async () => {
    const m = await createMerchant();
    const driverToken = uniqueToken('driver');
    const driver = await createDriver(m.cityId, { pushTokens: [driverToken] });
    const order = await createOrder(m, null, { contact: { phone: '+33600000006' } });
    const event = envelope('dispatch.offer', { orderId: order.orderId, driverId: driver.driverId, offerId: 'ofr_old', expiresAt: new Date(Date.now() - 1000).toISOString() });
    await deliver(QUEUE, [{ body: event }]);
    expect(await pushesTo(driverToken)).toHaveLength(0);
    const [row] = await db().select().from(notificationLog).where(eq(notificationLog.eventId, event.id));
    expect(row).toMatchObject({ status: 'skipped', error: expect.stringContaining('stale') });
  });
});

describe('customers', () => {
  it('without an account are texted at the number the merchant gave, in English, with the PIN', async () => {
    const m = await createMerchant();
    const phone = `+3361${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    const order = await createOrder(m, null, { contact: { phone, name: 'Walk-in' } });
    await deliver(QUEUE, [{ body: envelope('order.placed', { orderId: order.orderId }) }]);
    const sms = await smsTo(phone);
    expect(sms).toHaveLength(1);
    expect(sms[0]!.body).toContain(`Your delivery code is ${order.pin}`);
  });

  it('without an account and whose contact was erased are not reached at all (the contact comes with the order’s one read)', async () => {
    const m = await createMerchant();
    const phone = `+3361${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    const order = await createOrder(m, null, { contact: { phone, name: 'Walk-in' } });
    await db().update(orderContacts).set({ erasedAt: new Date() }).where(eq(orderContacts.orderId, order.orderId));
    await deliver(QUEUE, [{ body: envelope('order.placed', { orderId: order.orderId }) }]);
    expect(await smsTo(phone)).toHaveLength(0);
    expect((await db().select().from(notificationLog).where(eq(notificationLog.orderId, order.orderId))).filter((r) => r.status !== 'skipped' && r.userId === null)).toHaveLength(0);
  });

  it('are told of a refund with its amount, by email first', async () => {
    const m = await createMerchant();
    const customer = await createUser('customer');
    const order = await createOrder(m, customer, { status: 'cancelled' });
    await deliver(QUEUE, [{ body: envelope('payment.refunded', { orderId: order.orderId, amountCents: 2550, refundedCents: 2550, currency: 'EUR' }) }]);
    const emails = await emailsTo(customer.email);
    expect(emails).toHaveLength(1);
    expect(emails[0]!.subject).toBe('Refund issued');
    expect(emails[0]!.textBody).toContain('€25.50');
    expect(await smsTo(customer.phone!)).toHaveLength(0);
  });

  it('hear about every status of the issue, in French when that is their language', async () => {
    const m = await createMerchant();
    const pushToken = uniqueToken('fr');
    const driver = await createDriver(m.cityId);
    const customer = await createUser('customer', { locale: 'fr', pushTokens: [pushToken], prefs: { sms: false, email: false, push: true } });
    const order = await createOrder(m, customer, { status: 'in_delivery', driverId: driver.driverId });
    const types = ['order.placed', 'order.preparing', 'order.assigned', 'order.in_delivery', 'order.arriving_soon', 'order.delivered', 'order.failed', 'order.cancelled', 'order.rejected'];
    await deliver(QUEUE, types.map((type) => ({ body: envelope(type, { orderId: order.orderId, etaSeconds: 240 }) })));
    const titles = (await pushesTo(pushToken)).map((p) => p.title).sort();
    expect(titles).toEqual(
      [
        `Commande #${order.number} confirmée`,
        'Votre commande est en préparation',
        'Un livreur s’en occupe',
        'Votre commande est en route',
        'Votre livreur arrive',
        'Votre commande a été livrée',
        'La livraison n’a pas pu aboutir',
        'Votre commande a été annulée',
        'Votre commande n’a pas pu être acceptée',
      ].sort(),
    );
    const assigned = (await pushesTo(pushToken)).find((p) => p.title === 'Un livreur s’en occupe')!;
    expect(assigned.body).toContain('Karim');
  });
});
