/**
 * The live sessions of one account, as plain logic over a narrow store so it
 * runs (and is unit tested) without workerd (docs/decisions/0082). A session
 * is a refresh-token family: its id is the access token's `sid` claim.
 *
 * It is an allow-list: an access token is honoured only while its session is
 * known here, not revoked, not expired, and the account is not erased. An
 * unknown session is refused, so nothing issued before a revocation can slip
 * through a gap in a deny-list; a refresh of a family that Postgres still
 * holds live adopts it (sessions opened before this registry existed).
 */

export type RevocationReason =
  | 'logout'
  | 'password_change'
  | 'erasure'
  | 'staff_removed'
  | 'staff_role_changed'
  | 'ownership_transferred'
  | 'business_closed'
  | 'refresh_reuse'
  | 'operator';

export interface SessionRow {
  sid: string;
  openedAt: number;
  /** When the family's refresh token stops being usable; each refresh moves it. */
  expiresAt: number;
  revokedAt: number | null;
  reason: RevocationReason | null;
}

export type AccountStatus = 'active' | 'erased';

/** What the logic needs from storage. Times are epoch milliseconds. */
export interface SessionStore {
  status(): AccountStatus;
  setStatus(status: AccountStatus): void;
  get(sid: string): SessionRow | null;
  put(row: SessionRow): void;
  /** Sessions not revoked and not expired at `now`. */
  live(now: number): SessionRow[];
}

export type CheckOutcome =
  | { live: true }
  | { live: false; reason: 'unknown' | 'revoked' | 'expired' | 'account_erased' };

export function checkSession(store: SessionStore, sid: string, now: number): CheckOutcome {
  if (store.status() === 'erased') return { live: false, reason: 'account_erased' };
  const row = store.get(sid);
  if (!row) return { live: false, reason: 'unknown' };
  if (row.revokedAt !== null) return { live: false, reason: 'revoked' };
  if (row.expiresAt <= now) return { live: false, reason: 'expired' };
  return { live: true };
}

export type OpenOutcome = { opened: true } | { opened: false; reason: 'revoked' | 'account_erased' };

/**
 * A sign-in opens a session; a refresh extends it (or adopts a family opened
 * before the registry). A revoked session never comes back, and an erased
 * account opens none.
 */
export function openSession(store: SessionStore, sid: string, expiresAt: number, now: number): OpenOutcome {
  if (store.status() === 'erased') return { opened: false, reason: 'account_erased' };
  const row = store.get(sid);
  if (row && row.revokedAt !== null) return { opened: false, reason: 'revoked' };
  store.put({ sid, openedAt: row?.openedAt ?? now, expiresAt: Math.max(expiresAt, row?.expiresAt ?? 0), revokedAt: null, reason: null });
  return { opened: true };
}

/**
 * Revokes one session. An unknown one is recorded as revoked too, so a
 * family revoked before the registry ever saw it cannot be adopted later.
 */
export function revokeSession(store: SessionStore, sid: string, reason: RevocationReason, now: number, keepUntil: number): boolean {
  const row = store.get(sid);
  if (row && row.revokedAt !== null) return false;
  store.put({ sid, openedAt: row?.openedAt ?? now, expiresAt: Math.max(row?.expiresAt ?? 0, keepUntil), revokedAt: now, reason });
  return true;
}

/** Revokes every live session; returns their ids (the sockets opened in them are closed by the caller). */
export function revokeAllSessions(store: SessionStore, reason: RevocationReason, now: number): string[] {
  const live = store.live(now);
  for (const row of live) store.put({ ...row, revokedAt: now, reason });
  return live.map((r) => r.sid);
}

/** Erasure: every session revoked and no new one ever opened for this account. */
export function eraseAccount(store: SessionStore, now: number): string[] {
  const sids = revokeAllSessions(store, 'erasure', now);
  store.setStatus('erased');
  return sids;
}
