import type { EventEnvelope } from '../services/events/envelope';

/** A delayed `webhook.retry` message on EVENTS: the next attempt of an endpoint's event is due then. */
export async function scheduleWebhookRetry(queue: Pick<Queue, 'send'>, endpointId: string, eventId: string, delaySeconds: number): Promise<void> {
  const body: EventEnvelope = { id: `${eventId}.retry.${endpointId}`, type: 'webhook.retry', createdAt: new Date().toISOString(), data: { endpointId, eventId } };
  // Queues delay a message by at most 12 hours.
  await queue.send(body, { contentType: 'json', delaySeconds: Math.min(43_200, Math.max(0, Math.ceil(delaySeconds))) });
}
