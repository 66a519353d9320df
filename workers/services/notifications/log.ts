/**
 * The notification log as the deduplication point: one row per (event,
 * channel, recipient) (a unique constraint), claimed with a short lease while
 * a consumer sends, and one `notification_attempts` row per attempt with
 * what the provider said.
 */
import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { newId } from '../../../db/ids';
import { notificationAttempts, notificationLog, type NotificationLogEntry } from '../../../db/schema/index';
import { asDeliveryError, type DeliveryError } from '../../providers/messaging/errors';
import type { Channel } from './rules';
import { METRICS } from '../../../domain/metrics';
import { metrics } from '../../../durable-objects/metrics-aggregator/port';

/** The `provider` label of a sender (docs/slo.md): the channel's provider as the contract names it. */
const PROVIDER_LABELS: Readonly<Record<string, string>> = { twilio: 'twilio', fcm: 'fcm', postmark: 'email' };
const providerLabel = (provider: string): string => PROVIDER_LABELS[provider] ?? provider;

/** Longer than any provider call (10 s timeout), so a live sender is never overtaken. */
export const LEASE_SECONDS = 60;

export interface SendKey {
  eventId: string;
  channel: Channel;
  userId: string | null;
}

export type Claim =
  | { kind: 'claimed'; row: NotificationLogEntry }
  | { kind: 'busy' }
  | { kind: 'settled'; status: NotificationLogEntry['status'] };

const keyWhere = (k: SendKey) =>
  and(
    eq(notificationLog.eventId, k.eventId),
    eq(notificationLog.channel, k.channel),
    k.userId === null ? isNull(notificationLog.userId) : eq(notificationLog.userId, k.userId),
  );

const lease = sql`now() + make_interval(secs => ${LEASE_SECONDS})`;

export type ClaimDetails = { template: string; orderId: string | null; recipientHash: string; provider: string };

/** A send's row as its claim inserts it: queued, leased to this sender, first attempt. */
const claimedRow = (key: SendKey, details: ClaimDetails) => ({ id: newId('ntf'), ...key, ...details, status: 'queued' as const, attempt: 1, leasedUntil: lease });

/** A channel not used on purpose, with why. */
const skippedRow = (key: SendKey, details: { template: string; orderId: string | null; reason: string }) =>
  ({ id: newId('ntf'), ...key, template: details.template, orderId: details.orderId, status: 'skipped' as const, error: details.reason, attempt: 0 });

/**
 * `fresh`: what a caller's own insert of the row already answered (claimAll):
 * the row it inserted (claimed), or null when the row existed (take the
 * retake path without inserting again).
 */
export async function claimSend(db: Database, key: SendKey, details: ClaimDetails, fresh?: NotificationLogEntry | null): Promise<Claim> {
  const [inserted] =
    fresh !== undefined
      ? [fresh ?? undefined]
      : await db.insert(notificationLog).values(claimedRow(key, details)).onConflictDoNothing().returning();
  if (inserted) return { kind: 'claimed', row: inserted };
  const [retaken] = await db
    .update(notificationLog)
    .set({ attempt: sql`${notificationLog.attempt} + 1`, leasedUntil: lease, recipientHash: details.recipientHash, provider: details.provider })
    .where(
      and(
        keyWhere(key),
        eq(notificationLog.status, 'queued'),
        or(isNull(notificationLog.leasedUntil), lt(notificationLog.leasedUntil, sql`now()`)),
      ),
    )
    .returning();
  if (retaken) return { kind: 'claimed', row: retaken };
  const [current] = await db.select({ status: notificationLog.status }).from(notificationLog).where(keyWhere(key));
  if (!current || current.status === 'queued') return { kind: 'busy' };
  return { kind: 'settled', status: current.status };
}

export interface AttemptOutcome {
  ok: boolean;
  permanent?: boolean;
  provider: string;
  providerMessageId?: string;
  httpStatus?: number;
  error?: string;
  latencyMs: number;
}

/** Records the attempt and settles the row: sent, failed for good, or back to queued for a retry. */
export async function recordAttempt(db: Database, row: NotificationLogEntry, outcome: AttemptOutcome): Promise<void> {
  metrics.inc(METRICS.providerRequests, [providerLabel(outcome.provider), outcome.ok ? 'ok' : 'error']);
  const status = outcome.ok ? 'sent' : outcome.permanent ? 'failed' : 'queued';
  // One statement (one round trip, one implicit transaction): the row settled and its attempt recorded.
  const settle = db
    .update(notificationLog)
    .set({
      status,
      provider: outcome.provider,
      providerMessageId: outcome.providerMessageId ?? null,
      error: outcome.ok ? null : (outcome.error ?? 'failed'),
      leasedUntil: null,
    })
    .where(eq(notificationLog.id, row.id));
  const attempt = db
    .insert(notificationAttempts)
    .values({
      id: newId('nta'),
      logId: row.id,
      attempt: row.attempt,
      status: outcome.ok ? 'sent' : 'failed',
      permanent: !outcome.ok && outcome.permanent === true,
      provider: outcome.provider,
      providerMessageId: outcome.providerMessageId ?? null,
      httpStatus: outcome.httpStatus ?? null,
      error: outcome.error ?? null,
      latencyMs: outcome.latencyMs,
    })
    .onConflictDoNothing();
  await db.execute(sql`with settled as (${settle.getSQL()}) ${attempt.getSQL()}`);
}

/**
 * One statement for a job that uses several channels at once (policy `all`):
 * the rows of the channels to send are inserted claimed (as claimSend's
 * insert), those it will not use are recorded skipped (as recordSkipped), on
 * conflict nothing. Answers, per channel to send, the row inserted now, or
 * null when it already existed (claimSend then takes its retake path).
 */
export async function claimAll(
  db: Database,
  base: Omit<SendKey, 'channel'>,
  template: string,
  orderId: string | null,
  sends: readonly { channel: Channel; recipientHash: string; provider: string }[],
  skips: readonly { channel: Channel; reason: string }[],
): Promise<Map<Channel, NotificationLogEntry | null>> {
  const rows = [
    ...sends.map((c) => claimedRow({ ...base, channel: c.channel }, { template, orderId, recipientHash: c.recipientHash, provider: c.provider })),
    ...skips.map((c) => skippedRow({ ...base, channel: c.channel }, { template, orderId, reason: c.reason })),
  ];
  const inserted = rows.length === 0 ? [] : await db.insert(notificationLog).values(rows).onConflictDoNothing().returning();
  return new Map(sends.map((c) => [c.channel, inserted.find((r) => r.channel === c.channel && r.status === 'queued') ?? null]));
}

/** Not sent on purpose (opted out, no address, no device, stale); recorded once. */
/** A provider call that threw, recorded as a failed attempt (permanent or to retry); the error as the provider's. */
export async function recordFailedAttempt(db: Database, row: NotificationLogEntry, provider: string, error: unknown, startedAt: number): Promise<DeliveryError> {
  const e = asDeliveryError(provider, error);
  await recordAttempt(db, row, {
    ok: false,
    permanent: e.permanent,
    provider,
    ...(e.httpStatus !== undefined ? { httpStatus: e.httpStatus } : {}),
    error: e.code ? `${e.message} [${e.code}]` : e.message,
    latencyMs: Date.now() - startedAt,
  });
  return e;
}

export async function recordSkipped(db: Database, key: SendKey, details: { template: string; orderId: string | null; reason: string }): Promise<void> {
  await db.insert(notificationLog).values(skippedRow(key, details)).onConflictDoNothing();
}

export interface ProviderStatusChange {
  id: string;
  eventId: string;
  channel: NotificationLogEntry['channel'];
  userId: string | null;
  orderId: string | null;
  template: string;
}

/**
 * A provider's asynchronous status (Twilio's callback): only forward moves
 * (sent → delivered / failed), so a repeated or late callback changes
 * nothing. Answers the entries it moved; runs in the caller's transaction.
 */
export async function applyProviderStatus(
  db: Pick<Database, 'update'>,
  provider: string,
  providerMessageId: string,
  status: 'delivered' | 'failed',
  error?: string,
): Promise<ProviderStatusChange[]> {
  return db
    .update(notificationLog)
    .set({ status, ...(error ? { error } : {}) })
    .where(
      and(
        eq(notificationLog.provider, provider),
        eq(notificationLog.providerMessageId, providerMessageId),
        eq(notificationLog.status, 'sent'),
      ),
    )
    .returning({
      id: notificationLog.id,
      eventId: notificationLog.eventId,
      channel: notificationLog.channel,
      userId: notificationLog.userId,
      orderId: notificationLog.orderId,
      template: notificationLog.template,
    });
}
