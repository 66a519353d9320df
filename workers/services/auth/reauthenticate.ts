/**
 * Asking a signed-in user for its password again before something that
 * cannot be undone (ASVS V3.7.1): a password change, handing a business
 * over, closing it. Wrong answers are throttled per user (5 in 15 minutes),
 * so a stolen access token is not a password oracle.
 */
import { eq } from 'drizzle-orm';
import { passwordCredentials } from '../../../db/schema/index';
import type { Db } from './accounts';
import { verifyPassword, type StoredHash } from './password';
import { RULES, retryAfterOf, subjectName, type Limiter } from './throttle';

export type ReauthOutcome = { kind: 'ok' } | { kind: 'wrong_password' } | { kind: 'no_password' } | { kind: 'throttled'; retryAfterSeconds: number };

export async function reauthenticate(ctx: { db: Db; limiter: Limiter }, userId: string, password: string): Promise<ReauthOutcome> {
  const subject = await subjectName('user', userId);
  const op = { bucket: 'password_change_fail', rule: RULES.passwordChangeFailuresPerUser };
  // The slot is taken before the check (and given back on success): concurrent guesses cannot exceed the limit.
  const refused = retryAfterOf(await ctx.limiter.apply(subject, [{ ...op, op: 'consume' }]));
  if (refused > 0) return { kind: 'throttled', retryAfterSeconds: refused };
  const [row] = await ctx.db.select().from(passwordCredentials).where(eq(passwordCredentials.userId, userId));
  if (!row) return { kind: 'no_password' };
  const stored: StoredHash = { hash: row.hash, algorithm: row.algorithm, params: row.params as unknown as StoredHash['params'] };
  if (!(await verifyPassword(password, stored))) return { kind: 'wrong_password' };
  await ctx.limiter.apply(subject, [{ ...op, op: 'refund' }]);
  return { kind: 'ok' };
}
