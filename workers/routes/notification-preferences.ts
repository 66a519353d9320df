/**
 * /v1/me/notification-preferences and /v1/me/devices: the caller's own
 * notification settings. Who may call: any signed-in user (an access token);
 * a merchant API key is not a user (403).
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { principalOf, requireAuth } from '../middleware/auth';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { DeviceInput, DeviceSchema, NotificationPreferencesInput, NotificationPreferencesSchema } from '../schemas/notifications';
import { getPreferences, putPreferences, registerDevice, removeDevice } from '../services/notifications/preferences';
import { IdText } from '../schemas/text';

function userIdOf(c: Context<AppEnv>): string {
  const principal = principalOf(c);
  if (principal.type !== 'user') throw problems.forbidden('A merchant API key is not a user.');
  return principal.userId;
}

const getPrefs = createRoute({
  method: 'get',
  path: '/v1/me/notification-preferences',
  operationId: 'getNotificationPreferences',
  tags: ['Your data'],
  summary: 'Your notification preferences',
  description: 'Who may call: any signed-in user. Order messages (transactional) and marketing are separate consents.',
  middleware: [requireAuth()] as const,
  responses: {
    200: { description: 'The preferences', content: { 'application/json': { schema: NotificationPreferencesSchema } } },
    ...problemResponses(401, 403, 503),
  },
});

const putPrefs = createRoute({
  method: 'put',
  path: '/v1/me/notification-preferences',
  operationId: 'replaceNotificationPreferences',
  tags: ['Your data'],
  summary: 'Change your notification preferences',
  description: 'Who may call: any signed-in user. An invalid phone number (not E.164) or email address is 422 and changes nothing.',
  middleware: [requireAuth()] as const,
  request: { body: { required: true, content: { 'application/json': { schema: NotificationPreferencesInput } } } },
  responses: {
    200: { description: 'The preferences now', content: { 'application/json': { schema: NotificationPreferencesSchema } } },
    ...problemResponses(400, 401, 403, 415, 422, 503),
  },
});

const postDevice = createRoute({
  method: 'post',
  path: '/v1/me/devices',
  operationId: 'registerDevice',
  tags: ['Your data'],
  summary: 'Register a device for push notifications',
  description:
    'Who may call: any signed-in user. 201 for a new token; 200 when the caller had already registered it. A token registered by another account moves to the caller (one install, one user). Tokens FCM reports unregistered are removed.',
  middleware: [requireAuth()] as const,
  request: { body: { required: true, content: { 'application/json': { schema: DeviceInput } } } },
  responses: {
    200: { description: 'Already registered by the caller', content: { 'application/json': { schema: DeviceSchema } } },
    201: { description: 'Registered', content: { 'application/json': { schema: DeviceSchema } } },
    ...problemResponses(400, 401, 403, 415, 422, 503),
  },
});

const deleteDevice = createRoute({
  method: 'delete',
  path: '/v1/me/devices/{deviceId}',
  operationId: 'removeDevice',
  tags: ['Your data'],
  summary: 'Stop push notifications to a device (e.g. on sign-out)',
  description: 'Who may call: any signed-in user, for their own devices (another user’s: 404).',
  middleware: [requireAuth()] as const,
  request: { params: z.object({ deviceId: IdText.openapi({ param: { name: 'deviceId', in: 'path' } }) }) },
  responses: { 204: { description: 'Removed' }, ...problemResponses(401, 403, 404, 503) },
});

const deviceView = (d: { id: string; platform: 'ios' | 'android' | 'web'; createdAt: Date; lastSeenAt: Date }) => ({
  id: d.id,
  platform: d.platform,
  createdAt: d.createdAt.toISOString(),
  lastSeenAt: d.lastSeenAt.toISOString(),
});

export const notificationPreferenceRoutes = createRouter()
  .openapi(getPrefs, async (c) => {
    const prefs = await getPreferences(c.var.db(), userIdOf(c));
    if (!prefs) throw problems.unauthorized('The account no longer exists.');
    c.header('Cache-Control', 'private, no-store');
    return c.json(prefs, 200);
  })
  .openapi(putPrefs, async (c) => {
    const prefs = await putPreferences(c.var.db(), userIdOf(c), c.req.valid('json'));
    if (!prefs) throw problems.unauthorized('The account no longer exists.');
    return c.json(prefs, 200);
  })
  .openapi(postDevice, async (c) => {
    const { device, created } = await registerDevice(c.var.db(), userIdOf(c), c.req.valid('json'));
    return created ? c.json(deviceView(device), 201) : c.json(deviceView(device), 200);
  })
  .openapi(deleteDevice, async (c) => {
    if (!(await removeDevice(c.var.db(), userIdOf(c), c.req.valid('param').deviceId))) throw problems.notFound('No such device.');
    return c.body(null, 204);
  });
