/**
 * The merchant live feed's messages (GET (WebSocket) /v1/merchants/{id}/live),
 * version 1. Shared by the Durable Object, the Worker that publishes into it
 * and the clients (web app, tests). Every server message carries `seq`, the
 * merchant's event sequence number: a client that reconnects with
 * `?since=<last seq it saw>` is sent what it missed, in order, then live.
 */
import { z } from 'zod';

export const FEED_PROTOCOL_VERSION = 1;

export const OrderStatusSchema = z.enum(['pending_payment', 'placed', 'preparing', 'ready', 'in_delivery', 'delivered', 'cancelled', 'rejected', 'failed']);
export const DispatchStateSchema = z.enum(['unassigned', 'offered', 'assigned', 'picked_up', 'dropped_off']);

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
});
export type FeedEventInput = z.infer<typeof FeedEventInputSchema>;

/** `status { orderId, status, dispatch, at }` of API.md, plus `seq` and the event name. */
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
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

/** The runtime answers this ping itself, without waking a hibernated object. */
export const PING = '{"type":"ping"}';
export const PONG = '{"type":"pong"}';
