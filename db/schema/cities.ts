/**
 * Cities are the unit of operation: each one is a dispatch shard (CityShard
 * Durable Object), a currency, a timezone and a price list. Orders snapshot
 * the fees they were charged, so editing a city never rewrites history.
 */
import { boolean, check, doublePrecision, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import type { FeeSchedule, ServiceZones } from '../../domain/zones/service-area';
import { createdAt, currency, idColumn } from './columns';

export const cities = pgTable(
  'cities',
  {
    id: idColumn(),
    name: text('name').notNull(),
    centerLat: doublePrecision('center_lat').notNull(),
    centerLng: doublePrecision('center_lng').notNull(),
    currency: currency(),
    /** IANA zone, e.g. Europe/Berlin. */
    timezone: text('timezone').notNull(),
    serviceRadiusKm: doublePrecision('service_radius_km').notNull(),
    deliveryBaseFeeCents: integer('delivery_base_fee_cents').notNull(),
    deliveryPerKmCents: integer('delivery_per_km_cents').notNull(),
    /** Basis points: 1900 = 19 %. */
    taxRateBps: integer('tax_rate_bps').notNull().default(0),
    /**
     * Service zones, a GeoJSON FeatureCollection (delivery, pickup-only and
     * no-go polygons, ADR 0110); null: the circle of `serviceRadiusKm` serves.
     * Set by operators (PUT /v1/ops/cities/{id}/zones), validated there.
     */
    serviceZones: jsonb('service_zones').$type<ServiceZones>(),
    /** Delivery fee by distance bands or by zone (ADR 0110); null: base fee plus the per-km rate. */
    deliveryFeeSchedule: jsonb('delivery_fee_schedule').$type<FeeSchedule>(),
    /**
     * An order its merchant has not accepted this long after placement is
     * escalated (the merchant is told again, operators see it), and after the
     * second deadline cancelled with a refund (services/orders/unaccepted.ts).
     */
    merchantEscalateAfterSeconds: integer('merchant_escalate_after_seconds').notNull().default(300),
    merchantAutoCancelAfterSeconds: integer('merchant_auto_cancel_after_seconds').notNull().default(900),
    /**
     * Batching (ADR 0105): the shard may offer a driver on an order a second
     * one when the added detour stays under both bounds and both orders keep
     * their promise (placement + `delivery_promise_minutes`).
     */
    batchingEnabled: boolean('batching_enabled').notNull().default(true),
    batchMaxAddedDetourSeconds: integer('batch_max_added_detour_seconds').notNull().default(420),
    batchMaxAddedDetourM: integer('batch_max_added_detour_m').notNull().default(2500),
    deliveryPromiseMinutes: integer('delivery_promise_minutes').notNull().default(45),
    /**
     * Width of the city's shard cells (domain/shard-keys.ts, ADR 0031); null:
     * one 40 km cell, a single shard. Set to split a busy city (runbook,
     * "Splitting and merging a city"): it moves live state, so it is changed
     * by a reviewed migration or that procedure, never by an API.
     */
    cellKm: doublePrecision('cell_km'),
    createdAt: createdAt(),
  },
  (t) => [
    check('cities_fees_non_negative', sql`${t.deliveryBaseFeeCents} >= 0 and ${t.deliveryPerKmCents} >= 0`),
    check('cities_tax_rate_range', sql`${t.taxRateBps} between 0 and 10000`),
    check('cities_radius_positive', sql`${t.serviceRadiusKm} > 0`),
    check('cities_cell_km_range', sql`${t.cellKm} is null or ${t.cellKm} between 1 and 40`),
    check('cities_batch_bounds', sql`${t.batchMaxAddedDetourSeconds} >= 0 and ${t.batchMaxAddedDetourM} >= 0 and ${t.deliveryPromiseMinutes} > 0`),
    check(
      'cities_merchant_deadlines',
      sql`${t.merchantEscalateAfterSeconds} > 0 and ${t.merchantAutoCancelAfterSeconds} > ${t.merchantEscalateAfterSeconds}`,
    ),
  ],
);

export type City = typeof cities.$inferSelect;
export type NewCity = typeof cities.$inferInsert;
