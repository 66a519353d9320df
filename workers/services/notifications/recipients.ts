/**
 * Reads, at send time, who an event concerns and how to reach them. Nothing
 * personal travels in the event itself (db/schema/outbox.ts), so an erasure
 * between the event and its delivery is honoured: an erased user has no
 * profile, preferences or devices left, and is simply not reachable.
 */
import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import {
  cities,
  devices,
  drivers,
  merchantMembers,
  merchants,
  notificationPreferences,
  orderContacts,
  orders,
  userProfiles,
  users,
  type Order,
} from '../../../db/schema/index';
import type { Audience } from './rules';
import { pickLocale, type Locale } from './templates/index';

export interface Recipient {
  /** Null for a merchant-created order's contact without an account. */
  userId: string | null;
  audience: Audience;
  locale: Locale;
  allows: { sms: boolean; email: boolean; push: boolean };
  phone: string | null;
  email: string | null;
  devices: { id: string; token: string }[];
}

export interface OrderContext {
  order: Order;
  merchantName: string;
  /** The city's IANA zone: a scheduled order's window is told in local time. */
  timezone?: string;
  driverFirstName?: string;
}

export async function loadOrderContext(db: Database, orderId: string): Promise<OrderContext | undefined> {
  const [row] = await db
    .select({ order: orders, merchantName: merchants.name, timezone: cities.timezone })
    .from(orders)
    .innerJoin(merchants, eq(merchants.id, orders.merchantId))
    .innerJoin(cities, eq(cities.id, orders.cityId))
    .where(eq(orders.id, orderId));
  if (!row) return undefined;
  let driverFirstName: string | undefined;
  if (row.order.driverId) {
    const [d] = await db
      .select({ name: userProfiles.name })
      .from(drivers)
      .innerJoin(userProfiles, eq(userProfiles.userId, drivers.userId))
      .where(eq(drivers.id, row.order.driverId));
    driverFirstName = d?.name.split(/\s+/)[0] || undefined;
  }
  return { order: row.order, merchantName: row.merchantName, timezone: row.timezone, ...(driverFirstName ? { driverFirstName } : {}) };
}

async function accountRecipients(db: Database, userIds: string[], audience: Audience): Promise<Recipient[]> {
  if (userIds.length === 0) return [];
  const rows = await db
    .select({ user: users, profile: userProfiles, prefs: notificationPreferences })
    .from(users)
    .leftJoin(userProfiles, eq(userProfiles.userId, users.id))
    .leftJoin(notificationPreferences, eq(notificationPreferences.userId, users.id))
    .where(and(inArray(users.id, userIds), eq(users.status, 'active')));
  const deviceRows = await db
    .select({ id: devices.id, userId: devices.userId, token: devices.pushToken })
    .from(devices)
    .where(inArray(devices.userId, userIds));
  return rows.map(({ user, profile, prefs }) => ({
    userId: user.id,
    audience,
    locale: pickLocale(user.locale),
    allows: { sms: prefs?.sms ?? true, email: prefs?.email ?? true, push: prefs?.push ?? true },
    phone: prefs?.phone ?? profile?.phone ?? null,
    email: prefs?.emailAddress ?? profile?.email ?? null,
    devices: deviceRows.filter((d) => d.userId === user.id).map((d) => ({ id: d.id, token: d.token })),
  }));
}

export async function customerOf(db: Database, order: Order): Promise<Recipient[]> {
  const [contact] = await db.select().from(orderContacts).where(and(eq(orderContacts.orderId, order.id), isNull(orderContacts.erasedAt)));
  if (order.customerId) {
    const [account] = await accountRecipients(db, [order.customerId], 'customer');
    if (!account) return [];
    // An account without a phone can still be texted at the number given for this order.
    return [{ ...account, phone: account.phone ?? contact?.phone ?? null, email: account.email ?? contact?.email ?? null }];
  }
  if (!contact) return [];
  // A merchant-created order's customer has no account: the contact they gave, no push, English.
  return [
    {
      userId: null,
      audience: 'customer',
      locale: 'en',
      allows: { sms: true, email: true, push: false },
      phone: contact.phone,
      email: contact.email,
      devices: [],
    },
  ];
}

/** Owners and managers: staff see orders live in the app, they are not paged. */
export async function merchantStaffOf(db: Database, merchantId: string): Promise<Recipient[]> {
  const members = await db
    .select({ userId: merchantMembers.userId })
    .from(merchantMembers)
    .where(and(eq(merchantMembers.merchantId, merchantId), inArray(merchantMembers.role, ['owner', 'manager'])));
  return accountRecipients(db, members.map((m) => m.userId), 'merchant');
}

export async function driverRecipient(db: Database, driverId: string): Promise<Recipient[]> {
  const [driver] = await db.select({ userId: drivers.userId }).from(drivers).where(eq(drivers.id, driverId));
  return driver ? accountRecipients(db, [driver.userId], 'driver') : [];
}
