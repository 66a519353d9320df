/**
 * /v1/merchants: the public directory of merchants taking orders, each
 * merchant's public profile, and changes to it. Who may call:
 * - GET list and profile: anyone (no token needed).
 * - PATCH: the merchant's owner for name/open/address/location; operators
 *   (ops/admin) for `suspended` only. Staff and API keys of the merchant: 403;
 *   another merchant: 404; customers and drivers: 403.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import { cities, merchants, type Merchant } from '../../db/schema/index';
import { assertMerchantAccess, principalOf, requireAuth } from '../middleware/auth';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { MERCHANT_KINDS, MerchantIdParam, MerchantPatchSchema, MerchantSchema, listOf } from '../schemas/catalog';
import { pageQuery } from '../schemas/common';
import { actorOf, recordAudit } from '../services/audit';
import { isOperator } from '../services/auth/principal';
import { decodeKeyCursor, encodeKeyCursor } from '../services/orders/cursor';
import { distanceMeters } from '../services/orders/pricing';
import { IdText } from '../schemas/text';

export function merchantView(m: Merchant) {
  return {
    id: m.id,
    cityId: m.cityId,
    name: m.name,
    kind: m.kind,
    address: m.address,
    location: { lat: m.lat, lng: m.lng },
    open: m.open,
    suspended: m.suspended,
    acceptingOrders: m.open && !m.suspended,
    prepMinutes: m.prepMinutes,
  };
}

const list = createRoute({
  method: 'get',
  path: '/v1/merchants',
  operationId: 'listMerchants',
  tags: ['Merchants'],
  summary: 'Merchants taking orders, by city and kind',
  description: 'Who may call: anyone. Only merchants that are open and not suspended, alphabetically.',
  security: [],
  request: {
    query: z.object({
      cityId: IdText.optional(),
      kind: z.enum(MERCHANT_KINDS).optional(),
      ...pageQuery,
    }),
  },
  responses: {
    200: { description: 'A page of merchants', content: { 'application/json': { schema: listOf(MerchantSchema) } } },
    ...problemResponses(422, 503),
  },
});

const get = createRoute({
  method: 'get',
  path: '/v1/merchants/{id}',
  operationId: 'getMerchant',
  tags: ['Merchants'],
  summary: 'A merchant’s public profile',
  description: 'Who may call: anyone.',
  security: [],
  request: { params: MerchantIdParam },
  responses: {
    200: { description: 'The merchant', content: { 'application/json': { schema: MerchantSchema } } },
    ...problemResponses(404, 503),
  },
});

const patch = createRoute({
  method: 'patch',
  path: '/v1/merchants/{id}',
  operationId: 'updateMerchant',
  tags: ['Merchants'],
  summary: 'Change a merchant (owner), or suspend / reinstate it (operators)',
  description:
    'Who may call: the owner of {id} (`name`, `open`, `address`, `location`); ops/admin (`suspended` only, audited as merchant.suspend / merchant.reinstate). Staff and API keys of {id}: 403; another merchant: 404; others: 403. A new location must lie in the merchant’s city’s service area.',
  middleware: [requireAuth('merchant', 'ops', 'admin')] as const,
  request: { params: MerchantIdParam, body: { required: true, content: { 'application/json': { schema: MerchantPatchSchema } } } },
  responses: {
    200: { description: 'The merchant after the change', content: { 'application/json': { schema: MerchantSchema } } },
    ...problemResponses(400, 401, 403, 404, 413, 415, 422, 503),
  },
});

export const merchantRoutes = createRouter()
  .openapi(list, async (c) => {
    const { cityId, kind, limit, cursor } = c.req.valid('query');
    const conditions: SQL[] = [eq(merchants.open, true), eq(merchants.suspended, false)];
    if (cityId) conditions.push(eq(merchants.cityId, cityId));
    if (kind) conditions.push(eq(merchants.kind, kind));
    if (cursor) {
      const after = decodeKeyCursor(cursor);
      if (!after) throw problems.validation([{ path: 'query.cursor', message: 'Not a cursor from this list.' }]);
      conditions.push(sql`(${merchants.name}, ${merchants.id}) > (${after[0]}, ${after[1]})`);
    }
    const rows = await c.var
      .db()
      .select()
      .from(merchants)
      .where(and(...conditions))
      .orderBy(asc(merchants.name), asc(merchants.id))
      .limit(limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return c.json({ items: page.map(merchantView), nextCursor: rows.length > limit && last ? encodeKeyCursor([last.name, last.id]) : null }, 200);
  })
  .openapi(get, async (c) => {
    const { id } = c.req.valid('param');
    const [merchant] = await c.var.db().select().from(merchants).where(eq(merchants.id, id));
    if (!merchant) throw problems.notFound('No such merchant.');
    return c.json(merchantView(merchant), 200);
  })
  .openapi(patch, async (c) => {
    const principal = principalOf(c);
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const operator = isOperator(principal);
    if (operator) {
      const others = Object.keys(body).filter((k) => k !== 'suspended');
      if (others.length > 0) throw problems.forbidden(`Operators may only suspend or reinstate a merchant (not change ${others.join(', ')}).`);
    } else {
      assertMerchantAccess(principal, id, 'profile');
      if (body.suspended !== undefined) throw problems.forbidden('Only operators suspend or reinstate a merchant.');
    }
    const db = c.var.db();
    const [current] = await db.select({ merchant: merchants, city: cities }).from(merchants).innerJoin(cities, eq(cities.id, merchants.cityId)).where(eq(merchants.id, id));
    if (!current) throw problems.notFound('No such merchant.');
    if (body.location) {
      const fromCenter = distanceMeters({ lat: current.city.centerLat, lng: current.city.centerLng }, body.location);
      if (fromCenter > current.city.serviceRadiusKm * 1000) {
        throw problems.validation([{ path: 'json.location', message: `The location is outside the area ${current.city.name} is served in.` }]);
      }
    }
    const updated = await db.transaction(async (tx) => {
      const [row] = await tx
        .update(merchants)
        .set({
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.open !== undefined ? { open: body.open } : {}),
          ...(body.address !== undefined ? { address: body.address } : {}),
          ...(body.location ? { lat: body.location.lat, lng: body.location.lng } : {}),
          ...(body.suspended !== undefined ? { suspended: body.suspended } : {}),
          updatedAt: new Date(),
        })
        .where(eq(merchants.id, id))
        .returning();
      if (body.suspended !== undefined && body.suspended !== current.merchant.suspended) {
        await recordAudit(tx, {
          actor: actorOf(principal),
          action: body.suspended ? 'merchant.suspend' : 'merchant.reinstate',
          target: { type: 'merchant', id },
          requestId: c.var.requestId,
        });
      }
      return row!;
    });
    return c.json(merchantView(updated), 200);
  });
