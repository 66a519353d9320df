/**
 * Reads, at send time, who an event concerns and how to reach them. Nothing
 * personal travels in the event itself (db/schema/outbox.ts), so an erasure
 * between the event and its delivery is honoured: an erased user has no
 * profile, preferences or devices left, and is simply not reachable.
 */
import { and, eq, isNull, sql, type AnyColumn, type SQL } from 'drizzle-orm';
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
import type { Audience, Rule } from './rules';
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
  /**
   * The accounts an event's rules will write to, read with the context when
   * the caller asked (`AccountsWanted`): the order's customer account and its
   * merchant's staff, as `customerOf` and `merchantStaffOf` would read them.
   */
  accounts?: { customer?: Recipient[]; merchant?: Recipient[] };
}

/** Which accounts to read with the order's context (an event's rules say whom it is for). */
export interface AccountsWanted {
  customer?: boolean;
  merchant?: boolean;
}

export const accountsWantedBy = (rules: readonly Pick<Rule, 'audience'>[]): AccountsWanted => ({
  customer: rules.some((r) => r.audience === 'customer'),
  merchant: rules.some((r) => r.audience === 'merchant'),
});

/**
 * The active accounts `which` selects as one JSON column — each with its
 * profile's and preferences' contact fields and its push devices. Every
 * recipient read is this one fragment: the order context carries the
 * accounts an event needs in its own statement (a recipient read less per
 * notifying event, issue 14), and the reads of their own below anchor it on
 * a user, a merchant or a driver.
 */
const accountsJson = (which: SQL) => sql<AccountJson[] | string>`(select coalesce(json_agg(json_build_object(
    'id', u.id, 'locale', u.locale, 'profilePhone', p.phone, 'profileEmail', p.email,
    'sms', n.sms, 'email', n.email, 'push', n.push, 'phone', n.phone, 'emailAddress', n.email_address,
    'devices', (select coalesce(json_agg(json_build_object('id', d.id, 'token', d.push_token) order by d.created_at), '[]'::json)
      from ${devices} d where d.user_id = u.id)) order by u.id), '[]'::json)
  from ${users} u left join ${userProfiles} p on p.user_id = u.id left join ${notificationPreferences} n on n.user_id = u.id
  where ${which} and u.status = 'active')`;

/** The account of the user `userId`. */
const customerAccountsOf = (userId: SQL | AnyColumn) => accountsJson(sql`u.id = ${userId}`);
/** Owners and managers of the merchant `merchantId`. */
const staffAccountsOf = (merchantId: SQL | AnyColumn) =>
  accountsJson(sql`u.id in (select m.user_id from ${merchantMembers} m where m.merchant_id = ${merchantId} and m.role in ('owner', 'manager'))`);
/** The account of the driver `driverId`. */
const driverAccountsOf = (driverId: SQL | AnyColumn) => accountsJson(sql`u.id = (select d.user_id from ${drivers} d where d.id = ${driverId})`);

interface AccountJson {
  id: string;
  locale: string | null;
  profilePhone: string | null;
  profileEmail: string | null;
  sms: boolean | null;
  email: boolean | null;
  push: boolean | null;
  phone: string | null;
  emailAddress: string | null;
  devices: { id: string; token: string }[];
}

/**
 * One query: the order, its contact (unless erased), its merchant's name, its
 * city's zone and its driver's name, and the accounts asked for. The merchant,
 * city, driver and accounts come as scalar subqueries, not joins: Postgres
 * plans every statement afresh (ADR 0104), and a six-table join took 0.35 ms
 * to plan and 0.58 ms of the backend's CPU a call against 0.15 and 0.33 for
 * this shape (issue 14, docs/capacity.md); the consumer reads it once per
 * order event. The foreign keys guarantee the merchant and the city, as the
 * inner joins did. One statement per set of accounts, each built once.
 */
const buildContextStatement = (name: string, wanted: AccountsWanted) =>
  statement(name, (db) =>
    db
      .select({
        order: orders,
        contact: orderContacts,
        merchantName: sql<string>`(select ${merchants.name} from ${merchants} where ${merchants.id} = ${orders.merchantId})`,
        timezone: sql<string>`(select ${cities.timezone} from ${cities} where ${cities.id} = ${orders.cityId})`,
        driverName: sql<string | null>`(select ${userProfiles.name} from ${drivers} join ${userProfiles} on ${userProfiles.userId} = ${drivers.userId} where ${drivers.id} = ${orders.driverId})`,
        customerAccounts: sql<AccountJson[] | string | null>`${wanted.customer ? customerAccountsOf(orders.customerId) : sql`null`}`,
        staffAccounts: sql<AccountJson[] | string | null>`${wanted.merchant ? staffAccountsOf(orders.merchantId) : sql`null`}`,
      })
      .from(orders)
      .leftJoin(orderContacts, and(eq(orderContacts.orderId, orders.id), isNull(orderContacts.erasedAt)))
      .where(eq(orders.id, sql.placeholder('orderId'))),
  );

const contextStatements = new Map<string, ReturnType<typeof buildContextStatement>>();

function orderContextStatement(wanted: AccountsWanted) {
  const name = `order_context${wanted.customer ? '_customer' : ''}${wanted.merchant ? '_merchant' : ''}`;
  let built = contextStatements.get(name);
  if (!built) contextStatements.set(name, (built = buildContextStatement(name, wanted)));
  return built;
}

export async function loadOrderContext(db: Database, orderId: string, wanted: AccountsWanted = {}): Promise<OrderContext | undefined> {
  const [row] = await orderContextStatement(wanted)(db, { orderId });
  if (!row) return undefined;
  const driverFirstName = (row.order.driverId && row.driverName?.split(/\s+/)[0]) || undefined;
  const accounts: NonNullable<OrderContext['accounts']> = {};
  if (wanted.customer) accounts.customer = fromAccountsJson(row.customerAccounts, 'customer');
  if (wanted.merchant) accounts.merchant = fromAccountsJson(row.staffAccounts, 'merchant');
  return {
    order: row.order,
    contact: row.contact,
    merchantName: row.merchantName,
    timezone: row.timezone,
    ...(driverFirstName ? { driverFirstName } : {}),
    ...(wanted.customer || wanted.merchant ? { accounts } : {}),
  };
}

function fromAccountsJson(value: AccountJson[] | string | null, audience: Audience): Recipient[] {
  return (value === null ? [] : jsonColumn<AccountJson[]>(value)).map((a) => ({
    userId: a.id,
    audience,
    locale: pickLocale(a.locale),
    allows: { sms: a.sms ?? true, email: a.email ?? true, push: a.push ?? true },
    phone: a.phone ?? a.profilePhone ?? null,
    email: a.emailAddress ?? a.profileEmail ?? null,
    devices: a.devices,
  }));
}

/** A recipient read of its own (built once): the accounts `of` the anchor row whose id is the placeholder `id`. */
function accountsStatement(name: string, anchor: typeof users | typeof merchants | typeof drivers, of: (id: AnyColumn) => SQL<AccountJson[] | string>) {
  return statement(name, (db) => db.select({ accounts: of(anchor.id) }).from(anchor).where(eq(anchor.id, sql.placeholder('id'))));
}

const customerAccount = accountsStatement('recipient_customer', users, customerAccountsOf);
const merchantStaffAccounts = accountsStatement('recipients_merchant_staff', merchants, staffAccountsOf);
const driverAccount = accountsStatement('recipient_driver', drivers, driverAccountsOf);

async function readAccounts(db: Database, read: ReturnType<typeof accountsStatement>, id: string, audience: Audience): Promise<Recipient[]> {
  const [row] = await read(db, { id });
  return fromAccountsJson(row?.accounts ?? null, audience);
}

/**
 * The order's customer; `contact` is the order's contact as loadOrderContext
 * read it (null: none or erased), `read` its customer account when the
 * context carried it.
 */
export async function customerOf(db: Database, order: Order, contact: OrderContact | null, read?: Recipient[]): Promise<Recipient[]> {
  if (order.customerId) {
    const [account] = read ?? (await readAccounts(db, customerAccount, order.customerId, 'customer'));
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

/** Owners and managers: staff see orders live in the app, they are not paged. `read`: as the context carried them. */
export async function merchantStaffOf(db: Database, merchantId: string, read?: Recipient[]): Promise<Recipient[]> {
  return read ?? readAccounts(db, merchantStaffAccounts, merchantId, 'merchant');
}

export async function driverRecipient(db: Database, driverId: string): Promise<Recipient[]> {
  return readAccounts(db, driverAccount, driverId, 'driver');
}
