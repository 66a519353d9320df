/**
 * People and orders for the notification and webhook tests, written straight
 * into Postgres (the order routes are another domain's; these tests only need
 * the rows an outbox event points at), plus access tokens for them and
 * outbox rows / queue envelopes for their events.
 */
import { newOrderNumber } from '../../../domain/order';
import { env } from 'cloudflare:workers';
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { openDatabase, type Database } from '../../../db/client';
import { newId, randomBase32 } from '../../../db/ids';
import {
  cities,
  devices,
  drivers,
  merchantMembers,
  merchants,
  notificationPreferences,
  orderContacts,
  orderItems,
  orders,
  outbox,
  userProfiles,
  users,
} from '../../../db/schema/index';
import worker from '../../../workers/index';
import { sessionToken } from './sessions';
import type { EventEnvelope } from '../../../workers/services/events/envelope';

/**
 * One client per test file (tests of a file share the runner's I/O context):
 * a client per call would hold sockets until the file ends and exhaust
 * Postgres' connections. Never `end()` it (docs/decisions/0003).
 */
let client: Database | undefined;
export const db = (): Database => (client ??= openDatabase(env.HYPERDRIVE.connectionString, { max: 3 }));

const unique = () => randomBase32(8);
/** A French mobile number nobody else in the run has. */
export const uniquePhone = () => `+336${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
export const uniqueEmail = (tag: string) => `${tag}-${unique()}@example.test`;
export const uniqueToken = (tag = 'tok') => `${tag}-${unique()}${unique()}${unique()}`;

export interface Person {
  userId: string;
  email: string;
  phone: string | null;
  token: string;
}

export async function createCity(): Promise<string> {
  const id = newId('cty');
  await db().insert(cities).values({
    id,
    name: `Notifville ${unique()}`,
    centerLat: 48.8566,
    centerLng: 2.3522,
    currency: 'EUR',
    timezone: 'Europe/Paris',
    serviceRadiusKm: 12,
    deliveryBaseFeeCents: 199,
    deliveryPerKmCents: 60,
    batchingEnabled: false,
    taxRateBps: 1000,
  });
  return id;
}

export async function createUser(
  role: 'customer' | 'merchant' | 'driver' | 'ops',
  options: { locale?: string; phone?: string | null; prefs?: { sms?: boolean; email?: boolean; push?: boolean }; pushTokens?: string[]; name?: string } = {},
  claims: { mid?: string; mrole?: 'owner' | 'manager' | 'staff'; did?: string } = {},
): Promise<Person> {
  const userId = newId('usr');
  const email = uniqueEmail(role);
  const phone = options.phone === undefined ? uniquePhone() : options.phone;
  await db().insert(users).values({ id: userId, role, locale: options.locale ?? 'en' });
  await db().insert(userProfiles).values({ userId, email, name: options.name ?? `Test ${role}`, phone });
  if (options.prefs) await db().insert(notificationPreferences).values({ userId, ...options.prefs });
  for (const pushToken of options.pushTokens ?? []) await db().insert(devices).values({ id: newId('dev'), userId, pushToken, platform: 'android' });
  const token = await sessionToken({ sub: userId, role, ...claims });
  return { userId, email, phone, token };
}

export interface MerchantWorld {
  cityId: string;
  merchantId: string;
  owner: Person;
}

export async function createMerchant(cityId?: string, ownerOptions: Parameters<typeof createUser>[1] = {}): Promise<MerchantWorld> {
  const city = cityId ?? (await createCity());
  const merchantId = newId('mer');
  await db().insert(merchants).values({ id: merchantId, cityId: city, name: `Chez Test ${unique()}`, kind: 'restaurant', address: '1 rue du Test', lat: 48.85, lng: 2.35 });
  const owner = await createUser('merchant', ownerOptions, { mid: merchantId, mrole: 'owner' });
  await db().insert(merchantMembers).values({ merchantId, userId: owner.userId, role: 'owner' });
  return { cityId: city, merchantId, owner };
}

export async function createDriver(cityId: string, options: Parameters<typeof createUser>[1] = {}): Promise<Person & { driverId: string }> {
  const driverId = newId('drv');
  const person = await createUser('driver', { name: 'Karim Benali', ...options }, { did: driverId });
  await db().insert(drivers).values({ id: driverId, userId: person.userId, cityId, vehicle: 'bike' });
  return { ...person, driverId };
}

export interface TestOrder {
  orderId: string;
  /** The human order number (orders.number) every message shows as `#` + number. */
  number: string;
  pin: string;
  trackingToken: string;
}

export async function createOrder(
  m: MerchantWorld,
  customer: Person | null,
  options: { status?: 'placed' | 'preparing' | 'ready' | 'in_delivery' | 'delivered' | 'cancelled'; driverId?: string; contact?: { name?: string; phone?: string; email?: string }; seq?: number } = {},
): Promise<TestOrder> {
  const orderId = newId('ord');
  const number = newOrderNumber();
  const pin = String(1000 + Math.floor(Math.random() * 9000));
  const trackingToken = `trk_${unique()}${unique()}`;
  await db()
    .insert(orders)
    .values({
      id: orderId,
      number,
      cityId: m.cityId,
      merchantId: m.merchantId,
      customerId: customer?.userId ?? null,
      driverId: options.driverId ?? null,
      status: options.status ?? 'placed',
      // Seq 0 by default: the ordering tests' first event is seq 1. A test that reads the order
      // back through the API (seq ≥ 1 documented) gives the seq of its creation event.
      seq: options.seq ?? 0,
      dispatchState: options.driverId ? 'assigned' : 'unassigned',
      source: customer ? 'customer' : 'merchant_api',
      subtotalCents: 2000,
      deliveryFeeCents: 350,
      taxCents: 200,
      totalCents: 2550,
      currency: 'EUR',
      distanceM: 1800,
      pickupLat: 48.85,
      pickupLng: 2.35,
      dropoffLat: 48.86,
      dropoffLng: 2.36,
      deliveryPin: pin,
      trackingToken,
      placedAt: new Date(),
    });
  await db()
    .insert(orderContacts)
    .values({ orderId, name: options.contact?.name ?? 'Zoé Client', phone: options.contact?.phone ?? null, email: options.contact?.email ?? null, address: '12 rue des Lilas' });
  await db().insert(orderItems).values({ id: newId('oit'), orderId, name: 'Pizza Margherita', unitPriceCents: 1000, quantity: 2, lineTotalCents: 2000 });
  return { orderId, number, pin, trackingToken };
}

/** An outbox row as the orders domain writes it (committed on its own here). */
export async function writeOutboxRow(topic: string, orderId: string, payload: Record<string, unknown> = {}): Promise<string> {
  const id = newId('obx');
  const now = new Date();
  await db().insert(outbox).values({ id, topic, aggregateType: 'order', aggregateId: orderId, payload: { orderId, ...payload }, createdAt: now, nextAttemptAt: now });
  return id;
}

export function envelope(type: string, data: Record<string, unknown>, createdAt = new Date()): EventEnvelope {
  return { id: newId('obx'), type, createdAt: createdAt.toISOString(), data };
}

/** Runs the Worker's queue handler on these bodies (as one batch) and answers what it acked and retried. */
export async function deliver(queue: string, bodies: { id?: string; body: unknown; attempts?: number }[]) {
  const batch = createMessageBatch(
    queue,
    bodies.map((b, i) => ({ id: b.id ?? `msg-${unique()}-${i}`, timestamp: new Date(), attempts: b.attempts ?? 1, body: b.body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}

/** GET a fake's control route. */
export async function fakeGet<T>(base: string, path: string): Promise<T> {
  const res = await fetch(`${base}${path}`);
  if (!res.ok) throw new Error(`${base}${path}: ${res.status}`);
  return res.json<T>();
}

export async function fakePost(base: string, path: string, body: unknown, method = 'POST'): Promise<void> {
  const res = await fetch(`${base}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${base}${path}: ${res.status}`);
}

// ---- What the provider fakes received (fakes) ---------------------------------

export interface FakeSms { sid: string; to: string; body: string; statusCallback: string | null }
export interface FakeEmail { to: string; subject: string; textBody: string; messageStream: string }
export interface FakePush { token: string; title: string; body: string; data: Record<string, string> }
export interface FakeWebhook {
  name: string;
  webhookId: string | null;
  timestamp: string | null;
  signature: string | null;
  /** Checked by the receiver with the secret it was given (null: it has none for this name). */
  verified: boolean | null;
  status: number;
  body: { id: string; type: string; createdAt: string; data: { order: Record<string, unknown> } };
}

export const smsSentTo = async (phone: string) => (await fakeGet<{ items: FakeSms[] }>(env.TWILIO_API_BASE, `/_fake/messages?to=${encodeURIComponent(phone)}`)).items;
export const emailsSentTo = async (address: string) => (await fakeGet<{ items: FakeEmail[] }>(env.EMAIL_API_BASE, `/_fake/emails?to=${encodeURIComponent(address)}`)).items;
export const pushesSentTo = async (token: string) => (await fakeGet<{ items: FakePush[] }>(env.FCM_API_BASE, `/_fake/messages?token=${encodeURIComponent(token)}`)).items;
/** What the merchant webhook receiver fake got at /hooks/{name}. */
export const webhooksReceived = async (receiverUrl: string, name: string) => (await fakeGet<{ items: FakeWebhook[] }>(receiverUrl, `/_fake/received?name=${encodeURIComponent(name)}`)).items;
