/**
 * A signed-in user changes its password (ASVS V2.1.5/V2.1.6): the current
 * password is asked again, wrong guesses are throttled per account, and the
 * change ends every session of the account at once (ADR 0082) — a thief who
 * held a token or a socket is out — before a fresh session is opened for the
 * caller. The owner is told by email through the outbox (account notices).
 */
import { eq } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { passwordCredentials } from '../../../db/schema/index';
import { recordAudit, type AuditContext } from '../audit';
import { writeOutbox, outboxEvent } from '../outbox';
import { hashPassword } from './password';
import { reauthenticate } from './reauthenticate';
import { endAllSessions, type RevocationDeps, type SocketHolder } from './revocation';
import { revokeAllSessions, startSession, type IssuedRefreshToken } from './sessions';
import type { Limiter } from './throttle';

export interface PasswordChangeContext {
  db: Database;
  limiter: Limiter;
  revocation: RevocationDeps;
  audit: AuditContext;
}

export type PasswordChangeOutcome =
  | { kind: 'ok'; refresh: IssuedRefreshToken; sessionsEnded: number }
  | { kind: 'wrong_password' }
  | { kind: 'same_password' }
  | { kind: 'throttled'; retryAfterSeconds: number }
  | { kind: 'no_password' };

export async function changePassword(
  ctx: PasswordChangeContext,
  holder: SocketHolder,
  input: { currentPassword: string; newPassword: string },
): Promise<PasswordChangeOutcome> {
  const check = await reauthenticate(ctx, holder.userId, input.currentPassword);
  if (check.kind !== 'ok') return check;
  if (input.newPassword === input.currentPassword) return { kind: 'same_password' };

  const fresh = await hashPassword(input.newPassword);
  return ctx.db.transaction(async (tx) => {
    await tx.update(passwordCredentials).set({ hash: fresh.hash, algorithm: fresh.algorithm, params: { ...fresh.params } }).where(eq(passwordCredentials.userId, holder.userId));
    await revokeAllSessions(tx, holder.userId);
    // Before the commit: a registry that cannot be reached rolls the change back (503).
    const ended = await endAllSessions(ctx.revocation, holder, 'password_change');
    const refresh = await startSession(tx, holder.userId);
    await recordAudit(tx, { ...ctx.audit, action: 'auth.password_change', target: { type: 'user', id: holder.userId }, metadata: { sessionsEnded: ended.length } });
    await writeOutbox(tx, [outboxEvent('account.password_changed', { type: 'user', id: holder.userId }, { userId: holder.userId })]);
    return { kind: 'ok' as const, refresh, sessionsEnded: ended.length };
  });
}
