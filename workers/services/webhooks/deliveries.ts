/**
 * Merchant webhook deliveries: one `webhook_deliveries` row per attempt, the
 * attempt number unique per (endpoint, event), so two consumers handling the
 * same event race on the insert and only one calls the receiver. A failed
 * attempt records when the next is due and asks the scheduler for it (a
 * delayed `webhook.retry` queue message); the cron sweep catches any retry
 * whose message went missing. Replays are single manual attempts.
 *
 * A first attempt that must wait for earlier events of its order
 * (ordering.ts) is recorded as a held attempt-1 row (`pending`, with
 * `next_retry_at`) and made later through the same retry path, on that row.
 */
import { and, desc, eq, isNotNull, isNull, lte } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { newId } from '../../../db/ids';
import { webhookDeliveries, webhookEndpoints, type WebhookDelivery, type WebhookEndpoint } from '../../../db/schema/index';
import { dueNextHeld, holdFor, positionOf } from './ordering';
import { nextRetryDelay } from './retry-schedule';
import { dataKeys } from '../secrets/data-keys';
import { webhookSecretOf } from './endpoints';
import { signWebhook } from './signature';
import { METRICS } from '../../../domain/metrics';
import { metrics } from '../../../durable-objects/metrics-aggregator/port';
import { checkWebhookTarget, type Resolver } from './url-policy';

/**
 * The body: `{ id, type, createdAt, seq, data: { order } }`, `seq` the order
 * event's (also `data.order.seq`). Stored bodies from before the timeline
 * have no `seq`; they are sent as stored and take no part in the ordering.
 */
export interface WebhookPayload {
  id: string;
  type: string;
  createdAt: string;
  seq?: number;
  data: Record<string, unknown>;
}

export interface DeliveryDeps {
  db: Database;
  localMode: boolean;
  /** DATA_ENCRYPTION_KEYS: the endpoint's signing secret is stored sealed (ADR 0083). */
  encryptionKeys: string;
  /** Ask for `retryDelivery(endpointId, eventId)` to run in `delaySeconds`. */
  scheduleRetry(endpointId: string, eventId: string, delaySeconds: number): Promise<void>;
  fetch?: typeof fetch;
  /** How a target's name is resolved before each attempt outside local mode (`dohResolver(env.DNS_RESOLVER_URL)`); null to skip. */
  resolve: Resolver | null;
  now?: () => number;
  timeoutMs?: number;
}

type Trigger = 'event' | 'retry' | 'replay';

const MAX_ERROR = 300;

/**
 * The partition key of an event's attempts (ADR 0126): the event's own time,
 * from its payload, so every attempt and every racing consumer computes the
 * same value. A payload without a readable time (never written by this code)
 * gets the epoch: still the same for every attempt.
 */
function eventAtOf(payload: Pick<WebhookPayload, 'createdAt'>): Date {
  const at = Date.parse(payload.createdAt);
  return new Date(Number.isFinite(at) ? at : 0);
}

/** A new attempt's row: the one place an attempt's identity (endpoint, event, attempt, event time) is written. */
function attemptRow(endpoint: WebhookEndpoint, payload: WebhookPayload, attempt: number, trigger: Trigger) {
  return {
    id: newId('whd'),
    endpointId: endpoint.id,
    eventId: payload.id,
    eventType: payload.type,
    eventAt: eventAtOf(payload),
    payload: payload as unknown as Record<string, unknown>,
    attempt,
    trigger,
    status: 'pending' as const,
  };
}

/** Makes attempt `attempt`; undefined when another consumer already made it. */
export async function attemptDelivery(
  deps: DeliveryDeps,
  endpoint: WebhookEndpoint,
  payload: WebhookPayload,
  attempt: number,
  trigger: Trigger,
): Promise<WebhookDelivery | undefined> {
  const [row] = await deps.db
    .insert(webhookDeliveries)
    .values(attemptRow(endpoint, payload, attempt, trigger))
    .onConflictDoNothing()
    .returning();
  if (!row) return undefined;
  return send(deps, endpoint, row);
}

/** One signed POST: the receiver's status code, and the error to record (null: it took it, 2xx). */
async function post(deps: DeliveryDeps, url: string, signed: { id: string; timestamp: number; body: string; secret: string }): Promise<{ statusCode: number | null; error: string | null }> {
  const { id, timestamp, body, secret } = signed;
  try {
    const res = await (deps.fetch ?? fetch)(url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'delivery-platform-webhooks/1',
        'Webhook-Id': id,
        'Webhook-Timestamp': String(timestamp),
        'Webhook-Signature': signWebhook(secret, id, timestamp, body),
      },
      body,
    });
    // Read (and bound) the answer so the connection is released; its content is not kept.
    await res.body?.cancel();
    return { statusCode: res.status, error: res.status < 200 || res.status >= 300 ? `receiver answered ${res.status}` : null };
  } catch (e) {
    const name = (e as { name?: string }).name;
    return { statusCode: null, error: name === 'TimeoutError' || name === 'AbortError' ? 'timed out' : `unreachable: ${(e as Error).message}`.slice(0, MAX_ERROR) };
  }
}

/** POSTs the row's stored body and records the outcome on that row (the attempt it stands for). */
async function send(deps: DeliveryDeps, endpoint: WebhookEndpoint, row: WebhookDelivery): Promise<WebhookDelivery | undefined> {
  const payload = row.payload as unknown as WebhookPayload;
  const { attempt } = row;
  const trigger = row.trigger as Trigger;
  const now = deps.now ?? Date.now;
  const body = JSON.stringify(payload);
  const started = now();
  let statusCode: number | null = null;
  let error: string | null;
  // Checked again before every attempt, names resolved (url-policy.ts): a name may point elsewhere since registration.
  const target = await checkWebhookTarget(endpoint.url, { localMode: deps.localMode, resolve: deps.resolve });
  const refused = !target.ok && 'refused' in target ? target.refused : undefined;
  if (refused) {
    error = `target refused: the URL ${refused}`;
  } else if (!target.ok && 'unresolved' in target) {
    error = `unreachable: ${target.unresolved}`.slice(0, MAX_ERROR);
  } else {
    const timestamp = Math.floor(started / 1000);
    // Sealed at rest (ADR 0083): a key removed too early fails here, and is retried like an outage.
    const secret = await webhookSecretOf(await dataKeys(deps.encryptionKeys), endpoint).catch(() => null);
    if (secret) ({ statusCode, error } = await post(deps, endpoint.url, { id: payload.id, timestamp, body, secret }));
    else error = 'signing secret cannot be opened: is its data key still in DATA_ENCRYPTION_KEYS?';
  }
  const latencyMs = Math.max(0, Math.round(now() - started));
  // ADR 0090: every POST made is a provider outcome; a 2xx (not a manual replay) is the event's delivery delay.
  if (target.ok) metrics.inc(METRICS.providerRequests, ['webhook', error ? 'error' : 'ok']);
  if (target.ok && !error && trigger !== 'replay') metrics.observe(METRICS.webhookDelay, [], Math.max(0, now() - Date.parse(payload.createdAt)) / 1000);
  if (!error) {
    const [done] = await deps.db.update(webhookDeliveries).set({ status: 'succeeded', statusCode, latencyMs, error: null, nextRetryAt: null }).where(eq(webhookDeliveries.id, row.id)).returning();
    await releaseBehind(deps, endpoint.id, payload);
    return done;
  }
  const delay = trigger === 'replay' || refused ? null : nextRetryDelay(attempt, Date.parse(payload.createdAt), now());
  const dead = delay === null && trigger !== 'replay';
  const [failed] = await deps.db
    .update(webhookDeliveries)
    .set({
      status: dead ? 'dead' : 'failed',
      statusCode,
      latencyMs,
      error,
      nextRetryAt: delay === null ? null : new Date(now() + delay * 1000),
    })
    .where(eq(webhookDeliveries.id, row.id))
    .returning();
  if (delay !== null) await deps.scheduleRetry(endpoint.id, payload.id, delay);
  if (dead) await releaseBehind(deps, endpoint.id, payload);
  return failed;
}

/**
 * The delivery settled: the next held one of its order at this endpoint is
 * looked at now, in this invocation (a chain of held deliveries drains in
 * one go, in order). Should that fail, it is due and its timer or the sweep
 * takes it.
 */
async function releaseBehind(deps: DeliveryDeps, endpointId: string, payload: WebhookPayload): Promise<void> {
  const at = positionOf(payload);
  const next = at ? await dueNextHeld(deps.db, endpointId, at, (deps.now ?? Date.now)()) : undefined;
  if (next) await retryDelivery(deps, endpointId, next);
}

/** A batch's memo of merchants' active endpoints (workers/queue/consumer.ts: one per message batch). */
export type EndpointMemo = Map<string, Promise<WebhookEndpoint[]>>;

/**
 * The merchant's active endpoints subscribed to `eventType` (or to `*`). With a memo (one
 * queue batch), Postgres is asked once per merchant per batch rather than once
 * per event: a batch lives seconds, and an endpoint registered or switched
 * off meanwhile is seen by the next batch (a retry always reads its endpoint
 * afresh, retryDelivery).
 */
export async function subscribedEndpoints(db: Database, merchantId: string, eventType: string, memo?: EndpointMemo): Promise<WebhookEndpoint[]> {
  let active = memo?.get(merchantId);
  if (!active) {
    // `.then` runs the query once and gives a real promise (a drizzle query runs again on every await).
    active = db
      .select()
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.merchantId, merchantId), eq(webhookEndpoints.active, true)))
      .then((rows) => rows);
    if (memo) {
      memo.set(merchantId, active);
      // A failed read is not remembered: the next event of the batch asks again.
      active.catch(() => memo.delete(merchantId));
    }
  }
  return (await active).filter((e) => e.events.includes(eventType) || e.events.includes('*'));
}

/**
 * First attempt of an event at an endpoint, unless an earlier delivery of the
 * event already made it; held instead while earlier events of its order have
 * not reached the endpoint (ordering.ts).
 */
export async function deliverFirst(deps: DeliveryDeps, endpoint: WebhookEndpoint, payload: WebhookPayload): Promise<void> {
  const now = (deps.now ?? Date.now)();
  const hold = await holdFor(deps.db, endpoint, payload, now, now);
  if (!hold) {
    await attemptDelivery(deps, endpoint, payload, 1, 'event');
    return;
  }
  const [held] = await deps.db
    .insert(webhookDeliveries)
    .values({ ...attemptRow(endpoint, payload, 1, 'event'), error: hold.reason, nextRetryAt: new Date(hold.recheckAt) })
    .onConflictDoNothing()
    .returning();
  if (held) await deps.scheduleRetry(endpoint.id, payload.id, (hold.recheckAt - now) / 1000);
}

/**
 * A scheduled retry is due: claim it (clear `next_retry_at` on the failed
 * attempt that asked for it, so a duplicate message or the sweep cannot also
 * take it) and make the next attempt. Early: answers how long to wait. A held
 * first attempt is looked at again: still held, it waits on; else it is made,
 * on its own row.
 */
export async function retryDelivery(deps: DeliveryDeps, endpointId: string, eventId: string): Promise<{ waitSeconds?: number }> {
  const now = (deps.now ?? Date.now)();
  const rows = await deps.db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.eventId, eventId)))
    .orderBy(desc(webhookDeliveries.attempt));
  const waiting = rows.find((r) => r.nextRetryAt !== null);
  if (!waiting?.nextRetryAt) return {};
  if (waiting.nextRetryAt.getTime() > now + 1000) return { waitSeconds: Math.ceil((waiting.nextRetryAt.getTime() - now) / 1000) };
  const [claimed] = await deps.db
    .update(webhookDeliveries)
    .set({ nextRetryAt: null })
    .where(and(eq(webhookDeliveries.id, waiting.id), isNotNull(webhookDeliveries.nextRetryAt)))
    .returning();
  if (!claimed) return {};
  // A replay got through in the meantime: nothing left to retry.
  if (rows.some((r) => r.status === 'succeeded')) return {};
  const [endpoint] = await deps.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId));
  if (!endpoint || !endpoint.active) return {};
  if (claimed.status === 'pending') {
    const hold = await holdFor(deps.db, endpoint, claimed.payload as unknown as WebhookPayload, claimed.createdAt.getTime(), now);
    if (!hold) {
      await send(deps, endpoint, claimed);
      return {};
    }
    await deps.db.update(webhookDeliveries).set({ error: hold.reason, nextRetryAt: new Date(hold.recheckAt) }).where(eq(webhookDeliveries.id, claimed.id));
    await deps.scheduleRetry(endpointId, eventId, (hold.recheckAt - now) / 1000);
    return {};
  }
  await attemptDelivery(deps, endpoint, claimed.payload as unknown as WebhookPayload, rows[0]!.attempt + 1, 'retry');
  return {};
}

/** Cron backstop: retries whose queue message never came, and attempts a crashed consumer left pending. */
export async function sweepDueRetries(deps: DeliveryDeps, limit = 100): Promise<number> {
  const now = (deps.now ?? Date.now)();
  await deps.db
    .update(webhookDeliveries)
    .set({ status: 'failed', error: 'abandoned: the attempt did not finish', nextRetryAt: new Date(now) })
    // A held first attempt (next_retry_at set) is waiting on purpose, not abandoned.
    .where(and(eq(webhookDeliveries.status, 'pending'), isNull(webhookDeliveries.nextRetryAt), lte(webhookDeliveries.updatedAt, new Date(now - 5 * 60_000))));
  const due = await deps.db
    .select({ endpointId: webhookDeliveries.endpointId, eventId: webhookDeliveries.eventId })
    .from(webhookDeliveries)
    .where(and(isNotNull(webhookDeliveries.nextRetryAt), lte(webhookDeliveries.nextRetryAt, new Date(now - 30_000))))
    .limit(limit);
  for (const d of due) await retryDelivery(deps, d.endpointId, d.eventId);
  return due.length;
}

/** A manual replay of a delivery's event: the next attempt number, same Webhook-Id and body. */
export async function replayDelivery(deps: DeliveryDeps, endpoint: WebhookEndpoint, delivery: WebhookDelivery): Promise<WebhookDelivery> {
  for (let i = 0; i < 3; i++) {
    const [last] = await deps.db
      .select({ attempt: webhookDeliveries.attempt })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.endpointId, endpoint.id), eq(webhookDeliveries.eventId, delivery.eventId)))
      .orderBy(desc(webhookDeliveries.attempt))
      .limit(1);
    const made = await attemptDelivery(deps, endpoint, delivery.payload as unknown as WebhookPayload, (last?.attempt ?? 0) + 1, 'replay');
    if (made) return made;
  }
  throw new Error('replay: could not take an attempt number');
}
