/**
 * Merchant webhooks for one event: the order's merchant's subscribed
 * endpoints each get a signed POST. Their failures never hold the queue
 * message: each endpoint has its own retry schedule (deliveries.ts).
 */
import type { Database } from '../../../db/client';
import { isPublicEventType, orderIdOf, type EventEnvelope } from '../events/envelope';
import { deliverFirst, retryDelivery, subscribedEndpoints, type DeliveryDeps } from './deliveries';
import { loadOrder, orderSnapshot } from './order-snapshot';

export interface WebhookEventDeps extends DeliveryDeps {
  db: Database;
  publicBaseUrl: string;
}

export async function deliverEventToMerchant(event: EventEnvelope, deps: WebhookEventDeps): Promise<void> {
  if (!isPublicEventType(event.type)) return;
  const orderId = orderIdOf(event);
  const order = orderId ? await loadOrder(deps.db, orderId) : undefined;
  if (!order) return;
  const endpoints = await subscribedEndpoints(deps.db, order.merchantId, event.type);
  if (endpoints.length === 0) return;
  const payload = {
    id: event.id,
    type: event.type,
    createdAt: event.createdAt,
    data: { order: await orderSnapshot(deps.db, order, event.type, deps.publicBaseUrl) },
  };
  await Promise.all(endpoints.map((endpoint) => deliverFirst(deps, endpoint, payload)));
}

/** `webhook.retry` `{ endpointId, eventId }`: a retry is due (or, if early, when it will be). */
export async function handleWebhookRetry(event: EventEnvelope, deps: WebhookEventDeps): Promise<{ waitSeconds?: number }> {
  const { endpointId, eventId } = event.data;
  if (typeof endpointId !== 'string' || typeof eventId !== 'string') return {};
  return retryDelivery(deps, endpointId, eventId);
}
