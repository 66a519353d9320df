/**
 * Runs one notification job (a recipient, a template, a policy) through the
 * channels, exactly once per (event, channel, recipient) however often the
 * queue redelivers: the log row is claimed before the provider is called and
 * settled after. A 4xx is final and moves on to the next allowed channel; a
 * 5xx or a timeout leaves the row to be retried on the next delivery.
 */
import { inArray } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { devices, type NotificationLogEntry } from '../../../db/schema/index';
import { DeliveryError, asDeliveryError } from '../../providers/messaging/errors';
import type { Senders } from '../../providers/messaging/types';
import { captureMessage } from './dev-outbox';
import { claimAll, claimSend, recordAttempt, recordFailedAttempt, recordSkipped, type SendKey } from './log';
import type { Recipient } from './recipients';
import type { Channel, Rule } from './rules';
import { render, type TemplateVars } from './templates/index';
import { METRICS } from '../../../domain/metrics';
import { metrics } from '../../../durable-objects/metrics-aggregator/port';
import { sha256Hex } from '../digest';

export interface DeliverDeps {
  db: Database;
  senders: Senders;
  /** Local mode: copy every sent message to dev_messages. */
  capture: boolean;
  /** Where Twilio posts delivery status. */
  smsStatusCallback?: string;
}

export interface Job {
  eventId: string;
  eventType: string;
  orderId: string | null;
  rule: Rule;
  recipient: Recipient;
  vars: TemplateVars;
  /** Push extras: data for the app, and how long the push is worth delivering. */
  pushData?: Record<string, string>;
  pushTtlSeconds?: number;
  /** When the event was created (its envelope's createdAt): the notification delay counts from it (ADR 0090). */
  eventCreatedAt?: string;
}

export type ChannelResult = 'sent' | 'failed' | 'skipped' | 'retry';

function unusableBecause(r: Recipient, channel: Channel): string | undefined {
  if (!r.allows[channel]) return `opted out of ${channel}`;
  if (channel === 'sms' && !r.phone) return 'no phone number';
  if (channel === 'email' && !r.email) return 'no email address';
  if (channel === 'push' && r.devices.length === 0) return 'no registered device';
  return undefined;
}

function addressOf(r: Recipient, channel: Channel): string {
  if (channel === 'sms') return r.phone!;
  if (channel === 'email') return r.email!.toLowerCase();
  return r.devices.map((d) => d.token).join(',');
}

/** Sends to every device; FCM's UNREGISTERED removes the device. One success is a success. */
async function sendPush(deps: DeliverDeps, job: Job, title: string, body: string): Promise<string> {
  let lastError: DeliveryError | undefined;
  const ids: string[] = [];
  const unregistered: string[] = [];
  for (const device of job.recipient.devices) {
    try {
      const sent = await deps.senders.push.send({
        token: device.token,
        title,
        body,
        data: { event: job.eventType, eventId: job.eventId, ...(job.orderId ? { orderId: job.orderId } : {}), ...job.pushData },
        collapseKey: job.orderId ?? job.eventId,
        ...(job.pushTtlSeconds !== undefined ? { ttlSeconds: job.pushTtlSeconds } : {}),
      });
      ids.push(sent.id);
    } catch (error) {
      lastError = asDeliveryError('fcm', error);
      if (lastError.code === 'UNREGISTERED') unregistered.push(device.id);
    }
  }
  if (unregistered.length > 0) await deps.db.delete(devices).where(inArray(devices.id, unregistered));
  if (ids.length > 0) return ids[0]!;
  throw lastError ?? new DeliveryError('fcm', 'no device', true);
}

/** `fresh`: the caller already inserted the channel's row (claimAll): the row, or null when it existed. */
async function sendOn(deps: DeliverDeps, job: Job, channel: Channel, fresh?: { row: NotificationLogEntry | null; recipientHash: string }): Promise<ChannelResult> {
  const key: SendKey = { eventId: job.eventId, channel, userId: job.recipient.userId };
  const provider = deps.senders[channel].provider;
  const details = { template: job.rule.template, orderId: job.orderId, recipientHash: fresh?.recipientHash ?? (await sha256Hex(addressOf(job.recipient, channel))), provider };
  const claim = await claimSend(deps.db, key, details, fresh ? fresh.row : undefined);
  if (claim.kind === 'busy') return 'retry';
  if (claim.kind === 'settled') return claim.status === 'sent' || claim.status === 'delivered' ? 'sent' : claim.status === 'failed' ? 'failed' : 'skipped';

  const text = render(job.rule.template, job.recipient.locale, job.vars);
  const started = Date.now();
  try {
    let id: string;
    if (channel === 'sms') {
      id = (await deps.senders.sms.send({ to: job.recipient.phone!, body: text.body, ...(deps.smsStatusCallback ? { statusCallback: deps.smsStatusCallback } : {}) })).id;
    } else if (channel === 'email') {
      id = (await deps.senders.email.send({ to: job.recipient.email!, subject: text.title, text: text.emailText, tag: job.rule.template, metadata: { eventId: job.eventId } })).id;
    } else {
      id = await sendPush(deps, job, text.title, text.body);
    }
    await recordAttempt(deps.db, claim.row, { ok: true, provider, providerMessageId: id, latencyMs: Date.now() - started });
    const createdAt = job.eventCreatedAt ? Date.parse(job.eventCreatedAt) : NaN;
    if (Number.isFinite(createdAt)) metrics.observe(METRICS.notificationDelay, [channel], Math.max(0, Date.now() - createdAt) / 1000);
    if (deps.capture) {
      await captureMessage(deps.db, {
        channel,
        to: addressOf(job.recipient, channel),
        event: job.eventType,
        locale: job.recipient.locale,
        ...(channel === 'sms' ? {} : { subject: text.title }),
        body: channel === 'email' ? text.emailText : text.body,
        orderId: job.orderId,
      });
    }
    return 'sent';
  } catch (error) {
    const e = await recordFailedAttempt(deps.db, claim.row, provider, error, started);
    return e.permanent ? 'failed' : 'retry';
  }
}

/** True when something still needs another delivery of the event. */
export async function runJob(deps: DeliverDeps, job: Job): Promise<{ retry: boolean }> {
  const { rule, recipient } = job;
  const skip = (channel: Channel, reason: string) =>
    recordSkipped(deps.db, { eventId: job.eventId, channel, userId: recipient.userId }, { template: rule.template, orderId: job.orderId, reason });

  if (rule.policy === 'all') {
    // Every allowed channel is used, so a channel that fails for good has its
    // fallback already: the others carry the same message. Their rows are
    // claimed, and the unusable ones recorded skipped, in one statement.
    const skips: { channel: Channel; reason: string }[] = [];
    const usable: Channel[] = [];
    for (const channel of rule.channels) {
      const reason = unusableBecause(recipient, channel);
      if (reason) skips.push({ channel, reason });
      else usable.push(channel);
    }
    const sends = await Promise.all(usable.map(async (channel) => ({ channel, recipientHash: await sha256Hex(addressOf(recipient, channel)), provider: deps.senders[channel].provider })));
    const claimed = await claimAll(deps.db, { eventId: job.eventId, userId: recipient.userId }, rule.template, job.orderId, sends, skips);
    let retry = false;
    for (const send of sends) {
      if ((await sendOn(deps, job, send.channel, { row: claimed.get(send.channel) ?? null, recipientHash: send.recipientHash })) === 'retry') retry = true;
    }
    return { retry };
  }

  // `first`: walk the channels in order until one delivers.
  let tried = false;
  for (const channel of rule.channels) {
    if (unusableBecause(recipient, channel)) continue;
    tried = true;
    // A channel already settled as failed or skipped answers so from its claim (no provider call): the next one is tried.
    const result = await sendOn(deps, job, channel);
    if (result === 'sent') return { retry: false };
    if (result === 'retry') return { retry: true };
    // 'failed' or 'skipped': fall back to the next allowed channel.
  }
  if (!tried) await skip(rule.channels[0]!, rule.channels.map((c) => unusableBecause(recipient, c)).join('; '));
  return { retry: false };
}
