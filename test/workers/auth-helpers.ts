/**
 * Helpers for tests that need accounts: register through the real API (so the
 * accounts are exactly what users get), sign in, call with a token. Every call
 * comes from a random client IP (`CF-Connecting-IP`, which Cloudflare sets at
 * the edge), so tests do not share the per-IP sign-in and sign-up limits; pass
 * `ip` to pin one when a test is about those limits.
 */
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { openDatabase } from '../../db/client';
import { newId } from '../../db/ids';
import { cities } from '../../db/schema/index';
import { createOperator } from '../../workers/services/auth/operators';
import { checkedFetch } from '../support/openapi-contract';

export const PASSWORD = 'correct horse battery staple';

export const randomIp = (): string =>
  `10.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;

export const uniqueEmail = (tag: string): string => `${tag}-${crypto.randomUUID().slice(0, 12)}@example.test`;

/** A drizzle client on the test database (through the Hyperdrive binding). Never `end()` it: see docs/decisions/0003. */
export const testDb = () => openDatabase(env.HYPERDRIVE.connectionString);

export interface CallOptions {
  method?: string;
  body?: unknown;
  /** An access token or a merchant API key. */
  token?: string;
  ip?: string;
  headers?: Record<string, string>;
}

export function call(path: string, options: CallOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  headers.set('CF-Connecting-IP', options.ip ?? randomIp());
  if (options.token) headers.set('Authorization', `Bearer ${options.token}`);
  let body: string | Uint8Array | undefined;
  if (options.body !== undefined) {
    // Strings and bytes (an image upload) as they are; anything else as JSON.
    body = typeof options.body === 'string' || options.body instanceof Uint8Array ? options.body : JSON.stringify(options.body);
    if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
  }
  return checkedFetch(new Request(`http://platform.test${path}`, { method: options.method ?? (body ? 'POST' : 'GET'), headers, body }));
}

export async function callJson<T = Record<string, unknown>>(path: string, options: CallOptions = {}, expectStatus?: number): Promise<{ status: number; body: T; res: Response }> {
  const res = await call(path, options);
  const text = await res.text();
  const body = (text ? JSON.parse(text) : undefined) as T;
  if (expectStatus !== undefined) expect(res.status, `${options.method ?? 'GET'} ${path}: ${text}`).toBe(expectStatus);
  return { status: res.status, body, res };
}

/** A city straight into Postgres (cities have no API to create them). */
export async function createCity(name = `Testville ${crypto.randomUUID().slice(0, 6)}`): Promise<string> {
  const id = newId('cty');
  await testDb().insert(cities).values({
    id,
    name,
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

export interface SessionUser {
  id: string;
  role: string;
  email: string;
  merchantId: string | null;
  merchantRole: string | null;
  driverId: string | null;
}

export interface Account {
  email: string;
  password: string;
  user: SessionUser;
  accessToken: string;
  refreshToken: string;
}

interface RegistrationBase {
  role: 'customer' | 'merchant' | 'driver';
  email: string;
  password: string;
  name: string;
}
export type MerchantRegistration = RegistrationBase & {
  business: { name: string; kind: string; address: string; location: { lat: number; lng: number }; cityId: string };
};

export function registrationBody(role: 'merchant', cityId: string, email?: string): MerchantRegistration;
export function registrationBody(role: 'customer' | 'merchant' | 'driver', cityId: string, email?: string): RegistrationBase;
export function registrationBody(role: 'customer' | 'merchant' | 'driver', cityId: string, email = uniqueEmail(role)): RegistrationBase {
  const base = { role, email, password: PASSWORD, name: `Test ${role}` };
  if (role === 'merchant') {
    const merchant: MerchantRegistration = {
      ...base,
      business: { name: `Shop ${email}`, kind: 'restaurant', address: '1 Test Street', location: { lat: 48.85, lng: 2.35 }, cityId },
    };
    return merchant;
  }
  if (role === 'driver') return { ...base, vehicle: 'bike', cityId } as RegistrationBase;
  return base;
}

export async function register(role: 'customer' | 'merchant' | 'driver', cityId: string, email?: string): Promise<Account> {
  const body = registrationBody(role, cityId, email);
  const { body: session } = await callJson<Omit<Account, 'email' | 'password'>>('/v1/auth/register', { body }, 201);
  return { email: body.email, password: PASSWORD, ...session };
}

export async function login(email: string, password = PASSWORD, ip?: string): Promise<Account> {
  const { body } = await callJson<Omit<Account, 'email' | 'password'>>('/v1/auth/login', { body: { email, password }, ...(ip ? { ip } : {}) }, 200);
  return { email, password, ...body };
}

/** A member of staff of the owner's merchant, signed in. */
export async function addStaff(owner: Account, role: 'manager' | 'staff' = 'staff'): Promise<Account> {
  const email = uniqueEmail(`staff-${role}`);
  await callJson(`/v1/merchants/${owner.user.merchantId}/staff`, { token: owner.accessToken, body: { email, password: PASSWORD, name: `Staff ${role}`, role } }, 201);
  return login(email);
}

export async function createApiKey(owner: Account, name = 'test key'): Promise<{ id: string; key: string; prefix: string }> {
  const { body } = await callJson<{ id: string; key: string; prefix: string }>(
    `/v1/merchants/${owner.user.merchantId}/api-keys`,
    { token: owner.accessToken, body: { name } },
    201,
  );
  return body;
}

/** Operators cannot register: they are created the way `npm run ops:create` does it. */
export async function createOps(role: 'ops' | 'admin' = 'ops'): Promise<Account> {
  const email = uniqueEmail(role);
  const outcome = await createOperator(testDb(), { email, name: `Test ${role}`, role, password: PASSWORD });
  expect(outcome.kind).toBe('ok');
  return login(email);
}
