/**
 * GET (WebSocket) /v1/merchants/{id}/live: the merchant's order events, live.
 * Who may call: callers acting for {id} (owner, staff, its API key); another
 * merchant: 404; other roles: 403. Browsers pass `?access_token=` (the web
 * apps `?session=merchant` with their session cookie, ADR 0087). The
 * upgrade is forwarded untouched to the merchant's MerchantFeed Durable
 * Object, which holds the socket with the hibernation API. Reconnect with
 * `?since=<last seq seen>` to receive what was missed first.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { assertMerchantAccess, principalOf, requireAuth } from '../middleware/auth';
import { createRouter, problemResponses } from '../openapi';
import { Problem } from '../problem';
import { MerchantIdParam } from '../schemas/catalog';
import { merchantFeedStub } from '../services/merchant-feed';
import { liveUpgrade } from '../services/live-sockets';
import { SESSION_HEADERS } from '../../domain/live-sessions';
import { SessionAppQuery } from '../schemas/session';
import { routeResponse } from '../raw-response';

const live = createRoute({
  method: 'get',
  path: '/v1/merchants/{id}/live',
  operationId: 'connectMerchantFeed',
  tags: ['Merchants'],
  summary: 'Live order feed (WebSocket)',
  description:
    'Who may call: callers acting for {id}; another merchant: 404; other roles: 403. Send `Upgrade: websocket`. Messages (JSON): `hello {seq}`, then on reconnect with `?since=<seq>` every missed `status {seq, orderId, status, dispatch, at, event, orderSeq, order}` in order (`seq` is the feed’s own, per merchant; `orderSeq` is the order event’s seq and `order` the order as of that event: one order’s frames arrive in orderSeq order, each once) (or `resync` if they are no longer all kept), then `live {seq}`, then each new `status` within a second of its commit. `{"type":"ping"}` is answered with `{"type":"pong"}`. ' +
    'Limits: at most 10 connections per merchant (the 11th upgrade: 429 problem with Retry-After); a client frame over 4 KiB closes the socket with 1009, more than 5 frames a second (burst 20; exact pings excepted) with 1008.',
  middleware: [requireAuth('merchant')] as const,
  request: {
    params: MerchantIdParam,
    query: z.object({
      since: z.string().regex(/^\d{1,15}$/).optional().openapi({ description: 'The last `seq` the client saw.' }),
      access_token: z.string().optional().openapi({ description: 'For browsers, which cannot set headers on a WebSocket (RFC 6750).' }),
      session: SessionAppQuery,
    }),
  },
  responses: {
    101: { description: 'Switching Protocols: the feed' },
    ...problemResponses(401, 403, 404, 422, 429),
    426: { description: 'Upgrade Required: not a WebSocket request', content: { 'application/problem+json': { schema: z.object({}).passthrough() } } },
  },
});

export const merchantLiveRoutes = createRouter().openapi(live, async (c) => {
  const principal = principalOf(c);
  const { id } = c.req.valid('param');
  assertMerchantAccess(principal, id, 'orders');
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
    throw new Problem(426, 'upgrade-required', 'This endpoint is a WebSocket: send Upgrade: websocket.', { headers: { Upgrade: 'websocket' } });
  }
  const headers = new Headers(c.req.raw.headers);
  headers.set('X-Merchant-Id', id);
  headers.delete('Authorization');
  // The web apps' session cookie authenticated the upgrade here; the object never needs it (ADR 0087).
  headers.delete('Cookie');
  // Who opened it, so an ended session closes it (ADR 0082); never what the client sent under these names.
  headers.delete(SESSION_HEADERS.userId);
  headers.delete(SESSION_HEADERS.sessionId);
  if (principal.type === 'user') {
    headers.set(SESSION_HEADERS.userId, principal.userId);
    headers.set(SESSION_HEADERS.sessionId, principal.sessionId);
  }
  const url = new URL(c.req.url);
  url.searchParams.delete('access_token');
  return routeResponse(live, await liveUpgrade(merchantFeedStub(c.env, id).fetch(new Request(url, { headers }))));
});
