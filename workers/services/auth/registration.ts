/**
 * Self-registration of customers, merchants (the business and its owner
 * account) and drivers. Operators are never created here: only by
 * `npm run ops:create` (scripts/create-operator.ts). Everything an account
 * needs is written in one transaction, so a refused sign-up leaves no row.
 */
import { eq } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { newId } from '../../../db/ids';
import { cities, drivers, merchantMembers, merchants } from '../../../db/schema/index';
import { recordAudit, userActor } from '../audit';
import { EmailTakenError, insertAccount, normalizeEmail, type Identity } from './accounts';
import { hashPassword } from './password';
import { startSession, type IssuedRefreshToken } from './sessions';
import { RULES, retryAfterOf, subjectName, type Limiter } from './throttle';

interface AccountFields {
  email: string;
  password: string;
  name: string;
  phone?: string | undefined;
}

export interface BusinessFields {
  name: string;
  kind: 'restaurant' | 'store' | 'pharmacy';
  address: string;
  location: { lat: number; lng: number };
  cityId: string;
}

export type RegistrationInput =
  | (AccountFields & { role: 'customer' })
  | (AccountFields & { role: 'merchant'; business: BusinessFields })
  | (AccountFields & { role: 'driver'; vehicle: 'bike' | 'scooter' | 'car'; cityId: string });

export type RegistrationOutcome =
  | { kind: 'ok'; identity: Identity; refresh: IssuedRefreshToken }
  | { kind: 'email_taken' }
  /** `path` is the field inside the body, e.g. `business.cityId`. */
  | { kind: 'unknown_city'; path: string }
  | { kind: 'throttled'; retryAfterSeconds: number };

export interface RegistrationContext {
  db: Database;
  limiter: Limiter;
  ip: string;
  requestId?: string;
}

export async function registerAccount(ctx: RegistrationContext, input: RegistrationInput): Promise<RegistrationOutcome> {
  const [ipSubject, emailSubject] = await Promise.all([subjectName('ip', ctx.ip), subjectName('account', normalizeEmail(input.email))]);
  const gates = await Promise.all([
    ctx.limiter.apply(ipSubject, [{ bucket: 'register', rule: RULES.registrationsPerIp, op: 'consume' }]),
    ctx.limiter.apply(emailSubject, [{ bucket: 'register', rule: RULES.registrationsPerEmail, op: 'consume' }]),
  ]);
  const retryAfterSeconds = retryAfterOf(gates.flat());
  if (retryAfterSeconds > 0) return { kind: 'throttled', retryAfterSeconds };

  const cityId = input.role === 'merchant' ? input.business.cityId : input.role === 'driver' ? input.cityId : undefined;
  if (cityId !== undefined) {
    const [city] = await ctx.db.select({ id: cities.id }).from(cities).where(eq(cities.id, cityId));
    if (!city) return { kind: 'unknown_city', path: input.role === 'merchant' ? 'business.cityId' : 'cityId' };
  }

  const password = await hashPassword(input.password);
  try {
    return await ctx.db.transaction(async (tx) => {
      const userId = await insertAccount(tx, { role: input.role, email: input.email, name: input.name, phone: input.phone ?? null, password });
      const identity: Identity = { userId, role: input.role, status: 'active' };
      if (input.role === 'merchant') {
        const merchantId = newId('mer');
        const b = input.business;
        await tx.insert(merchants).values({
          id: merchantId,
          cityId: b.cityId,
          name: b.name.trim(),
          kind: b.kind,
          address: b.address.trim(),
          lat: b.location.lat,
          lng: b.location.lng,
        });
        await tx.insert(merchantMembers).values({ merchantId, userId, role: 'owner' });
        Object.assign(identity, { merchantId, merchantRole: 'owner' });
      } else if (input.role === 'driver') {
        const driverId = newId('drv');
        await tx.insert(drivers).values({ id: driverId, userId, cityId: input.cityId, vehicle: input.vehicle });
        identity.driverId = driverId;
      }
      const refresh = await startSession(tx, userId);
      await recordAudit(tx, {
        actor: userActor(userId, input.role),
        action: 'auth.register',
        target: { type: 'user', id: userId },
        ip: ctx.ip,
        requestId: ctx.requestId ?? null,
        metadata: { role: input.role, ...(identity.merchantId ? { merchantId: identity.merchantId } : {}), ...(identity.driverId ? { driverId: identity.driverId } : {}) },
      });
      return { kind: 'ok' as const, identity, refresh };
    });
  } catch (error) {
    if (error instanceof EmailTakenError) return { kind: 'email_taken' };
    throw error;
  }
}
