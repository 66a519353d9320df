/**
 * The durable copy of dispatch decisions (GET /v1/orders/{id}/dispatch).
 * Matching runs in the CityShard Durable Object; it reports each offer and
 * its outcome through the queue, and this table keeps them after the shard
 * has forgotten the order. Candidates are driver ids with their numbers,
 * never names or positions precise enough to track a person over time.
 */
import { index, integer, jsonb, pgTable, real, text } from 'drizzle-orm/pg-core';
import { cities } from './cities';
import { idColumn, tstz } from './columns';
import { drivers } from './drivers';
import { dispatchOfferStatus } from './enums';
import { orders } from './orders';

/** One ranked candidate as recorded by the matcher. */
export type DispatchCandidate = {
  driverId: string;
  distanceM: number;
  etaSeconds: number;
  score: number;
  /** Why it was not chosen (or null for the winner). */
  rejectedBecause?: string | null;
  /** The neighbouring city shard holding the driver, for a cross-shard candidate (ADR 0060). */
  shardKey?: string;
};

export const dispatchOffers = pgTable(
  'dispatch_offers',
  {
    /** The offerId of the WebSocket protocol. */
    id: idColumn(),
    orderId: text('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    cityId: text('city_id')
      .notNull()
      .references(() => cities.id, { onDelete: 'restrict' }),
    driverId: text('driver_id').references(() => drivers.id, { onDelete: 'set null' }),
    /** 1 for the first offer of an order, 2 after a decline/expiry, ... */
    round: integer('round').notNull().default(1),
    status: dispatchOfferStatus('status').notNull().default('pending'),
    candidates: jsonb('candidates').$type<DispatchCandidate[]>().notNull().default([]),
    /** Why the chosen driver won, in words for ops. */
    reason: text('reason'),
    score: real('score'),
    distanceM: integer('distance_m'),
    etaSeconds: integer('eta_seconds'),
    payoutCents: integer('payout_cents'),
    /** Why it ended: declined reason, expired, order cancelled, ... */
    outcomeReason: text('outcome_reason'),
    offeredAt: tstz('offered_at').notNull().defaultNow(),
    expiresAt: tstz('expires_at').notNull(),
    resolvedAt: tstz('resolved_at'),
  },
  (t) => [
    index('dispatch_offers_order_idx').on(t.orderId, t.offeredAt),
    index('dispatch_offers_driver_idx').on(t.driverId, t.offeredAt.desc().nullsFirst()),
  ],
);

export type DispatchOffer = typeof dispatchOffers.$inferSelect;
export type NewDispatchOffer = typeof dispatchOffers.$inferInsert;
