/**
 * Access tokens: short-lived JWTs (HS256, 15 minutes) carrying a key id, so
 * signing keys rotate without logging everyone out: JWT_SIGNING_KEYS is a JSON
 * list `[{ kid, secret }]`, the first signs, all of them verify. Only this
 * Worker issues and verifies them, so a shared secret is enough (no JWKS).
 */
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { MerchantStaffRole, Principal, UserRole } from './principal';

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
const ISSUER = 'delivery-platform';
const AUDIENCE = 'delivery-platform-api';

interface SigningKey {
  kid: string;
  key: Uint8Array;
}

const keyCache = new Map<string, SigningKey[]>();

export function parseSigningKeys(raw: string): SigningKey[] {
  const cached = keyCache.get(raw);
  if (cached) return cached;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error('JWT_SIGNING_KEYS is not valid JSON');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new Error('JWT_SIGNING_KEYS must be a non-empty JSON array');
  const keys = parsed.map((entry: unknown) => {
    const { kid, secret } = (entry ?? {}) as { kid?: unknown; secret?: unknown };
    if (typeof kid !== 'string' || typeof secret !== 'string' || secret.length < 32) {
      throw new Error('each JWT signing key needs a string kid and a secret of at least 32 characters');
    }
    return { kid, key: new TextEncoder().encode(secret) };
  });
  keyCache.set(raw, keys);
  return keys;
}

export interface AccessClaims {
  sub: string;
  role: UserRole;
  mid?: string;
  mrole?: MerchantStaffRole;
  did?: string;
  /**
   * The refresh-token family (session) this token was issued in. Required: every
   * request checks it is still live (ADR 0082), so logout, erasure and staff
   * removal end access at once.
   */
  sid: string;
}

export async function issueAccessToken(
  rawKeys: string,
  claims: AccessClaims,
  now = Math.floor(Date.now() / 1000),
): Promise<{ token: string; expiresAt: number }> {
  const [current] = parseSigningKeys(rawKeys);
  const expiresAt = now + ACCESS_TOKEN_TTL_SECONDS;
  const token = await new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256', kid: current!.kid, typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(expiresAt)
    .setJti(crypto.randomUUID())
    .sign(current!.key);
  return { token, expiresAt };
}

export class InvalidTokenError extends Error {
  constructor(readonly reason: 'expired' | 'invalid' | 'unknown_key') {
    super(`access token ${reason}`);
  }
}

const ROLES: readonly UserRole[] = ['customer', 'merchant', 'driver', 'ops', 'admin'];

/**
 * Claims a token must carry, whoever signed it: a token signed with the real
 * key but without `exp` (or without `sid`, which the per-request session check
 * needs) is refused, not trusted for ever.
 */
const REQUIRED_CLAIMS = ['exp', 'iat', 'iss', 'aud', 'sub', 'sid'];

/** jose's key lookup over the configured signing keys: the key named by the token's `kid`, or an unknown_key refusal. */
export function keyByKid(keys: ReturnType<typeof parseSigningKeys>) {
  return (header: { kid?: string | undefined }) => {
    const match = keys.find((k) => k.kid === header.kid);
    if (!match) throw new InvalidTokenError('unknown_key');
    return match.key;
  };
}

/**
 * Verifies signature, key id, algorithm, issuer, audience, expiry and issue
 * time (not in the future, not older than a token's lifetime) and the
 * required claims; returns the principal. Whether its session is still live
 * is the auth middleware's second step.
 */
export async function verifyAccessToken(rawKeys: string, token: string, now?: number): Promise<Principal> {
  const keys = parseSigningKeys(rawKeys);
  try {
    const { payload } = await jwtVerify(
      token,
      keyByKid(keys),
      {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        requiredClaims: REQUIRED_CLAIMS,
        maxTokenAge: ACCESS_TOKEN_TTL_SECONDS,
        ...(now !== undefined ? { currentDate: new Date(now * 1000) } : {}),
      },
    );
    const role = payload.role as UserRole;
    if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || payload.sid.length === 0 || !ROLES.includes(role)) {
      throw new InvalidTokenError('invalid');
    }
    // This issuer never signs a longer life; a token that claims one was not made here.
    if (payload.exp! - payload.iat! > ACCESS_TOKEN_TTL_SECONDS) throw new InvalidTokenError('invalid');
    return {
      type: 'user',
      userId: payload.sub,
      role,
      ...(typeof payload.mid === 'string' ? { merchantId: payload.mid } : {}),
      ...(typeof payload.mrole === 'string' ? { merchantRole: payload.mrole as MerchantStaffRole } : {}),
      ...(typeof payload.did === 'string' ? { driverId: payload.did } : {}),
      sessionId: payload.sid,
    };
  } catch (error) {
    if (error instanceof InvalidTokenError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw new InvalidTokenError('expired');
    throw new InvalidTokenError('invalid');
  }
}
