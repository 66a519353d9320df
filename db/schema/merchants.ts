/**
 * Merchants, their staff and their API keys. GDPR placement: a merchant is a
 * business, and its name/address are published on purpose, so they stay on
 * the row. The people behind it are users linked through merchant_members,
 * which keeps their personal data in user_profiles like everyone else's.
 */
import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
} from 'drizzle-orm/pg-core';
import type { OpeningHours } from '../../domain/opening-hours';
import { cities } from './cities';
import { createdAt, idColumn, tstz, updatedAt } from './columns';
import { merchantKind, merchantStaffRole } from './enums';
import { users } from './identity';
import { searchVector } from './search';

export const merchants = pgTable(
  'merchants',
  {
    id: idColumn(),
    cityId: text('city_id')
      .notNull()
      .references(() => cities.id, { onDelete: 'restrict' }),
    name: text('name').notNull(),
    kind: merchantKind('kind').notNull(),
    address: text('address').notNull(),
    lat: doublePrecision('lat').notNull(),
    lng: doublePrecision('lng').notNull(),
    /** Set by the merchant. */
    open: boolean('open').notNull().default(true),
    /** Set by operators; closes the merchant to new orders whatever `open` says. */
    suspended: boolean('suspended').notNull().default(false),
    prepMinutes: integer('prep_minutes').notNull().default(15),
    /**
     * Weekly hours in local time with dated exceptions (ADR 0111), read in
     * `timezone` or else the city's; null: open around the clock (as `open` allows).
     */
    openingHours: jsonb('opening_hours').$type<OpeningHours>(),
    /** IANA zone of the hours when the shop's differs from its city's. */
    timezone: text('timezone'),
    /** Busy mode: until then, the prep estimate is longer by `busyExtraMinutes` (the merchant app's toggle). */
    busyUntil: tstz('busy_until'),
    busyExtraMinutes: integer('busy_extra_minutes').notNull().default(15),
    /**
     * Set once, by the owner's closure (POST /v1/merchants/{id}/close, ADR 0089): the business
     * takes no more orders, has no members and no API keys; its orders stay for accounting.
     */
    closedAt: tstz('closed_at'),
    /** The name, accents folded (ADR 0101): what shop search matches. */
    searchVector: searchVector(sql`coalesce(name, '')`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('merchants_city_kind_idx').on(t.cityId, t.kind),
    index('merchants_search_idx').using('gin', t.searchVector),
    check('merchants_prep_minutes_non_negative', sql`${t.prepMinutes} >= 0`),
    check('merchants_busy_extra_minutes_range', sql`${t.busyExtraMinutes} between 0 and 240`),
  ],
);

export const merchantMembers = pgTable(
  'merchant_members',
  {
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: merchantStaffRole('role').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.merchantId, t.userId] }),
    index('merchant_members_user_idx').on(t.userId),
  ],
);

/** The secret is shown once at creation; only its hash is kept. */
export const merchantApiKeys = pgTable(
  'merchant_api_keys',
  {
    id: idColumn(),
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id, { onDelete: 'cascade' }),
    /** First characters of the key, shown in the UI to tell keys apart. */
    prefix: text('prefix').notNull(),
    keyHash: text('key_hash').notNull().unique(),
    name: text('name'),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    lastUsedAt: tstz('last_used_at'),
    revokedAt: tstz('revoked_at'),
  },
  (t) => [index('merchant_api_keys_merchant_idx').on(t.merchantId)],
);

export type Merchant = typeof merchants.$inferSelect;
export type NewMerchant = typeof merchants.$inferInsert;
export type MerchantMember = typeof merchantMembers.$inferSelect;
export type MerchantApiKey = typeof merchantApiKeys.$inferSelect;
export type NewMerchantApiKey = typeof merchantApiKeys.$inferInsert;
