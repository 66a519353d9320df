/**
 * Fixtures for the order and payment tests: cities, merchants, products,
 * customers, drivers and API keys written straight into Postgres (so these
 * tests do not depend on the registration API), tokens minted with the
 * Worker's own signing keys, and helpers to pay through the Stripe fake and
 * hand its signed webhooks to the Worker (which has no TCP port in tests).
 */
import { env } from 'cloudflare:workers';
import { checkedFetch } from '../../support/openapi-contract';
import { eq, sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { openDatabase } from '../../../db/client';
import { newId } from '../../../db/ids';
import { cities, drivers, merchantApiKeys, merchantMembers, merchants, orders, payments, products, userProfiles, users } from '../../../db/schema/index';
import { generateApiKey, hashApiKey } from '../../../workers/services/auth/api-keys';
import { sessionToken } from './sessions';

/**
 * One client on the test database for the whole test file: a client per call
 * would leave its sockets open until the file ends (they are never `end()`ed,
 * docs/decisions/0003) and exhaust Postgres' connections.
 */
let client: ReturnType<typeof openDatabase> | undefined;
export const db = () => (client ??= openDatabase(env.HYPERDRIVE.connectionString, { max: 2 }));

export const CITY = { center: { lat: 48.8566, lng: 2.3522 }, radiusKm: 12, baseFee: 199, perKm: 60, taxBps: 1000 };
/** Points inside and outside the test city's service area. */
export const NEAR = { lat: 48.8606, lng: 2.3376 };
export const FAR = { lat: 45.764, lng: 4.8357 };

export async function createCity(batching = false): Promise<string> {
  const id = newId('cty');
  await db().insert(cities).values({
    id,
    name: `Testville ${id.slice(-6)}`,
    centerLat: CITY.center.lat,
    centerLng: CITY.center.lng,
    currency: 'EUR',
    timezone: 'Europe/Paris',
    serviceRadiusKm: CITY.radiusKm,
    deliveryBaseFeeCents: CITY.baseFee,
    deliveryPerKmCents: CITY.perKm,
    // Off unless a test stacks orders (ADR 0105): one driver near two orders keeps its old meaning.
    batchingEnabled: batching,
    taxRateBps: CITY.taxBps,
  });
  return id;
}

async function createUser(role: 'customer' | 'merchant' | 'driver' | 'ops', name: string): Promise<string> {
  const id = newId('usr');
  await db().insert(users).values({ id, role });
  await db().insert(userProfiles).values({ userId: id, email: `${id}@example.test`, name, phone: '+33600000000' });
  return id;
}

export interface Customer {
  userId: string;
  token: string;
}

export async function createCustomer(name = 'Test Customer'): Promise<Customer> {
  const userId = await createUser('customer', name);
  const token = await sessionToken({ sub: userId, role: 'customer' });
  return { userId, token };
}

export async function createOps(): Promise<string> {
  const userId = await createUser('ops', 'Test Ops');
  return sessionToken({ sub: userId, role: 'ops' });
}

export interface TestMerchant {
  merchantId: string;
  cityId: string;
  ownerToken: string;
  location: { lat: number; lng: number };
  /** A signed-in member with another role (manager or staff). */
  memberToken(role: 'manager' | 'staff'): Promise<string>;
  apiKey(): Promise<{ key: string; keyId: string }>;
}

export async function createMerchant(
  cityId: string,
  options: { kind?: 'restaurant' | 'store' | 'pharmacy'; open?: boolean; suspended?: boolean; location?: { lat: number; lng: number } } = {},
): Promise<TestMerchant> {
  const merchantId = newId('mer');
  const location = options.location ?? { lat: 48.8556, lng: 2.3579 };
  const ownerId = await createUser('merchant', 'Owner');
  await db()
    .insert(merchants)
    .values({ id: merchantId, cityId, name: `Shop ${merchantId.slice(-8)}`, kind: options.kind ?? 'restaurant', address: '1 Rue de Test', lat: location.lat, lng: location.lng, open: options.open ?? true, suspended: options.suspended ?? false });
  await db().insert(merchantMembers).values({ merchantId, userId: ownerId, role: 'owner' });
  const ownerToken = await sessionToken({ sub: ownerId, role: 'merchant', mid: merchantId, mrole: 'owner' });
  return {
    merchantId,
    cityId,
    ownerToken,
    location,
    async memberToken(role) {
      const userId = await createUser('merchant', role);
      await db().insert(merchantMembers).values({ merchantId, userId, role });
      return sessionToken({ sub: userId, role: 'merchant', mid: merchantId, mrole: role });
    },
    async apiKey() {
      const { key, prefix } = generateApiKey();
      const keyId = newId('key');
      await db().insert(merchantApiKeys).values({ id: keyId, merchantId, prefix, keyHash: await hashApiKey(key), name: 'test' });
      return { key, keyId };
    },
  };
}

export async function createProduct(merchantId: string, priceCents: number, options: { name?: string; available?: boolean; requiresPrescription?: boolean } = {}): Promise<string> {
  const id = newId('prd');
  await db()
    .insert(products)
    .values({ id, merchantId, name: options.name ?? `Product ${id.slice(-6)}`, priceCents, currency: 'EUR', available: options.available ?? true, requiresPrescription: options.requiresPrescription ?? false });
  return id;
}

export async function createDriver(cityId: string): Promise<{ driverId: string; token: string }> {
  const userId = await createUser('driver', 'Dana Driver');
  const driverId = newId('drv');
  await db().insert(drivers).values({ id: driverId, userId, cityId, vehicle: 'bike' });
  const token = await sessionToken({ sub: userId, role: 'driver', did: driverId });
  return { driverId, token };
}

/** Dispatch is not built yet: tests assign a driver the way the shard will. */
export async function assignDriver(orderId: string, driverId: string): Promise<void> {
  await db().update(orders).set({ driverId, dispatchState: 'assigned' }).where(eq(orders.id, orderId));
}

export interface ApiOptions {
  method?: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  idempotencyKey?: string;
}

export function api(path: string, options: ApiOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  if (options.token) headers.set('Authorization', `Bearer ${options.token}`);
  if (options.idempotencyKey) headers.set('Idempotency-Key', options.idempotencyKey);
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
  }
  return checkedFetch(new Request(`http://platform.test${path}`, { method: options.method ?? (body !== undefined ? 'POST' : 'GET'), headers, body }));
}

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

export const newKey = () => `test-${crypto.randomUUID()}`;

export interface OrderBody {
  merchantId: string;
  items: { productId: string; quantity: number }[];
  dropoff: { address: string; location: { lat: number; lng: number }; instructions?: string };
  customer?: { name: string; phone: string; email?: string };
  paid?: boolean;
}

export const orderBody = (merchantId: string, items: { productId: string; quantity: number }[], extra: Partial<OrderBody> = {}): OrderBody => ({
  merchantId,
  items,
  dropoff: { address: '10 Rue de Rivoli, Paris', location: NEAR, instructions: 'Code 1234, 3rd floor' },
  ...extra,
});

export interface CreatedOrder {
  order: { id: string; status: string; totals: { totalCents: number; subtotalCents: number; deliveryFeeCents: number; taxCents: number; currency: string }; deliveryPin?: string; [k: string]: unknown };
  payment?: { clientSecret: string };
}

export async function placeOrder(token: string, body: OrderBody, key = newKey()): Promise<CreatedOrder> {
  const res = await api('/v1/orders', { token, body, idempotencyKey: key });
  if (res.status !== 201) throw new Error(`order creation failed: ${res.status} ${await res.text()}`);
  return json<CreatedOrder>(res);
}

/** Row counts, to show that a refused request wrote nothing. */
type TableCounts = { orders: number; items: number; events: number; outbox: number; payments: number; idempotency: number };

export async function counts(): Promise<TableCounts> {
  const [row] = (await db().execute(sql`select
      (select count(*)::int from orders) as orders,
      (select count(*)::int from order_items) as items,
      (select count(*)::int from order_status_events) as events,
      (select count(*)::int from outbox) as outbox,
      (select count(*)::int from payments) as payments,
      (select count(*)::int from idempotency_keys) as idempotency`)) as unknown as TableCounts[];
  return row!;
}

export async function paymentRow(orderId: string) {
  const [row] = await db().select().from(payments).where(eq(payments.orderId, orderId));
  return row;
}

// ---- The Stripe fake ----------------------------------------------------------------

const stripeBase = () => env.STRIPE_API_BASE;
const control = (path: string, init: RequestInit = {}) =>
  fetch(`${stripeBase()}${path}`, { ...init, headers: { Authorization: `Bearer ${env.STRIPE_SECRET_KEY}`, 'Content-Type': 'application/json', ...(init.headers as Record<string, string>) } });

export const intentIdOf = (clientSecret: string): string => clientSecret.split('_secret_')[0]!;

/** What the customer's browser does with Stripe.js: confirm with the publishable key and the client secret. */
export async function payWithCard(clientSecret: string, card = '4242 4242 4242 4242'): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${stripeBase()}/v1/payment_intents/${intentIdOf(clientSecret)}/confirm`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ key: 'pk_test_local', client_secret: clientSecret, 'payment_method_data[type]': 'card', 'payment_method_data[card][number]': card }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export interface SignedEvent {
  id: string;
  type: string;
  payload: string;
  signature: string;
}

/** The fake's events about an object (PaymentIntent id), each with a fresh Stripe-Signature. */
export async function stripeEvents(objectId: string, type?: string): Promise<SignedEvent[]> {
  const q = new URLSearchParams({ object: objectId, ...(type ? { type } : {}) });
  const res = await control(`/_fake/events?${q}`);
  return ((await res.json()) as { data: SignedEvent[] }).data;
}

export function deliverWebhook(event: Pick<SignedEvent, 'payload' | 'signature'>): Promise<Response> {
  return checkedFetch(
    new Request('http://platform.test/v1/webhooks/stripe', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Stripe-Signature': event.signature }, body: event.payload }),
  );
}

/** Delivers every event of the intent (as Stripe would), each expected to be acknowledged. */
export async function deliverAll(intentId: string, type?: string): Promise<void> {
  for (const event of await stripeEvents(intentId, type)) {
    const res = await deliverWebhook(event);
    if (res.status !== 200) throw new Error(`webhook ${event.type} answered ${res.status}: ${await res.text()}`);
  }
}

/** Pays an order end to end: card through the fake, then its webhooks into the Worker. */
export async function payOrder(created: CreatedOrder, card = '4242 4242 4242 4242'): Promise<void> {
  const clientSecret = created.payment?.clientSecret;
  if (!clientSecret) throw new Error('order has no client secret');
  await payWithCard(clientSecret, card);
  await deliverAll(intentIdOf(clientSecret));
}

export async function injectStripeFault(options: { count: number; status?: number; path?: string; bodyIncludes?: string }): Promise<void> {
  const res = await control('/_fake/faults', { method: 'POST', body: JSON.stringify(options) });
  if (res.status !== 200) throw new Error(`fault injection failed: ${res.status}`);
}

/** A raw Stripe API call with the platform's secret key, to check the fake's side. */
export async function stripeGet<T = Record<string, unknown>>(path: string): Promise<T> {
  const res = await fetch(`${stripeBase()}${path}`, { headers: { Authorization: `Bearer ${env.STRIPE_SECRET_KEY}` } });
  return (await res.json()) as T;
}

/**
 * A Stripe-Signature for a payload, made the way Stripe makes it, with the
 * Worker's webhook secret unless told otherwise; `timestamp` (seconds) makes
 * a stale one. For events the fake never sent (forged, altered, replayed).
 */
export function signStripePayload(payload: string, options: { secret?: string; timestamp?: number } = {}): Promise<string> {
  return Stripe.webhooks.generateTestHeaderStringAsync({
    payload,
    secret: options.secret ?? env.STRIPE_WEBHOOK_SECRET,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
    cryptoProvider: Stripe.createSubtleCryptoProvider(),
  });
}

/**
 * The world most order tests start from: a new city, a merchant in it with
 * one product at `priceCents`, and a customer.
 */
export async function createShop(priceCents: number): Promise<{ cityId: string; merchant: TestMerchant; customer: Customer; product: string }> {
  const cityId = await createCity();
  const merchant = await createMerchant(cityId);
  const customer = await createCustomer();
  const product = await createProduct(merchant.merchantId, priceCents);
  return { cityId, merchant, customer, product };
}
