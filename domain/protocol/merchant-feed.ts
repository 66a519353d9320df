/**
 * The merchant live feed's messages (GET (WebSocket) /v1/merchants/{id}/live),
 * version 1. Shared by the Durable Object, the Worker that publishes into it
 * and the clients (web app, tests). Every server message carries `seq`, the
 * merchant's event sequence number: a client that reconnects with
 * `?since=<last seq it saw>` is sent what it missed, in order, then live.
 */
import { z } from 'zod';
import { DISPATCH_STATES, ORDER_STATUSES } from '../order';

export const FEED_PROTOCOL_VERSION = 1;

export const OrderStatusSchema = z.enum(ORDER_STATUSES);
export const DispatchStateSchema = z.enum(DISPATCH_STATES);

/** What the Worker publishes after a commit; `eventId` is the outbox row id (dedupe key). */
export const FeedEventInputSchema = z.object({
  eventId: z.string().min(1).max(64),
  /** The outbox topic, e.g. order.created, order.placed. */
  event: z.string().min(1).max(64),
  orderId: z.string().min(1).max(64),
  status: OrderStatusSchema,
  dispatch: DispatchStateSchema,
  /** ISO 8601 time of the change. */
  at: z.string(),
  /**
   * The order event's seq in Postgres (docs/api.md v1.1): the feed sends one
   * order's events in this order, drops one not newer than what it sent, and
   * fills a gap from the order's log. Absent from an older Worker.
   */
  orderSeq: z.number().int().min(1).optional(),
  /** The order as of that event (its snapshot: no contact data, PIN or tracking token). */
  order: z.record(z.string(), z.unknown()).optional(),
});
export type FeedEventInput = z.infer<typeof FeedEventInputSchema>;

/**
 * `status { orderId, status, dispatch, at }` of docs/api.md, plus `seq` (the feed's
 * own, per merchant, for catch-up), the event name, and `orderSeq` with the
 * order as of that event (a client keeps the highest orderSeq per order).
 */
export type StatusMessage = { type: 'status'; seq: number } & Omit<FeedEventInput, 'eventId'>;

export type ServerMessage =
  | { type: 'hello'; v: number; merchantId: string; seq: number }
  | StatusMessage
  /** Catch-up is complete: everything up to `seq` was sent; what follows is live. */
  | { type: 'live'; seq: number }
  /** The events after `since` are no longer all kept: reload with GET /v1/orders, then carry on live. */
  | { type: 'resync'; seq: number; reason: 'too_old' | 'unknown_seq' }
  | { type: 'error'; code: string; detail: string };

export const ClientMessageSchema = z.discriminatedUnion('type', [z.object({ type: z.literal('ping') })]);

/** The runtime answers this ping itself, without waking a hibernated object. */
export const PING = '{"type":"ping"}';
export const PONG = '{"type":"pong"}';
