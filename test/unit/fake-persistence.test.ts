/**
 * The provider fakes keep what they hold across a restart of `npm start`
 * (a state file each, fakes/shared/state-file.ts): a PaymentIntent paid
 * before the restart is refunded after it, an idempotent retry still replays,
 * an event whose delivery was cut short is delivered by the next run, and the
 * notification fakes still list what they received.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { afterAll, describe, expect, it } from 'vitest';
import { startNotificationFakes } from '../../fakes/notifications';
import { stateFile } from '../../fakes/shared/state-file';
import { startStripeFake } from '../../fakes/stripe/index';

const SECRET_KEY = 'sk_test_unit_persist_key';
const WEBHOOK_SECRET = 'whsec_unit_persist_secret';
const dir = mkdtempSync(path.join(tmpdir(), 'fake-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const clientFor = (base: string) => {
  const u = new URL(base);
  return new Stripe(SECRET_KEY, { host: u.hostname, port: Number(u.port), protocol: 'http', maxNetworkRetries: 0, telemetry: false });
};

/** A webhook receiver answering `status`, recording the event ids it got. */
async function receiver(status: number): Promise<{ url: string; ids: string[]; server: Server }> {
  const ids: string[] = [];
  const server = createServer((req, res) => {
    // The restarted fake first asks whether the receiver is up at all.
    if (req.method !== 'POST') return void res.writeHead(405).end();
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      ids.push((JSON.parse(body) as { id: string }).id);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, ids, server };
}

describe('Stripe fake with a state file', () => {
  it('refunds, after a restart, a PaymentIntent paid before it, and still replays an idempotent create', async () => {
    const file = path.join(dir, 'stripe.json');
    const first = await startStripeFake({ secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET, stateFile: file });
    const before = clientFor(first.url);
    const pi = await before.paymentIntents.create({ amount: 2500, currency: 'eur', metadata: { order_id: 'ord_before_restart' } }, { idempotencyKey: 'create-ord_before_restart' });
    await before.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
    await first.stop();
    expect(existsSync(file)).toBe(true);
    // Written to a temporary file and renamed: none is left behind.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const second = await startStripeFake({ secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET, stateFile: file });
    try {
      const after = clientFor(second.url);
      expect(await after.paymentIntents.retrieve(pi.id)).toMatchObject({ id: pi.id, status: 'succeeded', amount_received: 2500 });
      expect(await after.refunds.create({ payment_intent: pi.id, amount: 1000 })).toMatchObject({ status: 'succeeded', amount: 1000, payment_intent: pi.id });
      const replay = await after.paymentIntents.create({ amount: 2500, currency: 'eur', metadata: { order_id: 'ord_before_restart' } }, { idempotencyKey: 'create-ord_before_restart' });
      expect(replay.id).toBe(pi.id);
      expect(second.ledger.events.map((e) => e.type)).toEqual(
        expect.arrayContaining(['payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded', 'refund.created']),
      );
    } finally {
      await second.stop();
    }
    // A third run sees the refund of the second: the rest of the charge is all that is left.
    const third = await startStripeFake({ secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET, stateFile: file });
    try {
      await expect(clientFor(third.url).refunds.create({ payment_intent: pi.id, amount: 2000 })).rejects.toMatchObject({ code: 'amount_too_large' });
    } finally {
      await third.stop();
    }
  });

  it('delivers, after a restart, the events whose delivery the restart cut short', async () => {
    const file = path.join(dir, 'stripe-pending.json');
    const down = await receiver(503);
    const first = await startStripeFake({ secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET, webhookUrl: down.url, stateFile: file, webhookRetry: { baseDelayMs: 60_000 } });
    const pi = await clientFor(first.url).paymentIntents.create({ amount: 900, currency: 'eur' });
    await expect.poll(() => down.ids.length).toBe(1);
    await first.stop();
    down.server.close();

    const up = await receiver(200);
    const second = await startStripeFake({ secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET, webhookUrl: up.url, stateFile: file });
    try {
      const created = second.ledger.events.find((e) => e.type === 'payment_intent.created' && (e.data.object as { id: string }).id === pi.id);
      await expect.poll(() => up.ids).toEqual([created!.id]);
    } finally {
      await second.stop();
      up.server.close();
    }
  });

  it('starts empty from a file it cannot read, and says so', () => {
    const file = path.join(dir, 'garbage.json');
    writeFileSync(file, '{"version": 1, "state": ');
    const lines: string[] = [];
    expect(stateFile(file, () => ({}), { log: (l) => lines.push(l) }).loaded).toBeUndefined();
    expect(lines[0]).toContain('unreadable');
  });
});

describe('notification fakes with a state folder', () => {
  it('still list the SMS, emails and merchant webhooks received before a restart, and keep the receiver secrets', async () => {
    const stateDir = path.join(dir, 'notifications');
    const twilio = { accountSid: 'AC0123456789abcdef0123456789abcdef', authToken: 'unit-twilio-token' };
    const first = await startNotificationFakes({ twilio, emailServerToken: 'unit-postmark-token', stateDir });
    const sms = await fetch(`${first.twilio.url}/2010-04-01/Accounts/${twilio.accountSid}/Messages.json`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`${twilio.accountSid}:${twilio.authToken}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ To: '+33612345678', From: '+15005550006', Body: 'Votre commande arrive' }).toString(),
    });
    expect(sms.status).toBe(201);
    const email = await fetch(`${first.email.url}/email`, {
      method: 'POST',
      headers: { 'X-Postmark-Server-Token': 'unit-postmark-token', 'Content-Type': 'application/json' },
      body: JSON.stringify({ From: 'orders@delivery.example', To: 'zoe@example.com', Subject: 'Reçu', TextBody: 'Merci' }),
    });
    expect(email.status).toBe(200);
    await fetch(`${first.webhooks.url}/_fake/secrets`, { method: 'POST', body: JSON.stringify({ name: 'm1', secret: 'whsec_c2VjcmV0' }) });
    await fetch(`${first.webhooks.url}/hooks/m1`, { method: 'POST', body: '{"type":"order.placed"}' });
    await first.stop();

    const second = await startNotificationFakes({ twilio, emailServerToken: 'unit-postmark-token', stateDir });
    try {
      expect(second.twilio.messages).toEqual([expect.objectContaining({ to: '+33612345678', body: 'Votre commande arrive' })]);
      const emails = (await (await fetch(`${second.email.url}/_fake/emails?to=zoe@example.com`)).json()) as { items: unknown[] };
      expect(emails.items).toEqual([expect.objectContaining({ subject: 'Reçu' })]);
      expect(second.webhooks.received).toEqual([expect.objectContaining({ name: 'm1', verified: false, status: 401 })]);
      // The secret came back too: a delivery without a signature is still refused, not accepted unchecked.
      await fetch(`${second.webhooks.url}/hooks/m1`, { method: 'POST', body: '{}' });
      expect(second.webhooks.received.at(-1)).toMatchObject({ verified: false });
      expect(second.twilio.requests.length).toBeGreaterThanOrEqual(1);
    } finally {
      await second.stop();
    }
  });
});
