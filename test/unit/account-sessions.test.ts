import { describe, expect, it } from 'vitest';
import {
  checkSession,
  eraseAccount,
  openSession,
  revokeAllSessions,
  revokeSession,
  type AccountStatus,
  type SessionRow,
  type SessionStore,
} from '../../durable-objects/account-sessions/registry';

class MemoryStore implements SessionStore {
  rows = new Map<string, SessionRow>();
  state: AccountStatus = 'active';
  status = () => this.state;
  setStatus = (s: AccountStatus) => void (this.state = s);
  get = (sid: string) => this.rows.get(sid) ?? null;
  put = (row: SessionRow) => void this.rows.set(row.sid, row);
  live = (now: number) => [...this.rows.values()].filter((r) => r.revokedAt === null && r.expiresAt > now);
}

const DAY = 86_400_000;

describe('account session registry (ADR 0082)', () => {
  it('honours an opened session until it expires, and nothing it never saw', () => {
    const store = new MemoryStore();
    expect(checkSession(store, 'fam_a', 0)).toEqual({ live: false, reason: 'unknown' });
    expect(openSession(store, 'fam_a', 30 * DAY, 0)).toEqual({ opened: true });
    expect(checkSession(store, 'fam_a', DAY)).toEqual({ live: true });
    expect(checkSession(store, 'fam_a', 30 * DAY)).toEqual({ live: false, reason: 'expired' });
  });

  it('a refresh extends the session, never shortens it', () => {
    const store = new MemoryStore();
    openSession(store, 'fam_a', 30 * DAY, 0);
    openSession(store, 'fam_a', 40 * DAY, 10 * DAY);
    openSession(store, 'fam_a', 35 * DAY, 11 * DAY);
    expect(store.get('fam_a')).toMatchObject({ openedAt: 0, expiresAt: 40 * DAY });
  });

  it('revokes one session; it never opens again, and others stay live', () => {
    const store = new MemoryStore();
    openSession(store, 'fam_a', 30 * DAY, 0);
    openSession(store, 'fam_b', 30 * DAY, 0);
    expect(revokeSession(store, 'fam_a', 'logout', 1, 30 * DAY)).toBe(true);
    expect(revokeSession(store, 'fam_a', 'logout', 2, 30 * DAY)).toBe(false);
    expect(checkSession(store, 'fam_a', 3)).toEqual({ live: false, reason: 'revoked' });
    expect(openSession(store, 'fam_a', 60 * DAY, 3)).toEqual({ opened: false, reason: 'revoked' });
    expect(checkSession(store, 'fam_b', 3)).toEqual({ live: true });
  });

  it('a session revoked before the registry saw it cannot be adopted by a refresh later', () => {
    const store = new MemoryStore();
    revokeSession(store, 'fam_old', 'logout', 5, 30 * DAY);
    expect(openSession(store, 'fam_old', 30 * DAY, 6)).toEqual({ opened: false, reason: 'revoked' });
  });

  it('revokes every live session at once, and a session opened afterwards is live', () => {
    const store = new MemoryStore();
    openSession(store, 'fam_a', 30 * DAY, 0);
    openSession(store, 'fam_b', 30 * DAY, 0);
    revokeSession(store, 'fam_c', 'logout', 0, 30 * DAY);
    expect(revokeAllSessions(store, 'password_change', 1).sort()).toEqual(['fam_a', 'fam_b']);
    expect(checkSession(store, 'fam_a', 2).live).toBe(false);
    expect(store.get('fam_c')!.reason).toBe('logout');
    openSession(store, 'fam_d', 30 * DAY, 2);
    expect(checkSession(store, 'fam_d', 3)).toEqual({ live: true });
  });

  it('erasure ends every session and no session opens again', () => {
    const store = new MemoryStore();
    openSession(store, 'fam_a', 30 * DAY, 0);
    expect(eraseAccount(store, 1)).toEqual(['fam_a']);
    expect(checkSession(store, 'fam_a', 2)).toEqual({ live: false, reason: 'account_erased' });
    expect(openSession(store, 'fam_new', 30 * DAY, 2)).toEqual({ opened: false, reason: 'account_erased' });
    expect(checkSession(store, 'fam_new', 3)).toEqual({ live: false, reason: 'account_erased' });
  });
});
