/**
 * Deliveries of one order to one endpoint go out in timeline order (docs/api.md
 * v1.1, ADR 0045): a delivery waits while an earlier one of the same
 * (endpoint, order) is not yet delivered — still pending, failed and
 * retrying, or not even recorded yet because the queue handed the events over
 * out of order. "Earlier" counts only the events this endpoint receives:
 * order events of the types it subscribed to, found in order_status_events
 * (which seqs exist, and their types), and the deliveries already recorded
 * for it. A payment event sits right after the order event whose seq it
 * carries.
 *
 * The wait is bounded: an earlier delivery that is `dead` (or succeeded, or a
 * failed replay) no longer holds anything, and a held delivery goes anyway
 * HOLD_LIMIT_SECONDS after it was first held. While held it is a `pending`
 * attempt-1 row with `next_retry_at` set, woken by the existing
 * `webhook.retry` machinery (its own delayed message, the cron sweep) or at
 * once when the delivery in front of it settles; nothing sleeps.
 */
import { and, eq, gte, inArray, isNotNull, lte, ne, sql } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { orderStatusEvents, webhookDeliveries, type WebhookEndpoint } from '../../../db/schema/index';
import { PUBLIC_EVENT_TYPES } from '../events/envelope';
import { kindOfEventType, type TimelineKind } from './order-snapshot';

/**
 * How long a delivery waits at most for the ones in front of it: a receiver
 * restarting or a deploy (the retries at 5 s, 30 s and 2 min all fall inside
 * it) keeps its order; a receiver down for longer does not hold a live
 * order's news for the rest of its life (orders last 30–60 minutes).
 */
export const HOLD_LIMIT_SECONDS = 600;
/** How soon a held delivery looks again when nothing better is known (the delivery in front usually releases it first). */
export const HOLD_POLL_SECONDS = 5;

export interface TimelinePosition {
  orderId: string;
  seq: number;
  kind: TimelineKind;
}

interface Payloadish {
  id: string;
  type: string;
  seq?: unknown;
  data: Record<string, unknown>;
}

/** Where a stored or new webhook body sits; undefined for bodies without a seq (recorded before the timeline). */
export function positionOf(payload: Payloadish): TimelinePosition | undefined {
  const order = payload.data.order as { id?: unknown } | undefined;
  if (typeof payload.seq !== 'number' || typeof order?.id !== 'string') return undefined;
  return { orderId: order.id, seq: payload.seq, kind: kindOfEventType(payload.type) };
}

/** a before b: by seq, and at one seq the order event before the payment event that carries it. */
export const isBefore = (a: Pick<TimelinePosition, 'seq' | 'kind'>, b: Pick<TimelinePosition, 'seq' | 'kind'>): boolean =>
  a.seq < b.seq || (a.seq === b.seq && a.kind === 'order' && b.kind === 'payment');

const ORDER_TYPES = PUBLIC_EVENT_TYPES.filter((t) => kindOfEventType(t) === 'order');
const subscribedOrderTypes = (endpoint: WebhookEndpoint): string[] => (endpoint.events.includes('*') ? [...ORDER_TYPES] : ORDER_TYPES.filter((t) => endpoint.events.includes(t)));

const orderIdInPayload = sql`${webhookDeliveries.payload} -> 'data' -> 'order' ->> 'id'`;
const seqInPayload = sql<number | null>`(${webhookDeliveries.payload} ->> 'seq')::int`;

export interface Hold {
  reason: string;
  /** When to look again (ms since the epoch). */
  recheckAt: number;
}

/**
 * Why this delivery must wait, or undefined: it may go. `heldSince` is when
 * it was first held (now, for an event just handed over).
 */
export async function holdFor(db: Database, endpoint: WebhookEndpoint, payload: Payloadish, heldSince: number, now: number): Promise<Hold | undefined> {
  const at = positionOf(payload);
  const deadline = heldSince + HOLD_LIMIT_SECONDS * 1000;
  if (!at || now >= deadline) return undefined;
  const types = subscribedOrderTypes(endpoint);
  const [recorded, logged] = await Promise.all([
    db
      .select({
        eventId: webhookDeliveries.eventId,
        eventType: webhookDeliveries.eventType,
        attempt: webhookDeliveries.attempt,
        trigger: webhookDeliveries.trigger,
        status: webhookDeliveries.status,
        nextRetryAt: webhookDeliveries.nextRetryAt,
        seq: seqInPayload,
      })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.endpointId, endpoint.id), sql`${orderIdInPayload} = ${at.orderId}`, ne(webhookDeliveries.eventId, payload.id))),
    types.length === 0
      ? Promise.resolve([])
      : db
          .select({ seq: orderStatusEvents.seq })
          .from(orderStatusEvents)
          .where(
            and(
              eq(orderStatusEvents.orderId, at.orderId),
              // An order event is preceded by lower seqs; a payment event also by the order event of its own seq.
              at.kind === 'order' ? sql`${orderStatusEvents.seq} < ${at.seq}` : lte(orderStatusEvents.seq, at.seq),
              inArray(orderStatusEvents.type, types),
              // Events from before the endpoint existed were never sent to it.
              gte(orderStatusEvents.at, endpoint.createdAt),
            ),
          ),
  ]);

  // Per earlier event, its attempts: delivered (any succeeded), given up (the
  // latest is dead, or a replay nobody retries), or still on its way.
  const events = new Map<string, { seq: number; kind: TimelineKind; succeeded: boolean; latest: (typeof recorded)[number] }>();
  for (const r of recorded) {
    if (r.seq === null) continue;
    const e = events.get(r.eventId) ?? { seq: r.seq, kind: kindOfEventType(r.eventType), succeeded: false, latest: r };
    if (r.status === 'succeeded') e.succeeded = true;
    if (r.attempt > e.latest.attempt) e.latest = r;
    events.set(r.eventId, e);
  }
  const waitingFor: string[] = [];
  let wakeAt = Number.POSITIVE_INFINITY;
  const recordedOrderSeqs = new Set<number>();
  for (const e of events.values()) {
    if (e.kind === 'order') recordedOrderSeqs.add(e.seq);
    const givenUp = e.latest.status === 'dead' || (e.latest.trigger === 'replay' && e.latest.status === 'failed');
    if (!isBefore(e, at) || e.succeeded || givenUp) continue;
    waitingFor.push(`${e.kind === 'order' ? '' : 'payment at '}seq ${e.seq} (${e.latest.status})`);
    // A failed one can succeed at its next attempt at the earliest; anything else may settle any moment.
    wakeAt = Math.min(wakeAt, e.latest.status === 'failed' && e.latest.nextRetryAt ? e.latest.nextRetryAt.getTime() + 2000 : now);
  }
  for (const { seq } of logged) {
    if (recordedOrderSeqs.has(seq)) continue;
    waitingFor.push(`seq ${seq} (not received yet)`);
    wakeAt = now;
  }
  if (waitingFor.length === 0) return undefined;
  return {
    reason: `held: earlier events of the order not yet delivered to this endpoint: ${waitingFor.join(', ')}`.slice(0, 300),
    recheckAt: Math.min(deadline, Math.max(now + HOLD_POLL_SECONDS * 1000, wakeAt)),
  };
}

/**
 * A delivery settled (succeeded or dead): the first held delivery behind it
 * at this endpoint is made due now and its event id answered, so the caller
 * looks at it at once instead of leaving it to its timer (which stays the
 * backstop, with the cron sweep).
 */
export async function dueNextHeld(db: Database, endpointId: string, settled: TimelinePosition, now: number): Promise<string | undefined> {
  const held = await db
    .select({ id: webhookDeliveries.id, eventId: webhookDeliveries.eventId, eventType: webhookDeliveries.eventType, seq: seqInPayload })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.endpointId, endpointId),
        sql`${orderIdInPayload} = ${settled.orderId}`,
        eq(webhookDeliveries.status, 'pending'),
        isNotNull(webhookDeliveries.nextRetryAt),
      ),
    );
  const next = held
    .filter((h): h is typeof h & { seq: number } => h.seq !== null)
    .map((h) => ({ ...h, kind: kindOfEventType(h.eventType) }))
    .filter((h) => isBefore(settled, h))
    .sort((a, b) => (isBefore(a, b) ? -1 : isBefore(b, a) ? 1 : 0))[0];
  if (!next) return undefined;
  const [due] = await db
    .update(webhookDeliveries)
    .set({ nextRetryAt: new Date(now) })
    .where(and(eq(webhookDeliveries.id, next.id), isNotNull(webhookDeliveries.nextRetryAt)))
    .returning({ id: webhookDeliveries.id });
  return due ? next.eventId : undefined;
}
