import { applySchemaSteps } from '../sqlite-schema';
import type { AccountStatus, RevocationReason, SessionRow, SessionStore } from './registry';

/**
 * The registry's SQLite schema, applied in order and recorded in
 * `schema_version`. Append new steps; never edit a step that has shipped.
 */
export const SESSION_SCHEMA_STEPS: readonly string[] = [
  // 1: one row per session (refresh-token family) and the account's status.
  `CREATE TABLE IF NOT EXISTS sessions (
     sid TEXT PRIMARY KEY,
     opened_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     revoked_at INTEGER,
     reason TEXT
   );
   CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at);
   CREATE TABLE IF NOT EXISTS account (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     status TEXT NOT NULL
   );`,
];

interface Row {
  sid: string;
  opened_at: number;
  expires_at: number;
  revoked_at: number | null;
  reason: string | null;
  [column: string]: SqlStorageValue;
}

const toSession = (r: Row): SessionRow => ({
  sid: r.sid,
  openedAt: r.opened_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  reason: r.reason as RevocationReason | null,
});

/** Narrow repository over the object's SQL storage; the registry logic never sees SqlStorage. */
export class SessionRepository implements SessionStore {
  /** The status is read on every check: kept in memory, rebuilt from storage after an eviction. */
  private cachedStatus: AccountStatus | undefined;

  constructor(private readonly sql: SqlStorage) {}

  migrate(): number {
    this.cachedStatus = undefined;
    return applySchemaSteps(this.sql, SESSION_SCHEMA_STEPS);
  }

  status(): AccountStatus {
    if (this.cachedStatus === undefined) {
      const row = this.sql.exec<{ status: string }>('SELECT status FROM account WHERE id = 1').toArray()[0];
      this.cachedStatus = row?.status === 'erased' ? 'erased' : 'active';
    }
    return this.cachedStatus;
  }

  setStatus(status: AccountStatus): void {
    this.sql.exec('INSERT INTO account (id, status) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status', status);
    this.cachedStatus = status;
  }

  get(sid: string): SessionRow | null {
    const row = this.sql.exec<Row>('SELECT * FROM sessions WHERE sid = ?', sid).toArray()[0];
    return row ? toSession(row) : null;
  }

  put(row: SessionRow): void {
    this.sql.exec(
      `INSERT INTO sessions (sid, opened_at, expires_at, revoked_at, reason) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (sid) DO UPDATE SET opened_at = excluded.opened_at, expires_at = excluded.expires_at,
         revoked_at = excluded.revoked_at, reason = excluded.reason`,
      row.sid,
      row.openedAt,
      row.expiresAt,
      row.revokedAt,
      row.reason,
    );
  }

  live(now: number): SessionRow[] {
    return this.sql.exec<Row>('SELECT * FROM sessions WHERE revoked_at IS NULL AND expires_at > ? ORDER BY opened_at', now).toArray().map(toSession);
  }

  all(): SessionRow[] {
    return this.sql.exec<Row>('SELECT * FROM sessions ORDER BY opened_at').toArray().map(toSession);
  }

  /** Deletes sessions past their expiry (live or revoked); returns the next expiry (null: none left). */
  pruneExpired(now: number): number | null {
    this.sql.exec('DELETE FROM sessions WHERE expires_at <= ?', now);
    return this.nextExpiry();
  }

  nextExpiry(): number | null {
    const row = this.sql.exec<{ next: number | null }>('SELECT MIN(expires_at) AS next FROM sessions').toArray()[0];
    return row?.next ?? null;
  }
}
