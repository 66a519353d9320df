/**
 * /v1/merchants/{id}/products: a merchant's catalog. Who may call:
 * - GET: anyone (no token needed); 404 for an unknown merchant.
 * - POST, PATCH: callers acting for {id} with the `catalog` capability
 *   (owner, manager, the merchant's API key); staff: 403; another merchant:
 *   404; customers, drivers, operators: 403.
 * Prices are integer minor units in the merchant's city currency. Only
 * pharmacies may mark a product `requiresPrescription`.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { newId } from '../../db/ids';
import { cities, merchants, products, type Product } from '../../db/schema/index';
import { assertMerchantAccess, principalOf, requireAuth } from '../middleware/auth';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { MerchantIdParam, NewProductSchema, ProductParams, ProductPatchSchema, ProductSchema, listOf } from '../schemas/catalog';
import { pageQuery } from '../schemas/common';
import { OptionalIdempotencyHeaders } from '../schemas/orders';
import { decodeKeyCursor, encodeKeyCursor } from '../services/orders/cursor';
import { withIdempotency } from './idempotent';
import { routeResponse } from '../raw-response';

export function productView(p: Product) {
  return {
    id: p.id,
    merchantId: p.merchantId,
    name: p.name,
    description: p.description,
    priceCents: p.priceCents,
    currency: p.currency,
    available: p.available,
    requiresPrescription: p.requiresPrescription,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

async function merchantWithCurrency(db: Pick<Database, 'select'>, id: string) {
  const [row] = await db.select({ id: merchants.id, kind: merchants.kind, currency: cities.currency }).from(merchants).innerJoin(cities, eq(cities.id, merchants.cityId)).where(eq(merchants.id, id));
  if (!row) throw problems.notFound('No such merchant.');
  return row;
}

function checkPrescription(kind: string, requiresPrescription: boolean | undefined): void {
  if (requiresPrescription && kind !== 'pharmacy') {
    throw problems.validation([{ path: 'json.requiresPrescription', message: 'Only pharmacies sell products that require a prescription.' }]);
  }
}

const writers = 'Who may call: callers acting for {id} with the catalog capability (owner, manager, API key). Staff: 403; another merchant: 404; other roles: 403.';

const list = createRoute({
  method: 'get',
  path: '/v1/merchants/{id}/products',
  operationId: 'listProducts',
  tags: ['Catalog'],
  summary: 'A merchant’s catalog',
  description: 'Who may call: anyone. Alphabetical; `available=true` lists only what can be ordered now.',
  security: [],
  request: { params: MerchantIdParam, query: z.object({ available: z.enum(['true', 'false']).optional(), ...pageQuery }) },
  responses: {
    200: { description: 'A page of products', content: { 'application/json': { schema: listOf(ProductSchema) } } },
    ...problemResponses(404, 422, 503),
  },
});

const create = createRoute({
  method: 'post',
  path: '/v1/merchants/{id}/products',
  operationId: 'createProduct',
  tags: ['Catalog'],
  summary: 'Add a product',
  description: `${writers} Accepts Idempotency-Key.`,
  middleware: [requireAuth('merchant')] as const,
  request: {
    params: MerchantIdParam,
    headers: OptionalIdempotencyHeaders,
    body: { required: true, content: { 'application/json': { schema: NewProductSchema } } },
  },
  responses: {
    201: { description: 'The product', content: { 'application/json': { schema: ProductSchema } } },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503),
  },
});

const patch = createRoute({
  method: 'patch',
  path: '/v1/merchants/{id}/products/{productId}',
  operationId: 'updateProduct',
  tags: ['Catalog'],
  summary: 'Change a product (partial update)',
  description: writers,
  middleware: [requireAuth('merchant')] as const,
  request: { params: ProductParams, body: { required: true, content: { 'application/json': { schema: ProductPatchSchema } } } },
  responses: {
    200: { description: 'The product after the change', content: { 'application/json': { schema: ProductSchema } } },
    ...problemResponses(400, 401, 403, 404, 413, 415, 422, 503),
  },
});

export const catalogRoutes = createRouter()
  .openapi(list, async (c) => {
    const { id } = c.req.valid('param');
    const { available, limit, cursor } = c.req.valid('query');
    const db = c.var.db();
    await merchantWithCurrency(db, id);
    const conditions: SQL[] = [eq(products.merchantId, id)];
    if (available) conditions.push(eq(products.available, available === 'true'));
    if (cursor) {
      const after = decodeKeyCursor(cursor);
      if (!after) throw problems.validation([{ path: 'query.cursor', message: 'Not a cursor from this list.' }]);
      conditions.push(sql`(${products.name}, ${products.id}) > (${after[0]}, ${after[1]})`);
    }
    const rows = await db.select().from(products).where(and(...conditions)).orderBy(asc(products.name), asc(products.id)).limit(limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return c.json({ items: page.map(productView), nextCursor: rows.length > limit && last ? encodeKeyCursor([last.name, last.id]) : null }, 200);
  })
  .openapi(create, async (c) => {
    const principal = principalOf(c);
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    assertMerchantAccess(principal, id, 'catalog');
    // A raw Response, so a replay is the stored bytes (the typed c.json cannot express that).
    const response = await withIdempotency(c, principal, c.req.valid('header')['idempotency-key'], body, async (tx) => {
      const merchant = await merchantWithCurrency(tx, id);
      checkPrescription(merchant.kind, body.requiresPrescription);
      const now = new Date();
      const [row] = await tx
        .insert(products)
        .values({
          id: newId('prd'),
          merchantId: id,
          name: body.name,
          description: body.description ?? null,
          priceCents: body.priceCents,
          currency: merchant.currency,
          available: body.available ?? true,
          requiresPrescription: body.requiresPrescription ?? false,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      return { status: 201, body: productView(row!), headers: { Location: `/v1/merchants/${id}/products/${row!.id}` } };
    });
    return routeResponse(create, response);
  })
  .openapi(patch, async (c) => {
    const principal = principalOf(c);
    const { id, productId } = c.req.valid('param');
    const body = c.req.valid('json');
    assertMerchantAccess(principal, id, 'catalog');
    const db = c.var.db();
    const merchant = await merchantWithCurrency(db, id);
    checkPrescription(merchant.kind, body.requiresPrescription);
    const [row] = await db
      .update(products)
      .set({
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(body.priceCents !== undefined ? { priceCents: body.priceCents } : {}),
        ...(body.available !== undefined ? { available: body.available } : {}),
        ...(body.requiresPrescription !== undefined ? { requiresPrescription: body.requiresPrescription } : {}),
        updatedAt: new Date(),
      })
      .where(and(eq(products.id, productId), eq(products.merchantId, id)))
      .returning();
    if (!row) throw problems.notFound('No such product.');
    return c.json(productView(row), 200);
  });
