/**
 * The user's side of notifications: which channels carry order messages
 * (transactional), the separate marketing consent, where to reach them, in
 * which language, and the devices that receive push.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { newId } from '../../../db/ids';
import { devices, notificationPreferences, users, type Device } from '../../../db/schema/index';

export interface PreferencesView {
  sms: boolean;
  email: boolean;
  push: boolean;
  marketing: boolean;
  phone: string | null;
  emailAddress: string | null;
  locale: string;
}

export interface PreferencesInput {
  sms: boolean;
  email: boolean;
  push: boolean;
  marketing: boolean;
  phone?: string | null | undefined;
  emailAddress?: string | null | undefined;
  locale?: string | undefined;
}

export async function getPreferences(db: Database, userId: string): Promise<PreferencesView | undefined> {
  const [row] = await db
    .select({ locale: users.locale, prefs: notificationPreferences })
    .from(users)
    .leftJoin(notificationPreferences, eq(notificationPreferences.userId, users.id))
    .where(and(eq(users.id, userId), eq(users.status, 'active')));
  if (!row) return undefined;
  const p = row.prefs;
  return {
    // Defaults of the table: transactional channels on, marketing off until consented.
    sms: p?.sms ?? true,
    email: p?.email ?? true,
    push: p?.push ?? true,
    marketing: p?.marketing ?? false,
    phone: p?.phone ?? null,
    emailAddress: p?.emailAddress ?? null,
    locale: row.locale,
  };
}

export async function putPreferences(db: Database, userId: string, input: PreferencesInput): Promise<PreferencesView | undefined> {
  const switches = { sms: input.sms, email: input.email, push: input.push, marketing: input.marketing };
  const contact = {
    ...(input.phone !== undefined ? { phone: input.phone } : {}),
    ...(input.emailAddress !== undefined ? { emailAddress: input.emailAddress?.toLowerCase() ?? null } : {}),
  };
  const found = await db.transaction(async (tx) => {
    const [user] = await tx.select({ id: users.id }).from(users).where(and(eq(users.id, userId), eq(users.status, 'active'))).for('update');
    if (!user) return false;
    await tx
      .insert(notificationPreferences)
      .values({ userId, ...switches, ...contact })
      .onConflictDoUpdate({ target: notificationPreferences.userId, set: { ...switches, ...contact, updatedAt: new Date() } });
    if (input.locale !== undefined) await tx.update(users).set({ locale: input.locale }).where(eq(users.id, userId));
    return true;
  });
  return found ? getPreferences(db, userId) : undefined;
}

/**
 * Registers an app install's push token. A token belongs to one install, so
 * when it was registered by someone else (a shared phone, a new login) it
 * moves to the caller. `created` is false when the caller already had it.
 */
export async function registerDevice(db: Database, userId: string, input: { pushToken: string; platform: Device['platform'] }): Promise<{ device: Device; created: boolean }> {
  const [row] = await db
    .insert(devices)
    .values({ id: newId('dev'), userId, pushToken: input.pushToken, platform: input.platform })
    .onConflictDoUpdate({
      target: devices.pushToken,
      set: { userId, platform: input.platform, lastSeenAt: new Date() },
    })
    .returning({
      id: devices.id,
      userId: devices.userId,
      pushToken: devices.pushToken,
      platform: devices.platform,
      createdAt: devices.createdAt,
      lastSeenAt: devices.lastSeenAt,
      // xmax is 0 on a freshly inserted row version, not on an updated one.
      inserted: sql<boolean>`(xmax = 0)`,
    });
  const { inserted, ...device } = row!;
  return { device, created: inserted };
}

export async function removeDevice(db: Database, userId: string, deviceId: string): Promise<boolean> {
  const rows = await db.delete(devices).where(and(eq(devices.id, deviceId), eq(devices.userId, userId))).returning({ id: devices.id });
  return rows.length > 0;
}
