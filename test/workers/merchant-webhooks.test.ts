/**
 * Merchant webhooks end to end in workerd: registration (secret shown once),
 * Standard Webhooks signatures checked by the receiver fake with its own
 * implementation, retries with backoff when the receiver fails, the delivery
 * log, replay, and the address policy outside local mode.
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, inject, it } from 'vitest';
import { webhookDeliveries, webhookEndpoints } from '../../db/schema/index';
import worker from '../support/worker-entry';
import { callJson } from './auth-helpers';
import { createMerchant, createOrder, createUser, db, deliver, envelope, fakeGet, fakePost, type MerchantWorld } from './helpers/notification-world';

const RECEIVER = inject('webhookReceiverUrl');
const QUEUE = 'delivery-events';

interface Delivery { id: string; eventId: string; event: string; attempt: number; trigger: string; status: string; statusCode: number | null; latencyMs: number | null; nextRetryAt: string | null; error: string | null }
interface Received { webhookId: string; timestamp: string; signature: string; verified: boolean | null; body: { id: string; type: string; createdAt: string; data: { order: Record<string, unknown> } } }

async function register(m: MerchantWorld, events: string[] = ['*']) {
  const name = `rcv-${crypto.randomUUID().slice(0, 8)}`;
  const { body } = await callJson<{ id: string; secret: string; url: string; events: string[] }>(
    `/v1/merchants/${m.merchantId}/webhooks`,
    { token: m.owner.token, body: { url: `${RECEIVER}/hooks/${name}`, events } },
    201,
  );
  await fakePost(RECEIVER, '/_fake/secrets', { name, secret: body.secret });
  return { ...body, name };
}

const received = async (name: string) => (await fakeGet<{ items: Received[] }>(RECEIVER, `/_fake/received?name=${name}`)).items;
const requestsTo = async (name: string) => (await fakeGet<{ items: { status: number; headers: Record<string, string> }[] }>(RECEIVER, `/_fake/requests?match=/hooks/${name}`)).items;
const logOf = async (m: MerchantWorld, webhookId: string) =>
  (await callJson<{ items: Delivery[] }>(`/v1/merchants/${m.merchantId}/webhooks/${webhookId}/deliveries`, { token: m.owner.token }, 200)).body.items;

/** "Time passes": the retry that is scheduled becomes due now. */
const makeRetryDue = (endpointId: string, eventId: string) =>
  db()
    .update(webhookDeliveries)
    .set({ nextRetryAt: new Date(Date.now() - 1000) })
    .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.eventId, eventId), eq(webhookDeliveries.status, 'failed')));

describe('merchant webhooks', () => {
  it('registers an endpoint with a secret shown once', async () => {
    const m = await createMerchant();
    const hook = await register(m, ['order.placed', 'order.delivered']);
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(atob(hook.secret.slice('whsec_'.length))).toHaveLength(32);
    expect(hook.events).toEqual(['order.placed', 'order.delivered']);
    const { body } = await callJson<{ items: Record<string, unknown>[] }>(`/v1/merchants/${m.merchantId}/webhooks`, { token: m.owner.token }, 200);
    expect(body.items).toHaveLength(1);
    expect(JSON.stringify(body)).not.toContain(hook.secret.slice(6, 20));
    // Another merchant sees nothing of it.
    const other = await createMerchant();
    await callJson(`/v1/merchants/${m.merchantId}/webhooks/${hook.id}/deliveries`, { token: other.owner.token }, 404);
  });

  it('accepts Idempotency-Key: a retried registration answers the first one (without its secret, ADR 0083), another body is 409', async () => {
    const m = await createMerchant();
    const key = crypto.randomUUID();
    const body = { url: `${RECEIVER}/hooks/idem`, events: ['order.placed'] };
    const headers = { 'Idempotency-Key': key };
    const first = await callJson<{ id: string; secret?: string }>(`/v1/merchants/${m.merchantId}/webhooks`, { token: m.owner.token, body, headers }, 201);
    const again = await callJson<{ id: string; secret?: string }>(`/v1/merchants/${m.merchantId}/webhooks`, { token: m.owner.token, body, headers }, 201);
    const { secret, ...endpoint } = first.body;
    expect(secret).toMatch(/^whsec_/);
    expect(again.body).toEqual(endpoint);
    await callJson(`/v1/merchants/${m.merchantId}/webhooks`, { token: m.owner.token, body: { ...body, events: ['*'] }, headers }, 409);
    expect(await db().select().from(webhookEndpoints).where(eq(webhookEndpoints.merchantId, m.merchantId))).toHaveLength(1);
  });

  it('a receiver that fails three times gets the event on the fourth attempt, signed, and the log shows every attempt', async () => {
    const m = await createMerchant();
    const customer = await createUser('customer', { prefs: { sms: false, email: false, push: false } });
    const hook = await register(m);
    const order = await createOrder(m, customer);
    await fakePost(RECEIVER, '/_fake/faults', { match: `/hooks/${hook.name}`, times: 3, status: 500 });
    const event = envelope('order.placed', { orderId: order.orderId, status: 'placed' });

    // First attempt: with the event.
    const result = await deliver(QUEUE, [{ body: event }]);
    expect(result.retryMessages).toHaveLength(0); // a receiver's failure never holds the event
    let log = await logOf(m, hook.id);
    expect(log).toMatchObject([{ attempt: 1, trigger: 'event', status: 'failed', statusCode: 500 }]);
    const firstRetryIn = Date.parse(log[0]!.nextRetryAt!) - Date.now();
    expect(firstRetryIn).toBeGreaterThan(0);
    expect(firstRetryIn).toBeLessThanOrEqual(5_000);

    // Attempts 2, 3, 4: each when its retry falls due, as the `webhook.retry` message or the sweep would run it.
    for (const attempt of [2, 3, 4]) {
      await makeRetryDue(hook.id, event.id);
      await deliver(QUEUE, [{ body: { id: `retry-${attempt}`, type: 'webhook.retry', createdAt: new Date().toISOString(), data: { endpointId: hook.id, eventId: event.id } } }]);
      await expect.poll(async () => (await logOf(m, hook.id)).length).toBe(attempt);
    }
    log = await logOf(m, hook.id);
    expect(log.map((d) => [d.attempt, d.trigger, d.status, d.statusCode])).toEqual([
      [4, 'retry', 'succeeded', 204],
      [3, 'retry', 'failed', 500],
      [2, 'retry', 'failed', 500],
      [1, 'event', 'failed', 500],
    ]);
    expect(log.every((d) => d.eventId === event.id && d.event === 'order.placed' && d.latencyMs !== null)).toBe(true);
    expect(log[0]!.nextRetryAt).toBeNull();

    // The receiver saw four POSTs with the same Webhook-Id; the one it accepted verified with the secret.
    const requests = await requestsTo(hook.name);
    expect(requests.map((r) => r.status)).toEqual([500, 500, 500, 204]);
    expect(new Set(requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([event.id]));
    const [got] = await received(hook.name);
    expect(got).toMatchObject({ webhookId: event.id, verified: true });
    expect(got!.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(got!.body).toMatchObject({ id: event.id, type: 'order.placed', createdAt: event.createdAt, data: { order: { id: order.orderId, status: 'placed', merchantId: m.merchantId } } });
    // Only the customer sees the delivery PIN.
    expect(JSON.stringify(got!.body)).not.toContain(order.pin);

    // Replay: one more attempt, same Webhook-Id.
    const replayPath = `/v1/merchants/${m.merchantId}/webhooks/${hook.id}/deliveries/${log[0]!.id}/replay`;
    const replayKey = `replay-${crypto.randomUUID()}`;
    const { body: replayed } = await callJson<Delivery>(replayPath, { token: m.owner.token, method: 'POST', headers: { 'Idempotency-Key': replayKey } }, 201);
    expect(replayed).toMatchObject({ attempt: 5, trigger: 'replay', status: 'succeeded', statusCode: 204, eventId: event.id });
    // The same Idempotency-Key again (a lost answer retried): the first attempt answered again, nothing sent.
    const retried = await callJson<Delivery>(replayPath, { token: m.owner.token, method: 'POST', headers: { 'Idempotency-Key': replayKey } }, 201);
    expect(retried.body).toEqual(replayed);
    const all = await received(hook.name);
    expect(all).toHaveLength(2);
    expect((await logOf(m, hook.id)).map((d) => d.attempt)).toEqual([5, 4, 3, 2, 1]);
    expect(all.every((r) => r.webhookId === event.id && r.verified === true)).toBe(true);
  });

  it('delivers only the subscribed event types, once however often the event is delivered', async () => {
    const m = await createMerchant();
    const hook = await register(m, ['order.delivered']);
    const order = await createOrder(m, null, { status: 'delivered', contact: { phone: '+33600000001' } });
    const placed = envelope('order.placed', { orderId: order.orderId });
    const delivered = envelope('order.delivered', { orderId: order.orderId });
    await deliver(QUEUE, [{ body: placed }, { body: delivered }]);
    await deliver(QUEUE, [{ body: delivered, attempts: 2 }]);
    const got = await received(hook.name);
    expect(got.map((r) => r.body.type)).toEqual(['order.delivered']);
  });

  it('one batch reads a merchant’s endpoints once: each endpoint still gets only its own event types, and one deleted before the next batch gets nothing more', async () => {
    const m = await createMerchant();
    const placedOnly = await register(m, ['order.placed']);
    const everything = await register(m, ['*']);
    const first = await createOrder(m, null, { status: 'delivered', contact: { phone: '+33600000001' } });
    const second = await createOrder(m, null, { status: 'delivered', contact: { phone: '+33600000001' } });
    await deliver(QUEUE, [
      { body: envelope('order.placed', { orderId: first.orderId }) },
      { body: envelope('order.delivered', { orderId: first.orderId }) },
      { body: envelope('order.placed', { orderId: second.orderId }) },
    ]);
    expect((await received(placedOnly.name)).map((r) => r.body.type).sort()).toEqual(['order.placed', 'order.placed']);
    expect((await received(everything.name)).map((r) => r.body.type).sort()).toEqual(['order.delivered', 'order.placed', 'order.placed']);

    await callJson(`/v1/merchants/${m.merchantId}/webhooks/${everything.id}`, { method: 'DELETE', token: m.owner.token }, 204);
    await deliver(QUEUE, [{ body: envelope('order.delivered', { orderId: second.orderId }) }]);
    expect(await received(everything.name)).toHaveLength(3);
  });

  it('a payment event reaches the order’s merchant, whether the event names the merchant (as written since issue 14) or only the order', async () => {
    const m = await createMerchant();
    const other = await createMerchant();
    const hook = await register(m, ['payment.succeeded']);
    const elsewhere = await register(other, ['payment.succeeded']);
    const order = await createOrder(m, null, { status: 'placed', contact: { phone: '+33600000001' } });
    const named = envelope('payment.succeeded', { orderId: order.orderId, merchantId: m.merchantId, status: 'succeeded' });
    const unnamed = envelope('payment.succeeded', { orderId: order.orderId, status: 'succeeded' });
    await deliver(QUEUE, [{ body: named }, { body: unnamed }]);
    expect((await received(hook.name)).map((r) => r.webhookId).sort()).toEqual([named.id, unnamed.id].sort());
    expect(await received(elsewhere.name)).toHaveLength(0);
  });

  it('gives up after the 24-hour window: the attempt is dead, not scheduled', async () => {
    const m = await createMerchant();
    const hook = await register(m);
    const order = await createOrder(m, null, { contact: { email: 'nobody@example.test' } });
    await fakePost(RECEIVER, '/_fake/faults', { match: `/hooks/${hook.name}`, times: 1, status: 503 });
    const old = envelope('order.placed', { orderId: order.orderId }, new Date(Date.now() - 24 * 3600_000 + 2_000));
    await deliver(QUEUE, [{ body: old }]);
    const log = await logOf(m, hook.id);
    expect(log).toMatchObject([{ attempt: 1, status: 'dead', statusCode: 503, nextRetryAt: null }]);
  });
});

describe('where webhooks may point', () => {
  async function registerAs(appEnv: string, m: MerchantWorld, url: string) {
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request(`http://platform.test/v1/merchants/${m.merchantId}/webhooks`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${m.owner.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ url, events: ['*'] }),
      }),
      { ...env, APP_ENV: appEnv } as Env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return res;
  }

  it('outside local mode refuses non-https URLs and private, loopback and link-local targets with 422, and stores nothing', async () => {
    const m = await createMerchant();
    for (const url of [
      'http://hooks.example.com/delivery',
      'https://localhost/hook',
      'https://127.0.0.1/hook',
      'https://2130706433/hook', // 127.0.0.1 written as a number
      'https://10.1.2.3/hook',
      'https://192.168.1.10/hook',
      'https://172.20.0.5/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/hook',
      'https://[fe80::1]/hook',
      'https://[::ffff:10.0.0.1]/hook',
      'https://printer.local/hook',
      'https://user:pass@hooks.example.com/hook',
    ]) {
      const res = await registerAs('production', m, url);
      expect(res.status, url).toBe(422);
      const problem = await res.json<{ errors: { path: string }[] }>();
      expect(problem.errors[0]!.path).toBe('json.url');
    }
    expect(await db().select().from(webhookEndpoints).where(eq(webhookEndpoints.merchantId, m.merchantId))).toHaveLength(0);
    // Names resolve through DNS_RESOLVER_URL: here the receiver fake's DNS over HTTPS, never the internet.
    await fakePost(RECEIVER, '/_fake/dns', { name: 'hooks.example.com', a: ['93.184.216.34'] });
    expect((await registerAs('production', m, 'https://hooks.example.com/delivery')).status).toBe(201);
    const asked = (await fakeGet<{ items: { type: string; accept: string | null }[] }>(RECEIVER, '/_fake/dns-queries?name=hooks.example.com')).items;
    expect(asked.map((q) => q.type).sort()).toEqual(['A', 'AAAA']);
    expect(asked.every((q) => q.accept === 'application/dns-json')).toBe(true);
  });

  it('outside local mode refuses a name that resolves to a private address, or to nothing', async () => {
    const m = await createMerchant();
    const rebinding = `rebind-${crypto.randomUUID().slice(0, 8)}.example.net`;
    await fakePost(RECEIVER, '/_fake/dns', { name: rebinding, a: ['93.184.216.34'], aaaa: ['fd00::7'] });
    const refused = await registerAs('production', m, `https://${rebinding}/hook`);
    expect(refused.status).toBe(422);
    expect((await refused.json<{ errors: { message: string }[] }>()).errors[0]!.message).toMatch(/must not resolve to/);
    const nowhere = await registerAs('production', m, `https://nowhere-${crypto.randomUUID().slice(0, 8)}.example.org/hook`);
    expect(nowhere.status).toBe(422);
    expect((await nowhere.json<{ errors: { message: string }[] }>()).errors[0]!.message).toMatch(/resolves/);
    expect(await db().select().from(webhookEndpoints).where(eq(webhookEndpoints.merchantId, m.merchantId))).toHaveLength(0);
  });

  it('in local mode accepts a loopback http receiver', async () => {
    const m = await createMerchant();
    expect((await registerAs('local', m, `${RECEIVER}/hooks/local`)).status).toBe(201);
  });
});
