/**
 * Accounts in Postgres: creating a user (identity row, contact profile,
 * password credential, default notification preferences) and reading back
 * what login, tokens and `GET /v1/me` need. Free of HTTP; routes and scripts
 * (scripts/create-operator.ts) call it with a drizzle client or transaction.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { pgErrorCode, type Database } from '../../../db/client';
import { newId } from '../../../db/ids';
import {
  drivers,
  merchantMembers,
  notificationPreferences,
  passwordCredentials,
  userProfiles,
  users,
} from '../../../db/schema/index';
import type { StoredHash } from './password';
import type { MerchantStaffRole, UserRole } from './principal';

/** A drizzle client or an open transaction: both run the same queries. */
export type Db = Pick<Database, 'select' | 'insert' | 'update' | 'delete' | 'execute'>;

/** Emails are compared case-insensitively (the unique index is on lower(email)). */
export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

export class EmailTakenError extends Error {
  constructor() {
    super('email already registered');
  }
}

export interface NewAccount {
  role: UserRole;
  email: string;
  name: string;
  phone?: string | null;
  locale?: string;
  password: StoredHash;
}

/**
 * Inserts a user with its profile, credential and default preferences. Call it
 * inside a transaction with whatever else the account needs (merchant,
 * driver): a taken email throws EmailTakenError and rolls everything back.
 */
export async function insertAccount(tx: Db, account: NewAccount): Promise<string> {
  const id = newId('usr');
  await tx.insert(users).values({ id, role: account.role, locale: account.locale ?? 'en' });
  try {
    // A savepoint would cost a round trip; the unique index decides, and the
    // caller's transaction rolls back on the error.
    await tx.insert(userProfiles).values({ userId: id, email: account.email.trim(), name: account.name.trim(), phone: account.phone ?? null });
  } catch (error) {
    const { code, constraint } = pgErrorCode(error);
    if (code === '23505' && (!constraint || constraint === 'user_profiles_email_lower_uq')) throw new EmailTakenError();
    throw error;
  }
  await tx.insert(passwordCredentials).values({
    userId: id,
    hash: account.password.hash,
    algorithm: account.password.algorithm,
    params: { ...account.password.params },
  });
  await tx.insert(notificationPreferences).values({ userId: id }).onConflictDoNothing();
  return id;
}

export interface LoginRecord {
  userId: string;
  status: 'active' | 'erased';
  credential: StoredHash | null;
}

/** The user and credential behind an email, or undefined. One query, whatever the outcome. */
export async function findLoginByEmail(db: Db, email: string): Promise<LoginRecord | undefined> {
  const [row] = await db
    .select({
      userId: users.id,
      status: users.status,
      hash: passwordCredentials.hash,
      algorithm: passwordCredentials.algorithm,
      params: passwordCredentials.params,
    })
    .from(userProfiles)
    .innerJoin(users, eq(users.id, userProfiles.userId))
    .leftJoin(passwordCredentials, eq(passwordCredentials.userId, users.id))
    .where(sql`lower(${userProfiles.email}) = ${normalizeEmail(email)}`)
    .limit(1);
  if (!row) return undefined;
  return {
    userId: row.userId,
    status: row.status,
    credential:
      row.hash && row.algorithm ? { hash: row.hash, algorithm: row.algorithm, params: row.params as unknown as StoredHash['params'] } : null,
  };
}

export async function replacePasswordHash(db: Db, userId: string, stored: StoredHash): Promise<void> {
  await db
    .update(passwordCredentials)
    .set({ hash: stored.hash, algorithm: stored.algorithm, params: { ...stored.params } })
    .where(eq(passwordCredentials.userId, userId));
}

/** What an access token says about its user: role, and the business or driver record it acts as. */
export interface Identity {
  userId: string;
  role: UserRole;
  status: 'active' | 'erased';
  merchantId?: string;
  merchantRole?: MerchantStaffRole;
  driverId?: string;
}

/** The merchant membership a merchant user acts through: the owned business first, then the oldest. */
async function membershipOf(db: Db, userId: string) {
  const [member] = await db
    .select({ merchantId: merchantMembers.merchantId, role: merchantMembers.role })
    .from(merchantMembers)
    .where(eq(merchantMembers.userId, userId))
    .orderBy(sql`case when ${merchantMembers.role} = 'owner' then 0 else 1 end`, asc(merchantMembers.createdAt))
    .limit(1);
  return member;
}

export async function loadIdentity(db: Db, userId: string): Promise<Identity | undefined> {
  const [user] = await db.select({ id: users.id, role: users.role, status: users.status }).from(users).where(eq(users.id, userId));
  if (!user) return undefined;
  const identity: Identity = { userId: user.id, role: user.role, status: user.status };
  if (user.role === 'merchant') {
    const member = await membershipOf(db, userId);
    if (member) Object.assign(identity, { merchantId: member.merchantId, merchantRole: member.role });
  } else if (user.role === 'driver') {
    const [driver] = await db.select({ id: drivers.id }).from(drivers).where(eq(drivers.userId, userId));
    if (driver) identity.driverId = driver.id;
  }
  return identity;
}

/** The public view of a user: what `GET /v1/me` and the auth answers return. */
export interface UserView {
  id: string;
  role: UserRole;
  email: string;
  name: string;
  phone: string | null;
  locale: string;
  merchantId: string | null;
  merchantRole: MerchantStaffRole | null;
  driverId: string | null;
  createdAt: string;
}

export async function loadUserView(db: Db, identity: Identity): Promise<UserView | undefined> {
  const [row] = await db
    .select({ email: userProfiles.email, name: userProfiles.name, phone: userProfiles.phone, locale: users.locale, createdAt: users.createdAt })
    .from(users)
    .innerJoin(userProfiles, eq(userProfiles.userId, users.id))
    .where(and(eq(users.id, identity.userId), eq(users.status, 'active')));
  if (!row) return undefined;
  return {
    id: identity.userId,
    role: identity.role,
    email: row.email,
    name: row.name,
    phone: row.phone,
    locale: row.locale,
    merchantId: identity.merchantId ?? null,
    merchantRole: identity.merchantRole ?? null,
    driverId: identity.driverId ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}
