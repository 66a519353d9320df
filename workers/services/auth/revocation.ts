/**
 * Ending sessions at once (ADR 0082). Refresh tokens live in Postgres and are
 * revoked in the caller's transaction, as before; what ends the access tokens
 * already out is the AccountSessions object, which every request asks; what
 * ends the live sockets opened in those sessions is the `LiveSocketCloser`.
 *
 * Order matters, and each step fails safe: the registry is told first (a
 * failure there aborts the change with a 503, nothing half done), the sockets
 * last (a socket that cannot be reached now was opened in a session that is
 * already refused everywhere else).
 */
import { log } from '../../../domain/log';
import type { RevocationReason, SessionRegistry } from './session-registry';

/** Which live sockets a revoked user may hold: their business' feed, their driver channel. */
export interface SocketHolder {
  userId: string;
  merchantIds?: readonly string[];
  driverId?: string;
}

export interface LiveSocketCloser {
  /** Closes the user's sockets opened in these sessions ('all': whatever session). */
  close(holder: SocketHolder, sessions: readonly string[] | 'all', reason: RevocationReason): Promise<void>;
}

export interface RevocationDeps {
  sessions: SessionRegistry;
  sockets?: LiveSocketCloser;
}

async function closeSockets(deps: RevocationDeps, holder: SocketHolder, sessions: readonly string[] | 'all', reason: RevocationReason): Promise<void> {
  if (!deps.sockets || (sessions !== 'all' && sessions.length === 0)) return;
  try {
    await deps.sockets.close(holder, sessions, reason);
  } catch (error) {
    // Every request of those sessions is already refused; a socket missed here is refused at its next upgrade.
    log.warn('revocation: live sockets not closed', { userId: holder.userId, reason, error });
  }
}

/** One session (logout). */
export async function endSession(deps: RevocationDeps, holder: SocketHolder, sid: string, reason: RevocationReason): Promise<void> {
  await deps.sessions.revoke(holder.userId, sid, reason);
  await closeSockets(deps, holder, [sid], reason);
}

/** Every session of the user (password change, staff removal or role change, ownership transfer). */
export async function endAllSessions(deps: RevocationDeps, holder: SocketHolder, reason: RevocationReason): Promise<string[]> {
  const sids = await deps.sessions.revokeAll(holder.userId, reason);
  await closeSockets(deps, holder, 'all', reason);
  return sids;
}

/** Erasure: every session, and the account never opens one again. */
export async function endAccount(deps: RevocationDeps, holder: SocketHolder): Promise<string[]> {
  const sids = await deps.sessions.erase(holder.userId);
  await closeSockets(deps, holder, 'all', 'erasure');
  return sids;
}
