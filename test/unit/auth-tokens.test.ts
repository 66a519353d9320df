import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_TTL_SECONDS, InvalidTokenError, issueAccessToken, verifyAccessToken } from '../../workers/services/auth/tokens';

const key = (kid: string, fill: string) => ({ kid, secret: fill.repeat(40) });
const KEYS_V1 = JSON.stringify([key('k1', 'a')]);
const KEYS_ROTATED = JSON.stringify([key('k2', 'b'), key('k1', 'a')]);
const KEYS_V2_ONLY = JSON.stringify([key('k2', 'b')]);
const claims = { sub: 'usr_test', role: 'merchant' as const, mid: 'mer_x', mrole: 'owner' as const, sid: 'fam_y' };

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return error instanceof InvalidTokenError ? error.reason : `threw ${String(error)}`;
  }
}

describe('access tokens', () => {
  it('round-trip the principal', async () => {
    const { token, expiresAt } = await issueAccessToken(KEYS_V1, claims, 1_000_000);
    expect(expiresAt).toBe(1_000_000 + ACCESS_TOKEN_TTL_SECONDS);
    expect(await verifyAccessToken(KEYS_V1, token, 1_000_010)).toEqual({
      type: 'user',
      userId: 'usr_test',
      role: 'merchant',
      merchantId: 'mer_x',
      merchantRole: 'owner',
      sessionId: 'fam_y',
    });
  });

  it('expire after 15 minutes', async () => {
    const { token } = await issueAccessToken(KEYS_V1, claims, 1_000_000);
    expect(await reason(verifyAccessToken(KEYS_V1, token, 1_000_000 + 15 * 60 - 1))).toBe('accepted');
    expect(await reason(verifyAccessToken(KEYS_V1, token, 1_000_000 + 15 * 60 + 1))).toBe('expired');
  });

  it('rotate keys by kid: the first key signs, every listed key verifies, a dropped key no longer does', async () => {
    const old = await issueAccessToken(KEYS_V1, claims);
    const fresh = await issueAccessToken(KEYS_ROTATED, claims);
    expect(JSON.parse(atob(fresh.token.split('.')[0]!)).kid).toBe('k2');
    expect(await reason(verifyAccessToken(KEYS_ROTATED, old.token))).toBe('accepted');
    expect(await reason(verifyAccessToken(KEYS_ROTATED, fresh.token))).toBe('accepted');
    expect(await reason(verifyAccessToken(KEYS_V2_ONLY, old.token))).toBe('unknown_key');
  });

  it('refuse a tampered signature, a token signed with another secret under a known kid, and alg none', async () => {
    const { token } = await issueAccessToken(KEYS_V1, claims);
    const [h, p, s] = token.split('.') as [string, string, string];
    const tampered = `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`;
    expect(await reason(verifyAccessToken(KEYS_V1, tampered))).toBe('invalid');
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer('delivery-platform')
      .setAudience('delivery-platform-api')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('x'.repeat(40)));
    expect(await reason(verifyAccessToken(KEYS_V1, forged))).toBe('invalid');
    const none = `${btoa(JSON.stringify({ alg: 'none', kid: 'k1' }))}.${p}.`;
    expect(await reason(verifyAccessToken(KEYS_V1, none))).not.toBe('accepted');
  });

  it('refuse a token for another audience or issuer, or with an unknown role', async () => {
    const secret = new TextEncoder().encode('a'.repeat(40));
    const sign = (c: Record<string, unknown>, iss: string, aud: string) =>
      new SignJWT(c).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).setIssuer(iss).setAudience(aud).setIssuedAt().setExpirationTime('5m').sign(secret);
    expect(await reason(verifyAccessToken(KEYS_V1, await sign(claims, 'delivery-platform', 'delivery-platform-api')))).toBe('accepted');
    expect(await reason(verifyAccessToken(KEYS_V1, await sign(claims, 'someone-else', 'delivery-platform-api')))).toBe('invalid');
    expect(await reason(verifyAccessToken(KEYS_V1, await sign(claims, 'delivery-platform', 'another-api')))).toBe('invalid');
    expect(await reason(verifyAccessToken(KEYS_V1, await sign({ ...claims, role: 'root' }, 'delivery-platform', 'delivery-platform-api')))).toBe('invalid');
  });

  it('refuse a token signed with the real key that lacks exp, iat, sid or sub, or claims more than 15 minutes of life (ADR 0082)', async () => {
    const secret = new TextEncoder().encode('a'.repeat(40));
    const now = Math.floor(Date.now() / 1000);
    const full = { ...claims, iss: 'delivery-platform', aud: 'delivery-platform-api', iat: now, exp: now + 300 };
    const sign = (c: Record<string, unknown>) => new SignJWT(c).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(secret);
    expect(await reason(verifyAccessToken(KEYS_V1, await sign(full)))).toBe('accepted');
    for (const missing of ['exp', 'iat', 'sid', 'sub', 'iss', 'aud'] as const) {
      const { [missing]: _gone, ...rest } = full;
      expect(await reason(verifyAccessToken(KEYS_V1, await sign(rest))), missing).not.toBe('accepted');
    }
    expect(await reason(verifyAccessToken(KEYS_V1, await sign({ ...full, sid: '' })))).toBe('invalid');
    expect(await reason(verifyAccessToken(KEYS_V1, await sign({ ...full, exp: now + 86_400 })))).toBe('invalid');
    expect(await reason(verifyAccessToken(KEYS_V1, await sign({ ...full, iat: now + 120, exp: now + 400 })))).toBe('invalid');
  });
});
