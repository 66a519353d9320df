import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditLog, drivers, merchantMembers, merchants, passwordCredentials, userProfiles, users } from '../../db/schema/index';
import { hashPassword } from '../../workers/services/auth/password';
import { PASSWORD, call, callJson, createCity, login, register, registrationBody, testDb, uniqueEmail } from './auth-helpers';

let cityId: string;
beforeAll(async () => {
  cityId = await createCity();
});

/** Rows that a sign-up with this email / business name would have written. */
async function rowsFor(email: string, businessName?: string) {
  const db = testDb();
  const [profiles] = await db.select({ n: sql<number>`count(*)::int` }).from(userProfiles).where(sql`lower(${userProfiles.email}) = lower(${email})`);
  const [shops] = businessName
    ? await db.select({ n: sql<number>`count(*)::int` }).from(merchants).where(eq(merchants.name, businessName))
    : [{ n: 0 }];
  return { profiles: Number(profiles!.n), merchants: Number(shops!.n) };
}

describe('registration', () => {
  it('registers a customer, signs in, and GET /v1/me shows the caller', async () => {
    const account = await register('customer', cityId);
    expect(account.user).toMatchObject({ role: 'customer', email: account.email, merchantId: null, driverId: null });
    expect(account.user.id).toMatch(/^usr_/);
    expect(account.refreshToken).toMatch(/^rt_/);

    const me = await callJson('/v1/me', { token: account.accessToken }, 200);
    expect(me.body).toMatchObject({ id: account.user.id, role: 'customer', name: 'Test customer' });
    expect(me.res.headers.get('cache-control')).toContain('no-store');

    const again = await login(account.email.toUpperCase());
    expect(again.user.id).toBe(account.user.id);
  });

  it('registers a merchant: the business with its fields, the owner membership, merchantId in the token', async () => {
    const account = await register('merchant', cityId);
    expect(account.user).toMatchObject({ role: 'merchant', merchantRole: 'owner' });
    const merchantId = account.user.merchantId!;
    expect(merchantId).toMatch(/^mer_/);
    const db = testDb();
    const [shop] = await db.select().from(merchants).where(eq(merchants.id, merchantId));
    expect(shop).toMatchObject({ cityId, kind: 'restaurant', address: '1 Test Street', lat: 48.85, lng: 2.35, open: true, suspended: false });
    const members = await db.select().from(merchantMembers).where(eq(merchantMembers.merchantId, merchantId));
    expect(members).toEqual([expect.objectContaining({ userId: account.user.id, role: 'owner' })]);
    const claims = JSON.parse(atob(account.accessToken.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')));
    expect(claims).toMatchObject({ sub: account.user.id, role: 'merchant', mid: merchantId, mrole: 'owner' });
  });

  it('registers a driver with vehicle and city, driverId in the token', async () => {
    const account = await register('driver', cityId);
    const [driver] = await testDb().select().from(drivers).where(eq(drivers.userId, account.user.id));
    expect(driver).toMatchObject({ id: account.user.driverId, cityId, vehicle: 'bike', active: true });
    const claims = JSON.parse(atob(account.accessToken.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')));
    expect(claims).toMatchObject({ role: 'driver', did: driver!.id });
  });

  it('stores the password as scrypt with its parameters, never in clear', async () => {
    const account = await register('customer', cityId);
    const [cred] = await testDb().select().from(passwordCredentials).where(eq(passwordCredentials.userId, account.user.id));
    expect(cred).toMatchObject({ algorithm: 'scrypt', params: { N: 16384, r: 8, p: 5, keyLength: 32 } });
    expect(cred!.hash).not.toContain(PASSWORD);
    expect(cred!.hash).toMatch(/^[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  });

  it('re-hashes a password stored with older parameters at the next sign-in', async () => {
    const account = await register('customer', cityId);
    const old = await hashPassword(PASSWORD, { N: 2 ** 13, r: 8, p: 10, keyLength: 32 });
    const db = testDb();
    await db.update(passwordCredentials).set({ hash: old.hash, params: { ...old.params } }).where(eq(passwordCredentials.userId, account.user.id));
    await login(account.email);
    const [cred] = await db.select().from(passwordCredentials).where(eq(passwordCredentials.userId, account.user.id));
    expect(cred!.params).toEqual({ N: 16384, r: 8, p: 5, keyLength: 32 });
    expect(cred!.hash).not.toBe(old.hash);
    await login(account.email); // and the new hash verifies
  });

  it('audits the sign-up', async () => {
    const account = await register('customer', cityId);
    const rows = await testDb().select().from(auditLog).where(eq(auditLog.targetId, account.user.id));
    expect(rows.map((r) => r.action)).toContain('auth.register');
  });

  it('refuses operator roles (422 on role) and writes nothing', async () => {
    for (const role of ['ops', 'admin']) {
      const email = uniqueEmail(role);
      const { body } = await callJson<{ errors: { path: string }[] }>(
        '/v1/auth/register',
        { body: { role, email, password: PASSWORD, name: 'Sneaky' } },
        422,
      );
      expect(body.errors.map((e) => e.path)).toEqual(['json.role']);
      expect(await rowsFor(email)).toEqual({ profiles: 0, merchants: 0 });
    }
  });

  it('ignores fields a caller may not set (status, merchantRole, id)', async () => {
    const body = { ...registrationBody('customer', cityId), status: 'erased', merchantRole: 'owner', id: 'usr_chosen', role: 'customer' };
    const { body: session } = await callJson<{ user: { id: string; merchantRole: string | null } }>('/v1/auth/register', { body }, 201);
    expect(session.user.id).not.toBe('usr_chosen');
    expect(session.user.merchantRole).toBeNull();
    const [row] = await testDb().select().from(users).where(eq(users.id, session.user.id));
    expect(row!.status).toBe('active');
  });

  it('answers 409 for an email that exists in any letter case, and writes nothing', async () => {
    const first = await register('customer', cityId);
    const second = registrationBody('merchant', cityId, first.email.toUpperCase());
    const res = await call('/v1/auth/register', { body: second });
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await rowsFor(first.email, second.business.name)).toEqual({ profiles: 1, merchants: 0 });
  });

  it('answers 422 with the path of an unknown city, for merchants and drivers, and writes nothing', async () => {
    const merchant = registrationBody('merchant', 'cty_doesnotexist00000000');
    const m = await callJson<{ errors: { path: string }[] }>('/v1/auth/register', { body: merchant }, 422);
    expect(m.body.errors).toEqual([expect.objectContaining({ path: 'json.business.cityId' })]);
    const driver = registrationBody('driver', 'cty_doesnotexist00000000');
    const d = await callJson<{ errors: { path: string }[] }>('/v1/auth/register', { body: driver }, 422);
    expect(d.body.errors).toEqual([expect.objectContaining({ path: 'json.cityId' })]);
    expect(await rowsFor(merchant.email, merchant.business.name)).toEqual({ profiles: 0, merchants: 0 });
    expect(await rowsFor(driver.email)).toEqual({ profiles: 0, merchants: 0 });
  });

  it('answers 422 listing the path of each invalid field', async () => {
    const email = 'not-an-email';
    const { body } = await callJson<{ errors: { path: string }[] }>(
      '/v1/auth/register',
      { body: { role: 'merchant', email, password: 'short', name: '', business: { name: 'X', kind: 'bakery', address: 'a', location: { lat: 91, lng: 0 }, cityId } } },
      422,
    );
    expect(body.errors.map((e) => e.path).sort()).toEqual(
      ['json.business.kind', 'json.business.location.lat', 'json.email', 'json.name', 'json.password'].sort(),
    );
  });

  it('requires at least 12 characters of password', async () => {
    const body = { ...registrationBody('customer', cityId), password: 'elevenchars' };
    const res = await callJson<{ errors: { path: string; message: string }[] }>('/v1/auth/register', { body }, 422);
    expect(res.body.errors).toEqual([{ path: 'json.password', message: 'Use at least 12 characters.' }]);
    expect(await rowsFor(body.email)).toEqual({ profiles: 0, merchants: 0 });
  });

  it('answers 400 for malformed JSON and 413 for an oversized body, writing nothing', async () => {
    const email = uniqueEmail('bad');
    const malformed = await call('/v1/auth/register', { body: `{"role":"customer","email":"${email}",` });
    expect(malformed.status).toBe(400);
    const huge = JSON.stringify({ ...registrationBody('customer', cityId, email), name: 'x'.repeat(70 * 1024) });
    const tooLarge = await call('/v1/auth/register', { body: huge });
    expect(tooLarge.status).toBe(413);
    expect(await rowsFor(email)).toEqual({ profiles: 0, merchants: 0 });
  });
});
