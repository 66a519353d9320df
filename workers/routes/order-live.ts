/**
 * The city shard's side of an order: its live channel and its dispatch
 * decision log. Who may call:
 * - GET (WebSocket) /v1/orders/{id}/live: as GET /v1/orders/{id} — its
 *   customer, its merchant, its assigned driver; anyone else 404.
 * - GET /v1/orders/{id}/dispatch: its merchant and operators; the order's
 *   customer and driver 403; another merchant 404.
 */
import { DISPATCH_STATES } from '../../domain/order';
import { createRoute, z } from '@hono/zod-openapi';
import { desc, eq } from 'drizzle-orm';
import { dispatchOffers } from '../../db/schema/index';
import { assertMerchantAccess, principalOf, requireAuth } from '../middleware/auth';
import { createRouter, problemResponses } from '../openapi';
import { Problem, problems } from '../problem';
import { OrderIdParam } from '../schemas/orders';
import { isOperator } from '../services/auth/principal';
import { forwardOrderWatcher, loadCityGeometry, orderDispatchLog, shardOrderOf } from '../services/city-shard-client';
import { loadOrder } from '../services/orders/repository';
import { liveUpgrade } from '../services/live-sockets';
import { visibleOrder } from './orders';
import { log as logger } from '../../domain/log';
import { SessionAppQuery } from '../schemas/session';
import { routeResponse } from '../raw-response';

const CandidateSchema = z.object({
  driverId: z.string(),
  vehicle: z.enum(['bike', 'scooter', 'car']).optional(),
  distanceM: z.number(),
  etaSeconds: z.number(),
  idleSeconds: z.number().optional(),
  score: z.number(),
  rejectedBecause: z.string().nullable().optional().openapi({ description: 'Why this driver was not chosen; null for the one offered the order.' }),
  shardKey: z.string().optional().openapi({ description: "A driver of a neighbouring city shard (an order near a shard border); absent for the order's own shard." }),
});

const DispatchLogSchema = z
  .object({
    orderId: z.string(),
    dispatch: z.enum(DISPATCH_STATES),
    driverId: z.string().nullable(),
    source: z.enum(['shard', 'postgres', 'none']).openapi({ description: 'The live log of the city shard (kept a day after the order ends), or the durable copy in Postgres.' }),
    offers: z.array(
      z.object({
        offerId: z.string(),
        driverId: z.string().nullable(),
        driverShard: z.string().nullable().optional().openapi({ description: "The neighbouring shard that held the driver and placed the offer; null for the order's own shard (absent in the Postgres copy)." }),
        round: z.number().int(),
        offeredAt: z.string(),
        expiresAt: z.string(),
        reason: z.string().nullable().openapi({ description: 'Why the offered driver won.' }),
        candidates: z.array(CandidateSchema),
        status: z.enum(['pending', 'accepted', 'declined', 'expired', 'cancelled']),
        outcome: z.string().nullable().openapi({ description: 'How the offer ended (null while open).' }),
        resolvedAt: z.string().nullable(),
      }),
    ),
    notes: z
      .array(z.object({ at: z.string(), kind: z.string(), detail: z.object({}).passthrough() }))
      .openapi({
        description:
          'Searches that found nobody (with each radius tried), assignment, status changes, cancellation; a silent assigned driver (ADR 0079): `driver_silent` (pinged), `driver_unresponsive` (released and offered again, or after pickup `afterPickup: true`: operators alerted), `release_refused` (picked up meanwhile).',
      }),
  })
  .openapi('DispatchLog');

const live = createRoute({
  method: 'get',
  path: '/v1/orders/{id}/live',
  operationId: 'connectOrderChannel',
  tags: ['Orders'],
  summary: 'Live position, status and ETA of one order (WebSocket)',
  description:
    'Who may call: as GET /v1/orders/{id} (its customer, merchant, assigned driver); anyone else 404. Send `Upgrade: websocket` (browsers pass `?access_token=`, or the web apps `?session=<app>` with their session cookie, whose upgrade must come from this site: ADR 0087). On connect: the current `status`, and once a driver is assigned its last `location` and `eta`; then `status {orderId, status, dispatch, at, seq}` (each committed order event once, in seq order: `seq` is the event’s in GET /v1/orders/{id}/events; a client ignores a frame with a seq lower than one it has), `location {orderId, lat, lng, heading?, at}` and `eta {orderId, seconds, pickupSeconds?, at?}` as they change (positions and ETAs are coalesced: a slow client gets the latest). `{"type":"ping"}` is answered `{"type":"pong"}`. ' +
    'Limits: at most 20 connections per order (the 21st upgrade: 429 problem with Retry-After); a client frame over 4 KiB closes the socket with 1009, more than 5 frames a second (burst 20; exact pings excepted) with 1008.',
  middleware: [requireAuth('customer', 'merchant', 'driver')] as const,
  request: {
    params: OrderIdParam,
    query: z.object({
      access_token: z.string().optional().openapi({ description: 'For browsers, which cannot set headers on a WebSocket (RFC 6750).' }),
      session: SessionAppQuery,
    }),
  },
  responses: {
    101: { description: 'Switching Protocols: the channel' },
    ...problemResponses(401, 403, 404, 429, 503),
    426: { description: 'Upgrade Required: not a WebSocket request', content: { 'application/problem+json': { schema: z.object({}).passthrough() } } },
  },
});

const log = createRoute({
  method: 'get',
  path: '/v1/orders/{id}/dispatch',
  operationId: 'getOrderDispatch',
  tags: ['Orders'],
  summary: 'The dispatch decision log of an order',
  description:
    'Who may call: its merchant, operators; its customer and driver 403; anyone else 404. For each offer: the candidates considered with distance, ETA, idle time and score, why the chosen driver won, and how the offer ended.',
  middleware: [requireAuth('merchant', 'ops', 'admin')] as const,
  request: { params: OrderIdParam },
  responses: {
    200: { description: 'The decision log', content: { 'application/json': { schema: DispatchLogSchema } } },
    ...problemResponses(401, 403, 404, 503),
  },
});

export const orderLiveRoutes = createRouter()
  .openapi(live, async (c) => {
    const principal = principalOf(c);
    const { id } = c.req.valid('param');
    const db = c.var.db();
    const { detail, relation } = await visibleOrder(db, principal, id);
    if (relation.viewer === 'merchant') assertMerchantAccess(principal, detail.order.merchantId, 'orders');
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
      throw new Problem(426, 'upgrade-required', 'This endpoint is a WebSocket: send Upgrade: websocket.', { headers: { Upgrade: 'websocket' } });
    }
    const o = detail.order;
    const city = await loadCityGeometry(db, o.cityId);
    if (!city) throw problems.notFound('No such order.');
    let answer: Response;
    try {
      answer = await forwardOrderWatcher(c.env, c.req.raw, city, shardOrderOf(o));
    } catch (error) {
      logger.error('order live: shard unreachable', { orderId: id, error });
      throw problems.unavailable('The city shard is not reachable.');
    }
    return routeResponse(live, await liveUpgrade(answer));
  })
  .openapi(log, async (c) => {
    const principal = principalOf(c);
    const { id } = c.req.valid('param');
    const db = c.var.db();
    let order;
    if (isOperator(principal)) {
      order = await loadOrder(db, id);
      if (!order) throw problems.notFound('No such order.');
    } else {
      order = (await visibleOrder(db, principal, id)).detail.order;
      assertMerchantAccess(principal, order.merchantId, 'orders');
    }
    const city = await loadCityGeometry(db, order.cityId);
    const ref = shardOrderOf(order);
    let shardLog;
    try {
      shardLog = city ? await orderDispatchLog(c.env, city, ref) : null;
    } catch (error) {
      logger.error('dispatch log: shard unreachable', { orderId: id, error });
      throw problems.unavailable('The city shard is not reachable.');
    }
    if (shardLog) {
      return c.json({ orderId: id, dispatch: shardLog.dispatch, driverId: shardLog.driverId, source: 'shard' as const, offers: shardLog.offers, notes: shardLog.notes }, 200);
    }
    // The shard forgets an order a day after it ends; the durable copy is in Postgres.
    const rows = await db.select().from(dispatchOffers).where(eq(dispatchOffers.orderId, id)).orderBy(desc(dispatchOffers.round));
    const offers = rows.reverse().map((r) => ({
      offerId: r.id,
      driverId: r.driverId,
      round: r.round,
      offeredAt: r.offeredAt.toISOString(),
      expiresAt: r.expiresAt.toISOString(),
      reason: r.reason,
      candidates: r.candidates,
      status: r.status,
      outcome: r.outcomeReason,
      resolvedAt: r.resolvedAt?.toISOString() ?? null,
    }));
    return c.json({ orderId: id, dispatch: order.dispatchState, driverId: order.driverId, source: offers.length > 0 ? ('postgres' as const) : ('none' as const), offers, notes: [] }, 200);
  });
