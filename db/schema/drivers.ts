/**
 * Drivers. GDPR placement: the driver's name and phone are in user_profiles
 * (the driver is a user); this row only says where and how they deliver.
 * Live positions are not here: they live in the CityShard Durable Object and
 * its SQLite, never on Postgres' hot path.
 */
import { boolean, index, pgTable, text } from 'drizzle-orm/pg-core';
import { cities } from './cities';
import { createdAt, idColumn, updatedAt } from './columns';
import { vehicle } from './enums';
import { users } from './identity';

export const drivers = pgTable(
  'drivers',
  {
    id: idColumn(),
    userId: text('user_id')
      .notNull()
      .unique()
      .references(() => users.id, { onDelete: 'cascade' }),
    cityId: text('city_id')
      .notNull()
      .references(() => cities.id, { onDelete: 'restrict' }),
    vehicle: vehicle('vehicle').notNull(),
    /** Allowed to work at all (ops can deactivate); not "online right now". */
    active: boolean('active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('drivers_city_idx').on(t.cityId)],
);

export type Driver = typeof drivers.$inferSelect;
export type NewDriver = typeof drivers.$inferInsert;
