/**
 * Known devices (ADR 0088): a successful sign-in gives the client a signed
 * `device` token (a cookie for browsers, a body field for apps), bound to the
 * account's email. Presented again at sign-in, it takes the attempt out of
 * the account-wide throttle that strangers' failures fill: a device that has
 * signed in before keeps signing in whatever an attacker does elsewhere, and
 * has its own, per-device, failure limit instead (a stolen device token buys
 * an attacker no more than a few guesses an hour).
 *
 * Stateless: an HS256 JWT under the access tokens' keys (so it rotates with
 * them) but another audience, so neither kind is accepted as the other.
 */
import { SignJWT, jwtVerify } from 'jose';
import { newId } from '../../../db/ids';
import { keyByKid, parseSigningKeys } from './tokens';

export const DEVICE_TOKEN_TTL_SECONDS = 180 * 24 * 3600;
export const DEVICE_COOKIE = 'device';
const ISSUER = 'delivery-platform';
const AUDIENCE = 'delivery-platform-device';

/** A device token for the account named by `accountSubject` (throttle.ts subject of the email); keeps the device id when given. */
export async function issueDeviceToken(rawKeys: string, accountSubject: string, deviceId: string = newId('dev')): Promise<{ token: string; deviceId: string }> {
  const [current] = parseSigningKeys(rawKeys);
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', kid: current!.kid, typ: 'device+jwt' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(accountSubject)
    .setJti(deviceId)
    .setIssuedAt()
    .setExpirationTime(`${DEVICE_TOKEN_TTL_SECONDS}s`)
    .sign(current!.key);
  return { token, deviceId };
}

/** The device id when the token is genuine, unexpired and was issued for this account; otherwise null. */
export async function knownDevice(rawKeys: string, token: string | undefined, accountSubject: string): Promise<string | null> {
  if (!token || token.length > 2000) return null;
  const keys = parseSigningKeys(rawKeys);
  try {
    const { payload } = await jwtVerify(
      token,
      keyByKid(keys),
      { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], requiredClaims: ['sub', 'jti', 'exp', 'iat'] },
    );
    return payload.sub === accountSubject && typeof payload.jti === 'string' ? payload.jti : null;
  } catch {
    return null;
  }
}
