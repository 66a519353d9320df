/**
 * A shop's opening hours, prep estimate and busy mode (ADR 0111).
 * - GET /v1/merchants/{id}/hours: anyone. Open or closed now by the hours,
 *   when that changes, and the prep estimate in force.
 * - PUT /v1/merchants/{id}/hours: the owner (capability `profile`): the
 *   weekly schedule with exceptions, its time zone, the prep estimate.
 * - PUT /v1/merchants/{id}/busy: whoever takes the orders (owner, manager,
 *   staff, API key; capability `orders`): busy mode on for a while, or off.
 * Another business: 404; customers, drivers and operators: 403.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { and, eq, isNull } from 'drizzle-orm';
import { cities, merchants, type City, type Merchant } from '../../db/schema/index';
import { openStateAt } from '../../domain/opening-hours';
import { assertMerchantAccess, principalOf, requireAuth } from '../middleware/auth';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { MerchantIdParam } from '../schemas/catalog';
import { OpeningHoursSchema, TimeZoneSchema } from '../schemas/zones';
import { isBusy, merchantTimezone, prepMinutesNow } from '../services/delivery-terms';
import type { Database } from '../../db/client';

const Instant = z.string().datetime();

export const MerchantHoursSchema = z
  .object({
    merchantId: z.string(),
    timezone: z.string().openapi({ description: 'The IANA zone the hours are read in: the shop’s own, else its city’s.' }),
    openingHours: OpeningHoursSchema.nullable().openapi({ description: 'Null: open around the clock (as `open` allows).' }),
    openNow: z.boolean().openapi({ description: 'Open by its hours now (the merchant’s open switch, suspension and closure aside: see `acceptingOrders`).' }),
    closesAt: Instant.nullable(),
    opensAt: Instant.nullable(),
    opensAtLocal: z.object({ date: z.string(), time: z.string() }).nullable().openapi({ description: '`opensAt` in the shop’s zone, for "Opens at 11:00".' }),
    acceptingOrders: z.boolean().openapi({ description: 'Open switch on, not suspended, not closed for good.' }),
    prepMinutes: z.number().int().openapi({ description: 'The usual prep estimate.' }),
    prepMinutesNow: z.number().int().openapi({ description: 'The estimate in force: longer by `busyExtraMinutes` while busy.' }),
    busy: z.boolean(),
    busyUntil: Instant.nullable(),
    busyExtraMinutes: z.number().int(),
  })
  .openapi('MerchantHours');

const HoursPutSchema = z
  .object({
    openingHours: OpeningHoursSchema.nullable(),
    timezone: TimeZoneSchema.nullable().optional().openapi({ description: 'Null or absent: the city’s zone.' }),
    prepMinutes: z.number().int().min(0).max(240).optional(),
  })
  .strict()
  .openapi('MerchantHoursPut');

const BusyPutSchema = z
  .object({
    busy: z.boolean(),
    forMinutes: z.number().int().min(5).max(480).default(60).openapi({ description: 'How long busy mode lasts (it ends by itself).' }),
    extraMinutes: z.number().int().min(0).max(240).optional().openapi({ description: 'Added to the prep estimate while busy; absent: as before (15 by default).' }),
  })
  .strict()
  .openapi('MerchantBusyPut');

const ok = { description: 'The hours and prep estimate', content: { 'application/json': { schema: MerchantHoursSchema } } };

const get = createRoute({
  method: 'get',
  path: '/v1/merchants/{id}/hours',
  operationId: 'getMerchantHours',
  tags: ['Merchants'],
  summary: 'A shop’s opening hours, open or closed now, and its prep estimate',
  description: 'Who may call: anyone. An order while the shop is closed by its hours is refused with 422 `outside-opening-hours`.',
  security: [],
  request: { params: MerchantIdParam },
  responses: { 200: ok, ...problemResponses(404, 422, 503) },
});

const putHours = createRoute({
  method: 'put',
  path: '/v1/merchants/{id}/hours',
  operationId: 'setMerchantHours',
  tags: ['Merchants'],
  summary: 'Set a shop’s opening hours, time zone and prep estimate',
  description: 'Who may call: the merchant’s owner. Replaces the schedule (null: open around the clock). A business closed for good: 409 `merchant-closed`.',
  middleware: [requireAuth('merchant')] as const,
  request: { params: MerchantIdParam, body: { required: true, content: { 'application/json': { schema: HoursPutSchema } } } },
  responses: { 200: ok, ...problemResponses(401, 403, 404, 409, 415, 422, 503) },
});

const putBusy = createRoute({
  method: 'put',
  path: '/v1/merchants/{id}/busy',
  operationId: 'setMerchantBusy',
  tags: ['Merchants'],
  summary: 'Turn busy mode on (for a while) or off',
  description: 'Who may call: the merchant’s owner, managers, staff and API keys. While busy, quotes and ETAs use the longer prep estimate. A business closed for good: 409 `merchant-closed`.',
  middleware: [requireAuth('merchant')] as const,
  request: { params: MerchantIdParam, body: { required: true, content: { 'application/json': { schema: BusyPutSchema } } } },
  responses: { 200: ok, ...problemResponses(401, 403, 404, 409, 415, 422, 503) },
});

function hoursView(merchant: Merchant, city: City, now: Date) {
  const timezone = merchantTimezone(merchant, city);
  const state = openStateAt(merchant.openingHours, timezone, now);
  const busy = isBusy(merchant, now);
  return {
    merchantId: merchant.id,
    timezone,
    openingHours: merchant.openingHours,
    openNow: state.open,
    closesAt: state.closesAt?.toISOString() ?? null,
    opensAt: state.opensAt?.toISOString() ?? null,
    opensAtLocal: state.opensAtLocal,
    acceptingOrders: merchant.open && !merchant.suspended && merchant.closedAt === null,
    prepMinutes: merchant.prepMinutes,
    prepMinutesNow: prepMinutesNow(merchant, now),
    busy,
    busyUntil: busy ? merchant.busyUntil!.toISOString() : null,
    busyExtraMinutes: merchant.busyExtraMinutes,
  };
}

async function load(db: Database, id: string): Promise<{ merchant: Merchant; city: City }> {
  const [row] = await db.select({ merchant: merchants, city: cities }).from(merchants).innerJoin(cities, eq(cities.id, merchants.cityId)).where(eq(merchants.id, id));
  if (!row) throw problems.notFound('No such merchant.');
  return row;
}

/** Writes the change to an open business and answers its hours view. */
async function update(db: Database, id: string, set: Partial<typeof merchants.$inferInsert>) {
  const { merchant, city } = await load(db, id);
  if (merchant.closedAt) throw problems.conflict('merchant-closed', 'This business is closed.');
  // The closure is final and guarded the same way: a closure landing in between leaves no row to update.
  const [row] = await db.update(merchants).set({ ...set, updatedAt: new Date() }).where(and(eq(merchants.id, id), isNull(merchants.closedAt))).returning();
  if (!row) throw problems.conflict('merchant-closed', 'This business is closed.');
  return hoursView(row, city, new Date());
}

export const merchantHoursRoutes = createRouter()
  .openapi(get, async (c) => {
    const { merchant, city } = await load(c.var.db(), c.req.valid('param').id);
    c.header('Cache-Control', 'no-store');
    return c.json(hoursView(merchant, city, new Date()), 200);
  })
  .openapi(putHours, async (c) => {
    const { id } = c.req.valid('param');
    assertMerchantAccess(principalOf(c), id, 'profile');
    const body = c.req.valid('json');
    const set = {
      openingHours: body.openingHours,
      ...(body.timezone !== undefined ? { timezone: body.timezone } : {}),
      ...(body.prepMinutes !== undefined ? { prepMinutes: body.prepMinutes } : {}),
    };
    return c.json(await update(c.var.db(), id, set), 200);
  })
  .openapi(putBusy, async (c) => {
    const { id } = c.req.valid('param');
    assertMerchantAccess(principalOf(c), id, 'orders');
    const body = c.req.valid('json');
    const set = {
      busyUntil: body.busy ? new Date(Date.now() + body.forMinutes * 60_000) : null,
      ...(body.extraMinutes !== undefined ? { busyExtraMinutes: body.extraMinutes } : {}),
    };
    return c.json(await update(c.var.db(), id, set), 200);
  });
