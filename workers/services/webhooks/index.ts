/**
 * Merchant webhooks for one event: the order's merchant's subscribed
 * endpoints each get a signed POST of the order as it was at the event
 * (order-snapshot.ts), in seq order per (endpoint, order) (ordering.ts).
 * Their failures never hold the queue message: each endpoint has its own
 * retry schedule (deliveries.ts).
 */
import type { Database } from '../../../db/client';
import { isPublicEventType, orderIdOf, type EventEnvelope } from '../events/envelope';
import { loadOrder } from '../orders/repository';
import { deliverFirst, retryDelivery, subscribedEndpoints, type DeliveryDeps, type EndpointMemo, type WebhookPayload } from './deliveries';
import { orderAtEvent } from './order-snapshot';

export interface WebhookEventDeps extends DeliveryDeps {
  db: Database;
  publicBaseUrl: string;
  /** The consumer batch's memo of merchants' endpoints (absent: asked per event). */
  endpointMemo?: EndpointMemo;
}

export async function deliverEventToMerchant(event: EventEnvelope, deps: WebhookEventDeps): Promise<void> {
  if (!isPublicEventType(event.type)) return;
  const orderId = orderIdOf(event);
  // Order events name their merchant; a payment event's is the order's.
  const merchantId = typeof event.data.merchantId === 'string' ? event.data.merchantId : orderId ? (await loadOrder(deps.db, orderId))?.merchantId : undefined;
  if (!orderId || !merchantId) return;
  const endpoints = await subscribedEndpoints(deps.db, merchantId, event.type, deps.endpointMemo);
  if (endpoints.length === 0) return;
  const at = await orderAtEvent(deps.db, event, orderId, { PUBLIC_BASE_URL: deps.publicBaseUrl, DATA_ENCRYPTION_KEYS: deps.encryptionKeys });
  if (!at) return;
  // The order as of this event, and its seq at the top too (ADR 0045): built
  // once here; a delivery already recorded keeps the body it was first given.
  const payload: WebhookPayload = { id: event.id, type: event.type, createdAt: event.createdAt, seq: at.seq, data: { order: at.order } };
  await Promise.all(endpoints.map((endpoint) => deliverFirst(deps, endpoint, payload)));
}

/** `webhook.retry` `{ endpointId, eventId }`: a retry is due (or, if early, when it will be). */
export async function handleWebhookRetry(event: EventEnvelope, deps: WebhookEventDeps): Promise<{ waitSeconds?: number }> {
  const { endpointId, eventId } = event.data;
  if (typeof endpointId !== 'string' || typeof eventId !== 'string') return {};
  return retryDelivery(deps, endpointId, eventId);
}
