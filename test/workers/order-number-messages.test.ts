/**
 * One order number everywhere: every SMS, email and push about an order names
 * it `#` + the `number` that GET /v1/orders/{id} answers, whoever is told
 * (customer, merchant) and whatever the event (order.*, payment.*, the
 * shard's arriving soon), and no message carries a code derived from the
 * order's id, as the templates and the web apps once did.
 */
import { describe, expect, it } from 'vitest';
import { ORDER_NUMBER_PATTERN } from '../../domain/order';
import { callJson } from './auth-helpers';
import { createDriver, createMerchant, createOrder, createUser, deliver, envelope, pushesSentTo, uniqueToken } from './helpers/notification-world';

const QUEUE = 'delivery-events';

interface DevMessage { channel: 'sms' | 'email' | 'push'; to: string; event: string; locale: string; subject?: string | null; body: string; orderId?: string | null }

/** The codes people were shown before orders had a number: the templates' and the web apps'. */
const idDerivedCodes = (orderId: string) => [`#${orderId.slice(-6).toUpperCase()}`, `#${orderId.slice(orderId.indexOf('_') + 1, orderId.indexOf('_') + 7).toUpperCase()}`];

describe('the order number in messages', () => {
  it('is the API’s number in every SMS, email and push of an order, for customer and merchant, and never an id-derived code', async () => {
    const m = await createMerchant(undefined, { prefs: { sms: true, email: true, push: false } });
    const driver = await createDriver(m.cityId);
    const pushToken = uniqueToken('fcm-number');
    const customer = await createUser('customer', { locale: 'fr', pushTokens: [pushToken], prefs: { sms: true, email: true, push: true } });
    const order = await createOrder(m, customer, { status: 'in_delivery', driverId: driver.driverId, seq: 1 });

    const { body: seen } = await callJson<{ id: string; number: string }>(`/v1/orders/${order.orderId}`, { token: customer.token }, 200);
    expect(seen.number).toMatch(ORDER_NUMBER_PATTERN);
    expect(seen.number).toBe(order.number);

    // Order events carry the number as the orders domain writes them; payment.* and the shard's facts do not.
    let seq = 1;
    const withNumber = (type: string, extra: Record<string, unknown> = {}) => envelope(type, { orderId: order.orderId, number: order.number, seq: ++seq, ...extra });
    const events = [
      withNumber('order.placed'),
      withNumber('order.preparing'),
      withNumber('order.assigned', { driverId: driver.driverId }),
      withNumber('order.in_delivery'),
      envelope('order.arriving_soon', { orderId: order.orderId, driverId: driver.driverId, etaSeconds: 180 }),
      envelope('payment.refunded', { orderId: order.orderId, amountCents: 2550, refundedCents: 2550, currency: 'EUR' }),
      withNumber('order.cancelled', { actor: { type: 'customer', id: customer.userId } }),
    ];
    // One event per batch, in order: arriving soon is sent only while the order is on its way.
    for (const body of events) expect((await deliver(QUEUE, [{ body }])).retryMessages).toEqual([]);

    const { body: outbox } = await callJson<{ items: DevMessage[] }>(`/v1/dev/outbox?orderId=${order.orderId}`, {}, 200);
    const messages = outbox.items;
    // Every event reached someone; every channel was used.
    expect(new Set(messages.map((msg) => msg.event))).toEqual(new Set(events.map((e) => e.type)));
    expect(new Set(messages.map((msg) => msg.channel))).toEqual(new Set(['sms', 'email', 'push']));
    expect(messages.filter((msg) => msg.to === m.owner.email).map((msg) => msg.event).sort()).toEqual(['order.cancelled', 'order.placed']);

    const display = `#${seen.number}`;
    for (const msg of messages) {
      const text = `${msg.subject ?? ''}\n${msg.body}`;
      expect(text, `${msg.event} ${msg.channel} to ${msg.to}`).toContain(display);
      for (const code of idDerivedCodes(order.orderId)) expect(text, `${msg.event} ${msg.channel}`).not.toContain(code);
      // Whatever `#…` a message shows is this order's number.
      for (const shown of text.match(/#[0-9A-Z]+/g) ?? []) expect(shown, `${msg.event} ${msg.channel}`).toBe(display);
    }
    // Merchant emails name the order in the subject.
    for (const msg of messages.filter((x) => x.to === m.owner.email)) expect(msg.subject).toContain(display);
    // A push about an order event names that event's seq in its data, and the number (ADR 0075).
    const pushes = await pushesSentTo(pushToken);
    const assignedPush = pushes.find((p) => p.data.event === 'order.assigned');
    expect(assignedPush?.data).toMatchObject({ seq: '4', number: order.number });
  });
});
