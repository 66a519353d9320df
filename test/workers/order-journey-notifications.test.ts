/**
 * The notifications issue's "Done when", end to end in workerd, the way new
 * users would do it through the API: a customer who reads French and allows
 * SMS, email and push (with a registered device), a merchant with a webhook
 * registered for every event, a driver on the live channel. The order is
 * placed, paid at the Stripe fake, accepted, dispatched by the city shard,
 * picked up, driven near the dropoff (arriving soon) and delivered with the
 * PIN. Everything in between runs on its own: outbox relay, EVENTS queue,
 * consumer, provider clients against the fakes.
 *
 * Then: the merchant's receiver got every event of the order once, each with
 * a Standard Webhooks signature it verified with the secret from the
 * registration; the dev outbox and the fakes hold each customer message once
 * per (event, channel), in French, with the PIN and the tracking link where
 * the templates put them.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ORDER_NUMBER_PATTERN } from '../../domain/order';
import { call, callJson, createCity, register } from './auth-helpers';
import { Client } from './city-shard-helpers';
import { orderBody, payOrder, placeOrder } from './helpers/commerce';
import { emailsSentTo, fakePost, pushesSentTo, smsSentTo, uniquePhone, uniqueToken, webhooksReceived } from './helpers/notification-world';

const RECEIVER = inject('webhookReceiverUrl');
const MIN = 60_000;
/** The merchant webhook events of a delivered order (docs/api.md, Merchant webhooks). */
const ORDER_EVENTS = ['order.created', 'payment.succeeded', 'order.placed', 'order.preparing', 'order.assigned', 'order.ready', 'order.in_delivery', 'order.delivered'];
/** What the customer is told, on which channels (workers/services/notifications/rules.ts). */
const CUSTOMER_MESSAGES = [
  ['order.placed', 'email'], ['order.placed', 'push'], ['order.placed', 'sms'],
  ['order.preparing', 'push'],
  ['order.assigned', 'push'],
  ['order.in_delivery', 'email'], ['order.in_delivery', 'push'], ['order.in_delivery', 'sms'],
  ['order.arriving_soon', 'push'],
  ['order.delivered', 'email'], ['order.delivered', 'push'], ['order.delivered', 'sms'],
];
const FRENCH_TITLES: Record<string, RegExp> = {
  'order.placed': /^Commande #[34679ACDEFGHJKMNPQRTWXY]{7} confirmée$/,
  'order.preparing': /^Votre commande est en préparation$/,
  'order.assigned': /^Un livreur s’en occupe$/,
  'order.in_delivery': /^Votre commande est en route$/,
  'order.arriving_soon': /^Votre livreur arrive$/,
  'order.delivered': /^Votre commande a été livrée$/,
};

interface DevMessage { channel: 'sms' | 'email' | 'push'; to: string; event: string; locale: string; subject?: string; body: string; orderId?: string }

const sockets: Client[] = [];
afterAll(() => {
  for (const s of sockets) s.close();
});

async function live(path: string, token: string): Promise<Client> {
  const res = await call(path, { token, headers: { Upgrade: 'websocket' } });
  expect(res.status).toBe(101);
  const socket = new Client(res.webSocket!);
  sockets.push(socket);
  return socket;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const step = (orderId: string, name: string, token: string, body: unknown = {}) => callJson(`/v1/orders/${orderId}/${name}`, { method: 'POST', token, body }, 200);

/** A point a fraction `f` of the way from `a` to `b`. */
const along = (a: { lat: number; lng: number }, b: { lat: number; lng: number }, f: number) => ({ lat: a.lat + (b.lat - a.lat) * f, lng: a.lng + (b.lng - a.lng) * f });
const fixAt = (p: { lat: number; lng: number }, ago: number) => ({ type: 'location', lat: p.lat, lng: p.lng, at: new Date(Date.now() - ago).toISOString() });

describe('an order from placement to delivery, as its people see it', () => {
  it('reaches the customer once per event and channel, in French, and the merchant’s webhook once per event, signed', async () => {
    const cityId = await createCity();

    // The merchant signs up, lists a product and registers a webhook for everything.
    const merchant = await register('merchant', cityId);
    const merchantId = merchant.user.merchantId!;
    const shop = { lat: 48.85, lng: 2.35 }; // registrationBody's business location
    const { body: product } = await callJson<{ id: string }>(`/v1/merchants/${merchantId}/products`, { token: merchant.accessToken, body: { name: 'Galette complète', priceCents: 1250 } }, 201);
    const hookName = `journey-${crypto.randomUUID().slice(0, 8)}`;
    const { body: hook } = await callJson<{ id: string; secret: string }>(
      `/v1/merchants/${merchantId}/webhooks`,
      { token: merchant.accessToken, body: { url: `${RECEIVER}/hooks/${hookName}`, events: ['*'] } },
      201,
    );
    await fakePost(RECEIVER, '/_fake/secrets', { name: hookName, secret: hook.secret });

    // The customer signs up, reads French, allows every channel and installs the app.
    const customer = await register('customer', cityId);
    const phone = uniquePhone();
    await callJson('/v1/me/notification-preferences', { method: 'PUT', token: customer.accessToken, body: { sms: true, email: true, push: true, marketing: false, phone, locale: 'fr-FR' } }, 200);
    const pushToken = uniqueToken('fcm-journey');
    await callJson('/v1/me/devices', { token: customer.accessToken, body: { pushToken, platform: 'android' } }, 201);

    // A driver goes online at the shop (its phone's fixes carry their own times).
    const driver = await register('driver', cityId);
    const driverSocket = await live('/v1/drivers/me/live', driver.accessToken);
    await driverSocket.next('session');
    driverSocket.send(fixAt(along(shop, shop, 0), 20 * MIN));
    driverSocket.send({ type: 'availability', available: true });
    await driverSocket.next('session');

    // Place and pay.
    const body = orderBody(merchantId, [{ productId: product.id, quantity: 2 }]);
    const dropoff = body.dropoff.location;
    const created = await placeOrder(customer.accessToken, body);
    const orderId = created.order.id;
    await payOrder(created);

    // The merchant accepts; the shard offers the order to the driver, who accepts.
    await step(orderId, 'accept', merchant.accessToken);
    const offer = await driverSocket.next('offer', 8_000);
    expect(offer.orderId).toBe(orderId);
    driverSocket.send({ type: 'offer.accept', offerId: offer.offerId });
    await driverSocket.next('assignment', 8_000);
    await until('the assignment in Postgres', async () => (await callJson<{ dispatch: string }>(`/v1/orders/${orderId}`, { token: customer.accessToken })).body.dispatch === 'assigned');

    // Ready, at the counter, picked up.
    await step(orderId, 'ready', merchant.accessToken);
    await step(orderId, 'arrived', driver.accessToken);
    await step(orderId, 'pickup', driver.accessToken);

    // The customer watches the trip; once the shard knows the order is on its way, the driver drives.
    const watcher = await live(`/v1/orders/${orderId}/live`, customer.accessToken);
    await until('in_delivery on the live channel', async () => watcher.all('status').some((m) => m.status === 'in_delivery'));
    const etaAfter = async (fix: ReturnType<typeof fixAt>) => {
      const seen = watcher.all('eta').length;
      driverSocket.send(fix);
      return until('an ETA', async () => watcher.all('eta').length > seen && (watcher.all('eta').at(-1)!.seconds as number));
    };
    expect(await etaAfter(fixAt(along(shop, dropoff, 0.33), 10 * MIN))).toBeGreaterThan(180); // about 1 km out
    expect(await etaAfter(fixAt(along(shop, dropoff, 0.78), 5 * MIN))).toBeLessThanOrEqual(180); // about 330 m out
    expect(await etaAfter(fixAt(along(shop, dropoff, 0.95), 2 * MIN))).toBeLessThan(60); // at the door: no second "arriving soon"
    await until('the arriving-soon push', async () => (await pushesSentTo(pushToken)).some((p) => p.data.event === 'order.arriving_soon'));

    // Delivered with the PIN the customer was sent.
    const { body: seen } = await callJson<{ deliveryPin: string; trackingUrl: string; number: string }>(`/v1/orders/${orderId}`, { token: customer.accessToken }, 200);
    const delivered = await step(orderId, 'deliver', driver.accessToken, { pin: seen.deliveryPin });
    expect(delivered.body).toMatchObject({ status: 'delivered' });
    const deliveredAt = Date.now();

    // Everything lands; then a pause, so a duplicate would have time to show up.
    const outbox = async () => (await callJson<{ items: DevMessage[] }>(`/v1/dev/outbox?orderId=${orderId}`, {}, 200)).body.items;
    await until('every message and webhook', async () => (await outbox()).length >= CUSTOMER_MESSAGES.length + 1 && (await webhooksReceived(RECEIVER, hookName)).length >= ORDER_EVENTS.length);
    const settledMs = Date.now() - deliveredAt;
    await new Promise((r) => setTimeout(r, 2_000));

    // ---- The merchant's webhook: every event of the order, once, signed and verified.
    const hooks = await webhooksReceived(RECEIVER, hookName);
    expect(hooks.map((h) => h.body.type).sort()).toEqual([...ORDER_EVENTS].sort());
    for (const h of hooks) {
      expect(h).toMatchObject({ verified: true, status: 204, webhookId: h.body.id });
      expect(h.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      expect(h.body.data.order).toMatchObject({ id: orderId });
    }
    expect(new Set(hooks.map((h) => h.webhookId)).size).toBe(ORDER_EVENTS.length);
    const { body: log } = await callJson<{ items: { event: string; statusCode: number | null }[] }>(`/v1/merchants/${merchantId}/webhooks/${hook.id}/deliveries`, { token: merchant.accessToken }, 200);
    expect(log.items.map((d) => [d.event, d.statusCode]).sort()).toEqual(ORDER_EVENTS.map((e) => [e, 204]).sort());

    // ---- The dev outbox: each customer message once per (event, channel), in French.
    const messages = await outbox();
    const toCustomer = messages.filter((m) => [phone, customer.email, pushToken].includes(m.to));
    expect(toCustomer.map((m) => [m.event, m.channel]).sort()).toEqual([...CUSTOMER_MESSAGES].sort());
    // The only other message of the order: the merchant's new-order email, in its own language.
    const others = messages.filter((m) => !toCustomer.includes(m));
    expect(others.map((m) => [m.event, m.channel, m.to, m.locale])).toEqual([['order.placed', 'email', merchant.email, 'en']]);

    const pin = seen.deliveryPin;
    const trackingUrl = seen.trackingUrl;
    expect(trackingUrl).toMatch(/\/track\/\w+/);
    const of = (event: string, channel: DevMessage['channel']) => toCustomer.find((m) => m.event === event && m.channel === channel)!;
    for (const m of toCustomer) {
      expect(m.locale).toBe('fr');
      if (m.channel !== 'sms') expect(m.subject).toMatch(FRENCH_TITLES[m.event]!);
    }
    expect(of('order.placed', 'sms').body).toContain('Votre code de livraison est');
    for (const channel of ['sms', 'email', 'push'] as const) {
      expect(of('order.placed', channel).body).toContain(pin);
      expect(of('order.in_delivery', channel).body).toContain(pin);
      expect(of('order.in_delivery', channel).body).toContain(trackingUrl);
      expect(of('order.delivered', channel).body).toContain('a été livrée');
    }
    expect(of('order.placed', 'email').body).toContain(`Suivez votre commande : ${trackingUrl}`);

    // ---- One order number: the API's, in every message (customer and merchant), never one made from the id.
    expect(seen.number).toMatch(ORDER_NUMBER_PATTERN);
    const oldCode = `#${orderId.slice(-6).toUpperCase()}`;
    for (const m of messages) {
      const text = `${m.subject ?? ''}\n${m.body}`;
      expect(text, `${m.event} ${m.channel}`).toContain(`#${seen.number}`);
      expect(text, `${m.event} ${m.channel}`).not.toContain(oldCode);
    }
    expect(of('order.arriving_soon', 'push').body).toMatch(new RegExp(`arrive dans environ [1-3] min\\. Préparez votre code ${pin}\\.`));

    // ---- The providers' fakes saw exactly those messages.
    const [sms, emails, pushes] = await Promise.all([smsSentTo(phone), emailsSentTo(customer.email), pushesSentTo(pushToken)]);
    expect(sms.map((s) => s.body).sort()).toEqual(toCustomer.filter((m) => m.channel === 'sms').map((m) => m.body).sort());
    expect(emails.map((e) => e.subject).sort()).toEqual(toCustomer.filter((m) => m.channel === 'email').map((m) => m.subject).sort());
    expect(pushes.map((p) => p.data.event).sort()).toEqual(toCustomer.filter((m) => m.channel === 'push').map((m) => m.event).sort());
    expect(pushes.every((p) => p.data.orderId === orderId)).toBe(true);

    console.log(JSON.stringify({ journey: { webhooks: hooks.length, messages: messages.length, customer: { sms: sms.length, email: emails.length, push: pushes.length }, settledAfterDeliverMs: settledMs } }));
  }, 60_000);
});
