import { env } from 'cloudflare:workers';
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { and, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RateLimiter } from '../../durable-objects/rate-limiter/RateLimiter';
import { auditLog } from '../../db/schema/index';
import { RULES, subjectName } from '../../workers/services/auth/throttle';
import { PASSWORD, call, callJson, createCity, randomIp, register, registrationBody, testDb, uniqueEmail } from './auth-helpers';

const limiter = (subject: string) => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(subject));

/** Counts `n` earlier failures against a subject's bucket, as if they had happened a moment ago. */
async function prefill(kind: 'ip' | 'account' | 'account_ip', value: string, bucket: string, rule: { limit: number; windowSeconds: number }, n: number) {
  await limiter(await subjectName(kind, value)).apply(Array.from({ length: n }, () => ({ bucket, rule, op: 'record' as const })));
}

const failLogin = (email: string, ip = randomIp()) => call('/v1/auth/login', { body: { email, password: 'wrong password 123' }, ip });

let cityId: string;
beforeAll(async () => {
  cityId = await createCity();
});

/** Moves every hit of a subject back in time, as if `seconds` had passed (the objects read Date.now()). */
async function age(kind: 'ip' | 'account' | 'account_ip', value: string, seconds: number) {
  await runInDurableObject(limiter(await subjectName(kind, value)), (_instance: RateLimiter, state) => {
    state.storage.sql.exec('UPDATE hits SET at = at - ?, expires_at = expires_at - ?', seconds * 1000, seconds * 1000);
  });
}

describe('sign-in limits per account (ADR 0088: delays, never a lockout)', () => {
  it('after 10 failures in an hour from unknown devices, the next waits a growing delay of at most a minute — even the right password — then works', async () => {
    const account = await register('customer', cityId);
    await prefill('account', account.email, 'login_fail', RULES.loginFailuresPerAccount, 99);
    const locked = await failLogin(account.email);
    expect(locked.status).toBe(429);
    expect(locked.headers.get('content-type')).toBe('application/problem+json');
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(RULES.loginFailuresPerAccount.delay.maxSeconds);
    expect((await call('/v1/auth/login', { body: { email: account.email.toUpperCase(), password: PASSWORD } })).status).toBe(429);
    await age('account', account.email, RULES.loginFailuresPerAccount.delay.maxSeconds + 1);
    await callJson('/v1/auth/login', { body: { email: account.email.toUpperCase(), password: PASSWORD } }, 200);
  });

  it('treats an unknown email exactly like a known one (no enumeration through the limit)', async () => {
    const ghost = uniqueEmail('ghost');
    await prefill('account', ghost, 'login_fail', RULES.loginFailuresPerAccount, 9);
    expect((await failLogin(ghost)).status).toBe(401);
    expect((await failLogin(ghost)).status).toBe(429);
  });

  it('writes a burst to the audit log after 10 real failures, once', async () => {
    const account = await register('customer', cityId);
    for (let i = 0; i < 10; i++) expect((await failLogin(account.email)).status).toBe(401);
    await age('account', account.email, 5);
    expect((await failLogin(account.email)).status).toBe(401);
    const bursts = await testDb()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'auth.login_failed_burst'), eq(auditLog.targetId, account.user.id)));
    expect(bursts).toHaveLength(1);
    expect(bursts[0]).toMatchObject({ actorType: 'system', metadata: expect.objectContaining({ scope: 'account', failures: 10 }) });
  });

  it('does not count a successful sign-in as a failure', async () => {
    const account = await register('customer', cityId);
    for (let i = 0; i < 3; i++) await failLogin(account.email);
    await callJson('/v1/auth/login', { body: { email: account.email, password: PASSWORD } }, 200);
    const [failures] = await limiter(await subjectName('account', account.email)).apply([
      { bucket: 'login_fail', rule: RULES.loginFailuresPerAccount, op: 'check' },
    ]);
    expect(failures!.count).toBe(3);
  });
});

describe('sign-in limits per IP', () => {
  it(`allows ${RULES.loginAttemptsPerIp.limit} attempts a minute from one IP, then 429`, async () => {
    const ip = randomIp();
    await prefill('ip', ip, 'login', RULES.loginAttemptsPerIp, RULES.loginAttemptsPerIp.limit - 1);
    expect((await failLogin(uniqueEmail('spray'), ip)).status).toBe(401);
    const res = await failLogin(uniqueEmail('spray'), ip);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    // Another IP is not affected.
    expect((await failLogin(uniqueEmail('spray'))).status).toBe(401);
  });

  it('slows an IP that fails across accounts (credential stuffing) with growing delays, audited at 10', async () => {
    const ip = randomIp();
    for (let i = 0; i < 10; i++) expect((await failLogin(uniqueEmail('stuffing'), ip)).status).toBe(401);
    const slowed = await failLogin(uniqueEmail('stuffing'), ip);
    expect(slowed.status).toBe(429);
    expect(Number(slowed.headers.get('retry-after'))).toBeLessThanOrEqual(2);
    const rows = await testDb()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'auth.login_failed_burst'), eq(auditLog.ip, ip)));
    expect(rows.map((r) => r.metadata)).toContainEqual(expect.objectContaining({ scope: 'ip', failures: 10 }));
    await age('ip', ip, 2);
    expect((await failLogin(uniqueEmail('stuffing'), ip)).status).toBe(401);
  });
});

describe('sign-up limits', () => {
  it(`allows ${RULES.registrationsPerEmail.limit} attempts per email an hour`, async () => {
    const email = uniqueEmail('retry');
    await callJson('/v1/auth/register', { body: registrationBody('customer', cityId, email) }, 201);
    for (let i = 1; i < RULES.registrationsPerEmail.limit; i++) {
      await callJson('/v1/auth/register', { body: registrationBody('customer', cityId, email) }, 409);
    }
    const res = await call('/v1/auth/register', { body: registrationBody('customer', cityId, email) });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it(`allows ${RULES.registrationsPerIp.limit} sign-ups per IP an hour, and a refused one writes nothing`, async () => {
    const ip = randomIp();
    await prefill('ip', ip, 'register', RULES.registrationsPerIp, RULES.registrationsPerIp.limit - 1);
    await callJson('/v1/auth/register', { body: registrationBody('customer', cityId), ip }, 201);
    const body = registrationBody('customer', cityId);
    const res = await call('/v1/auth/register', { body, ip });
    expect(res.status).toBe(429);
    const [row] = await testDb().execute<{ n: number }>(sql`select count(*)::int as n from user_profiles where lower(email) = lower(${body.email})`);
    expect(Number(row!.n)).toBe(0);
  });
});

describe('RateLimiter Durable Object', () => {
  const rule = { limit: 3, windowSeconds: 60 };

  it('keeps its counts across an eviction', async () => {
    const stub = limiter(`test:evict:${crypto.randomUUID()}`);
    await stub.apply([{ bucket: 'b', rule, op: 'consume' }, { bucket: 'b', rule, op: 'consume' }]);
    await evictDurableObject(stub);
    const [d] = await stub.apply([{ bucket: 'b', rule, op: 'consume' }]);
    expect(d).toMatchObject({ allowed: true, count: 3 });
    const [refused] = await stub.apply([{ bucket: 'b', rule, op: 'consume' }]);
    expect(refused).toMatchObject({ allowed: false, count: 3 });
    expect(refused!.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('deletes its storage with the alarm once every hit has expired', async () => {
    const stub = limiter(`test:alarm:${crypto.randomUUID()}`);
    await stub.apply([{ bucket: 'b', rule, op: 'consume' }]);
    expect(await stub.size()).toBe(1);
    // Not yet expired: the alarm keeps the hit and stays armed.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.size()).toBe(1);
    await runInDurableObject(stub, (_instance: RateLimiter, state) => {
      state.storage.sql.exec('UPDATE hits SET at = at - 120000, expires_at = expires_at - 120000');
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await runInDurableObject(stub, async (_instance: RateLimiter, state) => {
      expect(await state.storage.getAlarm()).toBeNull();
      expect(state.storage.sql.databaseSize).toBeLessThan(16 * 1024);
    });
    expect(await stub.size()).toBe(0);
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    // And it works again afterwards.
    const [d] = await stub.apply([{ bucket: 'b', rule, op: 'consume' }]);
    expect(d).toMatchObject({ allowed: true, count: 1 });
  });
});
