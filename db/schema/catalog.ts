/**
 * Merchant catalogs. Products are never hard-deleted once ordered: order
 * items keep a snapshot of name and price, and their product_id is set null
 * if a product row ever goes away.
 */
import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { searchVector } from './search';
import { createdAt, currency, idColumn, updatedAt } from './columns';
import { merchants } from './merchants';

export const products = pgTable(
  'products',
  {
    id: idColumn(),
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    priceCents: integer('price_cents').notNull(),
    currency: currency(),
    available: boolean('available').notNull().default(true),
    requiresPrescription: boolean('requires_prescription').notNull().default(false),
    /** Name and description, accents folded (ADR 0101): what dish search matches. */
    searchVector: searchVector(sql`coalesce(name, '') || ' ' || coalesce(description, '')`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('products_merchant_idx').on(t.merchantId),
    index('products_search_idx').using('gin', t.searchVector),
    check('products_price_non_negative', sql`${t.priceCents} >= 0`),
  ],
);

export type Product = typeof products.$inferSelect;
export type NewProduct = typeof products.$inferInsert;
