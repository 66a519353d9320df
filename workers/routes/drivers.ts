/**
 * The driver's live channel and its batch uploads. Who may call: drivers
 * (their own channel only: the driver is the token's). Other roles: 403.
 * - GET (WebSocket) /v1/drivers/me/live: the upgrade is forwarded untouched to
 *   the CityShard of the driver's position, which holds the socket with the
 *   hibernation API (Hono's upgradeWebSocket cannot hibernate).
 * - POST /v1/drivers/me/locations: points recorded while the socket was down.
 * - GET /v1/drivers/me/assignments: the driver's current and recent orders.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { LocationPointSchema, MAX_POINTS_PER_BATCH } from '../../domain/protocol/city-shard';
import type { AppEnv } from '../env';
import { principalOf, requireAuth } from '../middleware/auth';
import { createRouter, problemResponses } from '../openapi';
import { Problem, problems } from '../problem';
import { pageQuery } from '../schemas/common';
import { OrderSchema } from '../schemas/orders';
import { forwardDriverChannel, loadDriverProfile, shardAt, type DriverProfile } from '../services/city-shard-client';
import { decodeCursor } from '../services/orders/cursor';
import { listOrders } from '../services/orders/repository';
import { orderView } from '../services/orders/view';
import type { Context } from 'hono';
import { log } from '../../domain/log';
import { SessionAppQuery } from '../schemas/session';
import { routeResponse } from '../raw-response';

const LocationBatchSchema = z
  .object({ points: z.array(LocationPointSchema).min(1).max(MAX_POINTS_PER_BATCH) })
  .openapi('LocationBatch', { description: `Up to ${MAX_POINTS_PER_BATCH} fixes, in any order; \`at\` is the time of the fix (ISO 8601).` });

const IngestSummarySchema = z
  .object({
    accepted: z.number().int().openapi({ description: 'Fixes applied (newest becomes the driver’s position).' }),
    duplicate: z.number().int().openapi({ description: 'Same time as the position already held: ignored.' }),
    outOfOrder: z.number().int().openapi({ description: 'Older than the position already held: ignored.' }),
    implausibleJump: z.number().int().openapi({ description: 'Faster than 50 m/s from the last position: flagged, not applied.' }),
    future: z.number().int().openapi({ description: 'More than 30 s ahead of the server clock: refused.' }),
    inaccurate: z.number().int().openapi({ description: 'Accuracy worse than 1 km: not applied.' }),
  })
  .openapi('LocationIngest');

const live = createRoute({
  method: 'get',
  path: '/v1/drivers/me/live',
  operationId: 'connectDriverChannel',
  tags: ['Drivers'],
  summary: 'The driver’s live channel (WebSocket)',
  description:
    'Who may call: drivers; other roles 403. Send `Upgrade: websocket` (browsers pass `?access_token=`, or the web apps `?session=<app>` with their session cookie, whose upgrade must come from this site: ADR 0087). On every (re)connect the server sends `session {driverId, status, available, orderId}`, then the open `offer` or current `assignment` (or, once, `assignment.released` for an order taken away while the driver was gone), so a client resumes where it was. ' +
    'Driver → server: `location {lat, lng, heading?, speed?, accuracy?, at}`, `locations {points: [...]}` (several fixes in one frame), `availability {available}`, `offer.accept {offerId}`, `offer.decline {offerId, reason?}`. ' +
    'Server → driver: `offer {offerId, orderId, pickup, dropoff, payoutCents, expiresAt}`, `offer.expired {offerId}`, `assignment {orderId}`, `assignment.cancelled {orderId}`, `assignment.ping {orderId, silentSeconds, releaseAt}`, `assignment.released {orderId, reason, silentSeconds}`, `location.rejected {at, reason}`, `error {code, detail}`. ' +
    'An assigned driver not heard from (no fix, message or order step) for 2 minutes gets `assignment.ping` (and a push); any message answers it. Still silent at `releaseAt` (4 minutes, before pickup), the order goes to another driver and the driver gets `assignment.released` (reason `driver_unresponsive`; and a push); after pickup it stays with the driver and operators are alerted (`releaseAt` null). ' +
    'A message may carry `v: 1`. `{"type":"ping"}` is answered `{"type":"pong"}` by the runtime (and does not count as hearing from the driver; `{"type":"ping","v":1}` does). A frame over 16 KiB closes the socket with 1009; a newer connection of the same driver closes the older with 4001. In a city split into several shards, a driver whose fixes cross into another shard’s cells is handed over and its socket closed with 4002: reconnect at once with the latest fix in `lat`/`lng` and send again the fixes of the last 30 s (duplicates are dropped; ADR 0122). ' +
    'More than 20 frames a second (burst 60; exact pings excepted) closes the socket with 1008.',
  middleware: [requireAuth('driver')] as const,
  request: {
    query: z.object({
      lat: z.coerce.number().min(-90).max(90).optional().openapi({ description: 'Where the driver is, to pick the shard of a split city (with lng).' }),
      lng: z.coerce.number().min(-180).max(180).optional(),
      access_token: z.string().optional().openapi({ description: 'For browsers, which cannot set headers on a WebSocket (RFC 6750).' }),
      session: SessionAppQuery,
    }),
  },
  responses: {
    101: { description: 'Switching Protocols: the channel' },
    ...problemResponses(401, 403, 422, 503),
    426: { description: 'Upgrade Required: not a WebSocket request', content: { 'application/problem+json': { schema: z.object({}).passthrough() } } },
  },
});

const upload = createRoute({
  method: 'post',
  path: '/v1/drivers/me/locations',
  operationId: 'reportDriverLocations',
  tags: ['Drivers'],
  summary: 'Upload fixes recorded while the socket was down',
  description:
    'Who may call: drivers; other roles 403. The same rules as on the socket: fixes are applied oldest first; duplicates and fixes older than the current position are ignored by their time; implausible jumps are flagged and not applied.',
  middleware: [requireAuth('driver')] as const,
  request: { body: { required: true, content: { 'application/json': { schema: LocationBatchSchema } } } },
  responses: {
    200: { description: 'What became of the fixes', content: { 'application/json': { schema: IngestSummarySchema } } },
    ...problemResponses(400, 401, 403, 413, 422, 503),
  },
});

const assignments = createRoute({
  method: 'get',
  path: '/v1/drivers/me/assignments',
  operationId: 'listDriverAssignments',
  tags: ['Drivers'],
  summary: 'The driver’s current and recent orders, newest first',
  description: 'Who may call: drivers; other roles 403. The orders assigned to the calling driver, as the driver sees them (no delivery PIN), cursor-paginated.',
  middleware: [requireAuth('driver')] as const,
  request: { query: z.object(pageQuery) },
  responses: {
    200: { description: 'A page of orders', content: { 'application/json': { schema: z.object({ items: z.array(OrderSchema), nextCursor: z.string().nullable() }) } } },
    ...problemResponses(401, 403, 422, 503),
  },
});

async function driverOf(c: Context<AppEnv>): Promise<DriverProfile> {
  const principal = principalOf(c);
  const driverId = principal.type === 'user' ? principal.driverId : undefined;
  const driver = driverId ? await loadDriverProfile(c.var.db(), driverId) : null;
  if (!driver) throw problems.forbidden('This account has no driver profile.');
  if (!driver.active) throw problems.forbidden('This driver account is deactivated.');
  return driver;
}

/** Where a batch was recorded, robust to an outlier fix: the median of its coordinates picks the shard. */
function medianOf(points: readonly { lat: number; lng: number }[]): { lat: number; lng: number } {
  const mid = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  return { lat: mid(points.map((p) => p.lat)), lng: mid(points.map((p) => p.lng)) };
}

const shardDown = (error: unknown): Problem => {
  log.error('city shard call failed', { error });
  return problems.unavailable('The city shard is not reachable.');
};

export const driverRoutes = createRouter()
  .openapi(live, async (c) => {
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
      throw new Problem(426, 'upgrade-required', 'This endpoint is a WebSocket: send Upgrade: websocket.', { headers: { Upgrade: 'websocket' } });
    }
    const { lat, lng } = c.req.valid('query');
    const driver = await driverOf(c);
    const position = lat !== undefined && lng !== undefined ? { lat, lng } : null;
    try {
      const principal = principalOf(c);
      const session = principal.type === 'user' ? { userId: principal.userId, sessionId: principal.sessionId } : undefined;
      return routeResponse(live, await forwardDriverChannel(c.env, c.req.raw, driver, position, session));
    } catch (error) {
      throw shardDown(error);
    }
  })
  .openapi(upload, async (c) => {
    const { points } = c.req.valid('json');
    const driver = await driverOf(c);
    try {
      const summary = await shardAt(c.env, driver.city, medianOf(points)).ingestLocations({ driverId: driver.driverId, vehicle: driver.vehicle, points });
      return c.json(summary, 200);
    } catch (error) {
      throw shardDown(error);
    }
  })
  .openapi(assignments, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const after = cursor ? decodeCursor(cursor) : undefined;
    if (after === null) throw problems.validation([{ path: 'query.cursor', message: 'Not a cursor from this list.' }]);
    const principal = principalOf(c);
    // A deactivated driver still sees its history.
    const driverId = principal.type === 'user' ? principal.driverId : undefined;
    if (!driverId) throw problems.forbidden('This account has no driver profile.');
    const page = await listOrders(c.var.db(), { scope: { driverId }, limit, ...(after ? { after } : {}) });
    return c.json({ items: await Promise.all(page.details.map((d) => orderView(d, 'driver', c.env))), nextCursor: page.nextCursor }, 200);
  });
