/**
 * Reads, at send time, who an event concerns and how to reach them. Nothing
 * personal travels in the event itself (db/schema/outbox.ts), so an erasure
 * between the event and its delivery is honoured: an erased user has no
 * profile, preferences or devices left, and is simply not reachable.
 */
import { and, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { jsonColumn, type Database } from '../../../db/client';
import { statement } from '../../../db/statement';
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
  type OrderContact,
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
  /** The contact given for the order (null: none, or erased). */
  contact: OrderContact | null;
  merchantName: string;
  /** The city's IANA zone: a scheduled order's window is told in local time. */
  timezone?: string;
  driverFirstName?: string;
}

/**
 * One query: the order, its contact (unless erased), its merchant's name, its
 * city's zone and its driver's name. The merchant, city and driver come as
 * scalar subqueries, not joins: Postgres plans every statement afresh (ADR
 * 0104), and a six-table join took 0.35 ms to plan and 0.58 ms of the
 * backend's CPU a call against 0.15 and 0.33 for this shape (issue 14,
 * docs/capacity.md); the consumer reads it once per order event. The foreign
 * keys guarantee the merchant and the city, as the inner joins did.
 */
const orderContextStatement = statement('order_context', (db) =>
  db
    .select({
      order: orders,
      contact: orderContacts,
      merchantName: sql<string>`(select ${merchants.name} from ${merchants} where ${merchants.id} = ${orders.merchantId})`,
      timezone: sql<string>`(select ${cities.timezone} from ${cities} where ${cities.id} = ${orders.cityId})`,
      driverName: sql<string | null>`(select ${userProfiles.name} from ${drivers} join ${userProfiles} on ${userProfiles.userId} = ${drivers.userId} where ${drivers.id} = ${orders.driverId})`,
    })
    .from(orders)
    .leftJoin(orderContacts, and(eq(orderContacts.orderId, orders.id), isNull(orderContacts.erasedAt)))
    .where(eq(orders.id, sql.placeholder('orderId'))),
);

export async function loadOrderContext(db: Database, orderId: string): Promise<OrderContext | undefined> {
  const [row] = await orderContextStatement(db, { orderId });
  if (!row) return undefined;
  const driverFirstName = (row.order.driverId && row.driverName?.split(/\s+/)[0]) || undefined;
  return { order: row.order, contact: row.contact, merchantName: row.merchantName, timezone: row.timezone, ...(driverFirstName ? { driverFirstName } : {}) };
}

/**
 * The active accounts `which` selects, with their profile, preferences and
 * push devices, in one query (the devices as a JSON column). One statement
 * per kind of recipient, built once (db/statement.ts): `which` has the
 * placeholder `id`.
 */
function accountRecipientsStatement(name: string, which: (db: Database) => SQL | undefined) {
  return statement(name, (db) =>
    db
      .select({
        user: users,
        profile: userProfiles,
        prefs: notificationPreferences,
        devices: sql<unknown>`(select coalesce(json_agg(json_build_object('id', d.id, 'token', d.push_token) order by d.created_at), '[]'::json)
          from ${devices} d where d.user_id = ${users.id})`,
      })
      .from(users)
      .leftJoin(userProfiles, eq(userProfiles.userId, users.id))
      .leftJoin(notificationPreferences, eq(notificationPreferences.userId, users.id))
      .where(and(which(db), eq(users.status, 'active'))),
  );
}

type AccountRows = Awaited<ReturnType<ReturnType<typeof accountRecipientsStatement>>>;

const customerAccount = accountRecipientsStatement('recipient_customer', () => eq(users.id, sql.placeholder('id')));
// Owners and managers of the merchant `id`.
const merchantStaffAccounts = accountRecipientsStatement('recipients_merchant_staff', (db) =>
  inArray(
    users.id,
    db
      .select({ userId: merchantMembers.userId })
      .from(merchantMembers)
      .where(and(eq(merchantMembers.merchantId, sql.placeholder('id')), inArray(merchantMembers.role, ['owner', 'manager']))),
  ),
);
const driverAccount = accountRecipientsStatement('recipient_driver', (db) =>
  inArray(users.id, db.select({ userId: drivers.userId }).from(drivers).where(eq(drivers.id, sql.placeholder('id')))),
);

function toRecipients(rows: AccountRows, audience: Audience): Recipient[] {
  return rows.map(({ user, profile, prefs, devices: list }) => ({
    userId: user.id,
    audience,
    locale: pickLocale(user.locale),
    allows: { sms: prefs?.sms ?? true, email: prefs?.email ?? true, push: prefs?.push ?? true },
    phone: prefs?.phone ?? profile?.phone ?? null,
    email: prefs?.emailAddress ?? profile?.email ?? null,
    devices: jsonColumn<{ id: string; token: string }[]>(list),
  }));
}

/** The order's customer; `contact` is the order's contact as loadOrderContext read it (null: none or erased). */
export async function customerOf(db: Database, order: Order, contact: OrderContact | null): Promise<Recipient[]> {
  if (order.customerId) {
    const [account] = toRecipients(await customerAccount(db, { id: order.customerId }), 'customer');
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
  return toRecipients(await merchantStaffAccounts(db, { id: merchantId }), 'merchant');
}

export async function driverRecipient(db: Database, driverId: string): Promise<Recipient[]> {
  return toRecipients(await driverAccount(db, { id: driverId }), 'driver');
}
