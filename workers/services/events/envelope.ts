/**
 * The message the outbox relay puts on the EVENTS queue, and what the
 * merchant webhooks carry: `{ id, type, createdAt, data }`. `id` is the
 * outbox row id, stable across every redelivery, so consumers deduplicate by
 * it (and merchants by the `Webhook-Id` header, which is the same id).
 *
 * The same queue also carries the city shards' dispatch facts
 * (`{ source: 'city-shard', event }`, durable-objects/city-shard/events.ts);
 * `classifyMessage` tells the kinds apart for the consumer.
 */

import { WEBHOOK_EVENT_TYPES } from '../../../domain/order';

/**
 * Event types merchants may subscribe to (docs/api.md, Merchant webhooks): the
 * list of domain/order.ts, under the name the webhook code reads.
 */
export const PUBLIC_EVENT_TYPES = WEBHOOK_EVENT_TYPES;
export type PublicEventType = (typeof PUBLIC_EVENT_TYPES)[number];

/*
 * Internal types, never sent to merchants:
 * - `order.arriving_soon` `{ orderId, driverId, etaSeconds }`: the driver is a few minutes away
 *   (a city-shard fact, once per order, docs/decisions/0065).
 * - `dispatch.offer` `{ offerId, orderId, driverId, expiresAt, payoutCents? }`: an offer
 *   to a driver, pushed so it reaches an app in the background.
 * - `webhook.retry` `{ endpointId, eventId }`: a merchant webhook attempt is due.
 * - `notification.fallback` `{ logId, eventId, orderId, userId, template, failedChannel }`:
 *   a sent message failed for good later (Twilio's callback); the next channel is tried.
 * - `dispatch.driver_ping` `{ orderId, driverId, silentSeconds, releaseAt }` and
 *   `dispatch.released` `{ orderId, driverId, silentSeconds }`: the assigned driver has not been
 *   heard from and is asked whether they are there, then told the order went to another
 *   driver (city-shard facts, docs/decisions/0079).
 */

export interface EventEnvelope<T extends string = string> {
  id: string;
  type: T;
  /** ISO 8601 UTC. */
  createdAt: string;
  data: Record<string, unknown>;
}

export function isPublicEventType(type: string): type is PublicEventType {
  return (PUBLIC_EVENT_TYPES as readonly string[]).includes(type);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function isEnvelope(body: unknown): body is EventEnvelope {
  return (
    isRecord(body) &&
    typeof body.id === 'string' &&
    body.id.length > 0 &&
    typeof body.type === 'string' &&
    typeof body.createdAt === 'string' &&
    !Number.isNaN(Date.parse(body.createdAt)) &&
    isRecord(body.data)
  );
}

/** A dispatch fact from a city shard, as far as notifications need to read it. */
export interface ShardEventBody {
  source: 'city-shard';
  event: { id: string; type: string; orderId: string; at: string; [field: string]: unknown };
}

export function isShardEvent(body: unknown): body is ShardEventBody {
  return isRecord(body) && body.source === 'city-shard' && isRecord(body.event) && typeof body.event.id === 'string' && typeof body.event.type === 'string';
}

export type MessageKind = { kind: 'event'; event: EventEnvelope } | { kind: 'shard'; body: ShardEventBody } | { kind: 'unknown' };

export function classifyMessage(body: unknown): MessageKind {
  if (isEnvelope(body)) return { kind: 'event', event: body };
  if (isShardEvent(body)) return { kind: 'shard', body };
  return { kind: 'unknown' };
}

/** The order an event is about, when it is about one. */
export function orderIdOf(event: EventEnvelope): string | undefined {
  const { data } = event;
  if (typeof data.orderId === 'string') return data.orderId;
  const order = data.order;
  if (isRecord(order) && typeof order.id === 'string') return order.id;
  return undefined;
}
