import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditLog, refreshTokens } from '../../db/schema/index';
import { hashRefreshToken } from '../../workers/services/auth/sessions';
import { ACCESS_TOKEN_TTL_SECONDS, issueAccessToken } from '../../workers/services/auth/tokens';
import { call, callJson, createCity, login, register, testDb, type Account } from './auth-helpers';

let cityId: string;
let customer: Account;
beforeAll(async () => {
  cityId = await createCity();
  customer = await register('customer', cityId);
});

const decode = (jwt: string, part: 0 | 1) => JSON.parse(atob(jwt.split('.')[part]!.replace(/-/g, '+').replace(/_/g, '/')));
const meStatus = async (token: string) => (await call('/v1/me', { token })).status;

describe('access tokens', () => {
  it('are HS256 JWTs with a key id, valid at most 15 minutes', () => {
    const header = decode(customer.accessToken, 0);
    const claims = decode(customer.accessToken, 1);
    expect(header).toMatchObject({ alg: 'HS256', typ: 'JWT', kid: expect.any(String) });
    expect(JSON.parse(env.JWT_SIGNING_KEYS)[0].kid).toBe(header.kid);
    expect(claims.exp - claims.iat).toBe(ACCESS_TOKEN_TTL_SECONDS);
    expect(ACCESS_TOKEN_TTL_SECONDS).toBeLessThanOrEqual(15 * 60);
    expect(claims).toMatchObject({ sub: customer.user.id, role: 'customer', sid: expect.stringMatching(/^fam_/) });
  });

  it('are refused once expired', async () => {
    const past = Math.floor(Date.now() / 1000) - ACCESS_TOKEN_TTL_SECONDS - 5;
    const { token } = await issueAccessToken(env.JWT_SIGNING_KEYS, { sub: customer.user.id, role: 'customer', sid: decode(customer.accessToken, 1).sid }, past);
    const res = await callJson<{ detail: string }>('/v1/me', { token }, 401);
    expect(res.body.detail).toMatch(/expired/);
    expect(res.res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('are refused with a tampered signature or a tampered payload', async () => {
    const [h, p, s] = customer.accessToken.split('.') as [string, string, string];
    const flipped = `${s.slice(0, -2)}${s.at(-2) === 'A' ? 'B' : 'A'}${s.at(-1)}`;
    expect(await meStatus(`${h}.${p}.${flipped}`)).toBe(401);
    const claims = { ...decode(customer.accessToken, 1), role: 'ops' };
    const forged = btoa(JSON.stringify(claims)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    expect(await meStatus(`${h}.${forged}.${s}`)).toBe(401);
    expect(await meStatus(customer.accessToken)).toBe(200);
  });

  it('are refused with an unknown key id, or signed by another key under a known id', async () => {
    const [known] = JSON.parse(env.JWT_SIGNING_KEYS) as { kid: string; secret: string }[];
    const claims = { sub: customer.user.id, role: 'customer', sid: decode(customer.accessToken, 1).sid };
    const sign = (kid: string, secret: string) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid, typ: 'JWT' })
        .setIssuer('delivery-platform')
        .setAudience('delivery-platform-api')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(secret));
    expect(await meStatus(await sign('retired-key', known!.secret))).toBe(401);
    expect(await meStatus(await sign(known!.kid, 'an-attacker-secret-that-is-long-enough-0000'))).toBe(401);
    // The same claims signed properly pass: the refusals above are about the key.
    expect(await meStatus(await sign(known!.kid, known!.secret))).toBe(200);
  });

  it('are refused with alg "none"', async () => {
    const claims = { ...decode(customer.accessToken, 1) };
    const b64 = (v: unknown) => btoa(JSON.stringify(v)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    expect(await meStatus(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`)).toBe(401);
  });

  it('travel in ?access_token= on WebSocket upgrades only', async () => {
    const query = `/v1/me?access_token=${encodeURIComponent(customer.accessToken)}`;
    expect((await call(query)).status).toBe(401);
    expect((await call(query, { headers: { Upgrade: 'websocket' } })).status).toBe(200);
  });
});

describe('refresh tokens', () => {
  it('are stored only as a SHA-256 hash', async () => {
    const account = await register('customer', cityId);
    const rows = await testDb().select().from(refreshTokens).where(eq(refreshTokens.userId, account.user.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tokenHash).toBe(await hashRefreshToken(account.refreshToken));
    expect(JSON.stringify(rows)).not.toContain(account.refreshToken);
  });

  it('rotate on every use: the answer carries a new pair and the old token is spent', async () => {
    const account = await login(customer.email);
    const first = await callJson<{ accessToken: string; refreshToken: string; expiresIn: number }>('/v1/auth/refresh', { body: { refreshToken: account.refreshToken } }, 200);
    expect(first.body.refreshToken).not.toBe(account.refreshToken);
    expect(first.body.expiresIn).toBe(ACCESS_TOKEN_TTL_SECONDS);
    expect(await meStatus(first.body.accessToken)).toBe(200);
    expect(decode(first.body.accessToken, 1).sid).toBe(decode(account.accessToken, 1).sid);
    const second = await callJson<{ refreshToken: string }>('/v1/auth/refresh', { body: { refreshToken: first.body.refreshToken } }, 200);
    expect(second.body.refreshToken).not.toBe(first.body.refreshToken);
  });

  it('reuse of a rotated token revokes the whole family and is audited', async () => {
    const account = await login(customer.email);
    const rotated = await callJson<{ refreshToken: string }>('/v1/auth/refresh', { body: { refreshToken: account.refreshToken } }, 200);
    // The thief replays the old token: refused, and the legitimate successor dies with the family.
    const replay = await callJson<{ detail: string }>('/v1/auth/refresh', { body: { refreshToken: account.refreshToken } }, 401);
    expect(replay.body.detail).toMatch(/already used/);
    await callJson('/v1/auth/refresh', { body: { refreshToken: rotated.body.refreshToken } }, 401);

    const familyId = decode(account.accessToken, 1).sid as string;
    const live = await testDb().select().from(refreshTokens).where(eq(refreshTokens.familyId, familyId));
    expect(live.length).toBeGreaterThanOrEqual(2);
    expect(live.every((t) => t.revokedAt !== null)).toBe(true);
    const audit = await testDb()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'auth.refresh_reuse'), eq(auditLog.targetId, customer.user.id)));
    expect(audit.some((a) => (a.metadata as { familyId?: string }).familyId === familyId)).toBe(true);

    // Another sign-in (another family) is untouched.
    await callJson('/v1/auth/refresh', { body: { refreshToken: customer.refreshToken } }, 200).then((r) => {
      customer = { ...customer, refreshToken: (r.body as { refreshToken: string }).refreshToken };
    });
  });

  it('two concurrent uses of one token: one rotation at most, and the family ends revoked', async () => {
    const account = await login(customer.email);
    const results = await Promise.all([0, 1].map(() => call('/v1/auth/refresh', { body: { refreshToken: account.refreshToken } })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(1);
    expect(statuses).toContain(401);
    const familyId = decode(account.accessToken, 1).sid as string;
    const rows = await testDb().select().from(refreshTokens).where(eq(refreshTokens.familyId, familyId));
    expect(rows.every((t) => t.revokedAt !== null)).toBe(true);
  });

  it('are refused when unknown or malformed', async () => {
    await callJson('/v1/auth/refresh', { body: { refreshToken: 'rt_' + 'A'.repeat(43) } }, 401);
    await callJson('/v1/auth/refresh', { body: { refreshToken: 'nonsense' } }, 401);
    await callJson('/v1/auth/refresh', { body: {} }, 422);
  });
});

describe('logout', () => {
  it('revokes the family of the session; other sessions stay', async () => {
    const a = await login(customer.email);
    const b = await login(customer.email);
    const res = await call('/v1/auth/logout', { method: 'POST', token: a.accessToken });
    expect(res.status).toBe(204);
    await callJson('/v1/auth/refresh', { body: { refreshToken: a.refreshToken } }, 401);
    await callJson('/v1/auth/refresh', { body: { refreshToken: b.refreshToken } }, 200);
    const audit = await testDb().select().from(auditLog).where(and(eq(auditLog.action, 'auth.logout'), eq(auditLog.actorId, customer.user.id)));
    expect(audit.length).toBeGreaterThan(0);
  });

  it('also revokes the family of a refresh token of the caller given in the body, but not of someone else', async () => {
    const a = await login(customer.email);
    const b = await login(customer.email);
    const other = await register('customer', cityId);
    await call('/v1/auth/logout', { body: { refreshToken: b.refreshToken }, token: a.accessToken }).then((r) => expect(r.status).toBe(204));
    await callJson('/v1/auth/refresh', { body: { refreshToken: b.refreshToken } }, 401);
    // a's session ended with that logout (its access token now gets 401): c signs out instead.
    const c = await login(customer.email);
    await call('/v1/auth/logout', { body: { refreshToken: other.refreshToken }, token: c.accessToken }).then((r) => expect(r.status).toBe(204));
    await callJson('/v1/auth/refresh', { body: { refreshToken: other.refreshToken } }, 200);
  });

  it('needs a signed-in user', async () => {
    expect((await call('/v1/auth/logout', { method: 'POST' })).status).toBe(401);
  });
});
