/**
 * GET /v1/dev/outbox: in local mode, every message that would have been sent,
 * filterable by order and recipient; anywhere else the route does not exist.
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../support/worker-entry';
import { callJson } from './auth-helpers';
import { createMerchant, createOrder, createUser, deliver, envelope } from './helpers/notification-world';

interface DevMessage { id: string; channel: string; to: string; event: string; locale: string; subject?: string; body: string; orderId?: string; at: string }

describe('dev outbox', () => {
  it('lists the rendered messages of an order, and of a recipient', async () => {
    const m = await createMerchant();
    const customer = await createUser('customer', { locale: 'fr' });
    const order = await createOrder(m, customer);
    await deliver('delivery-events', [{ body: envelope('order.placed', { orderId: order.orderId }) }]);

    const { body } = await callJson<{ items: DevMessage[] }>(`/v1/dev/outbox?orderId=${order.orderId}`, {}, 200);
    // The customer's confirmation by SMS and email (no device for push), the owner's new-order email.
    expect(body.items.map((i) => [i.channel, i.to]).sort()).toEqual(
      [
        ['email', customer.email],
        ['email', m.owner.email],
        ['sms', customer.phone],
      ].sort(),
    );
    const sms = body.items.find((i) => i.channel === 'sms')!;
    expect(sms).toMatchObject({ event: 'order.placed', locale: 'fr', orderId: order.orderId });
    expect(sms.subject).toBeUndefined();
    expect(sms.body).toContain(order.pin);
    expect(sms.body).toContain('Votre code de livraison');
    const ownerMail = body.items.find((i) => i.to === m.owner.email)!;
    expect(ownerMail.subject).toMatch(/^New order #/);

    const byRecipient = await callJson<{ items: DevMessage[] }>(`/v1/dev/outbox?to=${encodeURIComponent(customer.phone!)}`, {}, 200);
    expect(byRecipient.body.items.map((i) => i.id)).toEqual([sms.id]);
  });

  it('does not exist outside local mode (404 problem)', async () => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request('http://platform.test/v1/dev/outbox'), { ...env, APP_ENV: 'production' } as Env, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });
});
