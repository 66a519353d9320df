/**
 * Identity. GDPR placement: `users` is the pseudonymous anchor every other
 * table points at, so it holds no personal data at all; erasure (Art. 17)
 * flips its status and keeps the row, which keeps orders, payments and the
 * audit log referentially intact while they lose any link to a person.
 * Everything that identifies someone (email, name, phone, password hash,
 * refresh tokens) lives in tables keyed by user_id that erasure deletes.
 */
import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, tstz, updatedAt } from './columns';
import { userRole, userStatus } from './enums';

export const users = pgTable(
  'users',
  {
    id: idColumn(),
    role: userRole('role').notNull(),
    status: userStatus('status').notNull().default('active'),
    /** BCP 47 tag for notifications, e.g. en, de-DE. Not personal on its own. */
    locale: text('locale').notNull().default('en'),
    createdAt: createdAt(),
    erasedAt: tstz('erased_at'),
  },
  (t) => [index('users_role_idx').on(t.role)],
);

/** Contact data: deleted (or overwritten) on erasure. */
export const userProfiles = pgTable(
  'user_profiles',
  {
    userId: text('user_id')
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    name: text('name').notNull(),
    phone: text('phone'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  // Login looks emails up case-insensitively; the unique index is the lookup.
  (t) => [uniqueIndex('user_profiles_email_lower_uq').on(sql`lower(${t.email})`)],
);

export const passwordCredentials = pgTable('password_credentials', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  /** Encoded hash (includes the salt). */
  hash: text('hash').notNull(),
  /** e.g. pbkdf2-sha256, so hashes can be upgraded on next login. */
  algorithm: text('algorithm').notNull(),
  /** Algorithm parameters (iterations, memory, ...). */
  params: jsonb('params').$type<Record<string, unknown>>().notNull().default({}),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/**
 * Rotating refresh tokens. Each login starts a family; reuse of a rotated
 * token revokes the whole family. Only a hash of the token is stored.
 */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: idColumn(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    familyId: text('family_id').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    expiresAt: tstz('expires_at').notNull(),
    revokedAt: tstz('revoked_at'),
    /** Id of the token this one was rotated into. */
    replacedBy: text('replaced_by'),
    createdAt: createdAt(),
  },
  (t) => [
    index('refresh_tokens_family_idx').on(t.familyId),
    index('refresh_tokens_user_idx').on(t.userId),
    index('refresh_tokens_expires_idx').on(t.expiresAt),
  ],
);

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
export type UserProfile = typeof userProfiles.$inferSelect;
export type NewUserProfile = typeof userProfiles.$inferInsert;
export type PasswordCredential = typeof passwordCredentials.$inferSelect;
export type RefreshToken = typeof refreshTokens.$inferSelect;
export type NewRefreshToken = typeof refreshTokens.$inferInsert;
