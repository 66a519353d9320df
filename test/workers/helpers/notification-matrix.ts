/**
 * Objects the authorization matrix needs for the notification and webhook
 * routes (test/workers/authz-matrix.table.ts), made straight in Postgres.
 * Webhook URLs point at the local receiver fake: nothing leaves the machine.
 */
import { inject } from 'vitest';
import { newId } from '../../../db/ids';
import { deadLetters, devices, webhookDeliveries, webhookEndpoints } from '../../../db/schema/index';
import { generateWebhookSecret } from '../../../workers/services/webhooks/signature';
import { db, uniqueToken } from './notification-world';

export const matrixWebhookUrl = () => `${inject('webhookReceiverUrl')}/hooks/matrix`;

export const matrixWebhookBody = () => ({ url: matrixWebhookUrl(), events: ['*'] });

export async function matrixDevice(userId: string): Promise<string> {
  const id = newId('dev');
  await db().insert(devices).values({ id, userId, pushToken: uniqueToken('matrix'), platform: 'web' });
  return id;
}

export async function matrixEndpoint(merchantId: string): Promise<string> {
  const id = newId('whk');
  await db().insert(webhookEndpoints).values({ id, merchantId, url: matrixWebhookUrl(), events: ['*'], secret: generateWebhookSecret() });
  return id;
}

export async function matrixDelivery(endpointId: string): Promise<string> {
  const id = newId('whd');
  const eventId = newId('obx');
  const payload = { id: eventId, type: 'order.placed', createdAt: new Date().toISOString(), data: { order: { id: 'ord_matrix' } } };
  await db().insert(webhookDeliveries).values({ id, endpointId, eventId, eventType: 'order.placed', eventAt: new Date(payload.createdAt), payload, attempt: 1, status: 'succeeded', statusCode: 204 });
  return id;
}

/** A parked message that is harmless to replay: an event type nobody handles. */
export async function matrixDeadLetter(): Promise<string> {
  const id = newId('dlq');
  const body = { id: newId('obx'), type: 'matrix.noop', createdAt: new Date().toISOString(), data: {} };
  await db().insert(deadLetters).values({ id, queue: 'delivery-events', messageId: `matrix-${id}`, body, attempts: 9 });
  return id;
}
