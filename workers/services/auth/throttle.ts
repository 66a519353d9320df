/**
 * Abuse limits on sign-in and sign-up (docs/decisions/0012-rate-limiting.md;
 * sign-in throttling that cannot be turned into a lockout: 0088).
 * The counting happens in the RateLimiter Durable Object, one object per
 * subject; this module holds the policy (which buckets, which limits) and the
 * subject names, and talks to the objects through the narrow `Limiter`
 * interface so the login logic can be tested with a fake.
 */
import type { LimitDecision, LimitOp, WindowRule } from '../../../durable-objects/rate-limiter/window';
import { sha256Hex } from '../digest';

export type { LimitDecision, LimitOp, WindowRule };

export interface Limiter {
  /** Applies the operations atomically to one subject's buckets. */
  apply(subject: string, ops: LimitOp[]): Promise<LimitDecision[]>;
}

export const RULES = {
  /** Any sign-in attempt from one IP: bounds the scrypt CPU one source can make us spend. */
  loginAttemptsPerIp: { limit: 20, windowSeconds: 60 },
  /**
   * Failed sign-ins from one IP, whatever the account (credential stuffing): 10 free, then growing
   * delays (1 s, 2 s, 4 s … at most 5 min between failures), and never more than 100 an hour.
   */
  loginFailuresPerIp: { limit: 100, windowSeconds: 3600, delay: { after: 10, baseSeconds: 1, maxSeconds: 300 } },
  /**
   * Failed sign-ins against one account from one IP: 3 free, then delays doubling up to 15 minutes.
   * Only that pair slows down: the owner, elsewhere, is not affected (ADR 0088).
   */
  loginFailuresPerAccountIp: { limit: 100, windowSeconds: 3600, delay: { after: 3, baseSeconds: 1, maxSeconds: 900 } },
  /**
   * Failed sign-ins against one account from devices it never signed in from, from anywhere
   * (a botnet): 10 free, then delays doubling up to 1 minute — at most about 75 guesses an hour
   * (ASVS V2.2.1 asks ≤ 100), while the owner waits a minute at worst and never on a known device.
   */
  loginFailuresPerAccount: { limit: 100, windowSeconds: 3600, delay: { after: 10, baseSeconds: 1, maxSeconds: 60 } },
  /** Failed sign-ins with one known device's token (it could be stolen): 5 free, then delays up to 15 minutes. */
  loginFailuresPerDevice: { limit: 100, windowSeconds: 3600, delay: { after: 5, baseSeconds: 1, maxSeconds: 900 } },
  /** Sign-ups from one IP: account farming, and email enumeration through 409. */
  registrationsPerIp: { limit: 20, windowSeconds: 3600 },
  /** Sign-up attempts for one email address. */
  registrationsPerEmail: { limit: 5, windowSeconds: 3600 },
  /** Token refreshes from one IP: cheap each, but a flood is still a flood. */
  refreshesPerIp: { limit: 120, windowSeconds: 60 },
  /**
   * Wrong delivery PINs for one order: a 4-digit code must not be guessable by
   * trying (10,000 codes). After 5 wrong ones in an hour the PIN is refused for
   * that order; the driver can still deliver with a proof photo.
   */
  deliveryPinFailuresPerOrder: { limit: 5, windowSeconds: 3600 },
  /** Wrong passwords when asked again (password change, ownership transfer, closure), per signed-in user: a stolen access token does not become a password oracle. */
  passwordChangeFailuresPerUser: { limit: 5, windowSeconds: 900 },
} as const satisfies Record<string, WindowRule>;

/** Failure counts at which a burst is written to the audit log (each crossed once per window). */
export const BURST_THRESHOLDS = [10, 50, 100] as const;

export function crossedThreshold(decision: Pick<LimitDecision, 'before' | 'count'>): number | undefined {
  return BURST_THRESHOLDS.find((t) => decision.before < t && decision.count >= t);
}

/**
 * The Durable Object name of a subject. Hashed, so object names (visible in
 * the dashboard and logs) carry no email address or IP.
 */
export async function subjectName(kind: 'ip' | 'account' | 'account_ip' | 'device' | 'user' | 'order', value: string): Promise<string> {
  return `${kind}:${await sha256Hex(`${kind}:${value}`)}`;
}

/** The largest Retry-After among the refused decisions (0 when none was refused). */
export function retryAfterOf(decisions: readonly LimitDecision[]): number {
  return decisions.reduce((max, d) => (d.allowed ? max : Math.max(max, d.retryAfterSeconds)), 0);
}

export class LimiterUnavailableError extends Error {
  constructor(cause: unknown) {
    super('rate limiter unavailable', { cause });
  }
}
