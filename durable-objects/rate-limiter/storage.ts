import type { HitStore } from './window';
import { applySchemaSteps } from '../sqlite-schema';

/**
 * The limiter's SQLite schema, applied in order and recorded in
 * `schema_version`. Append new steps; never edit a step that has shipped.
 */
export const LIMITER_SCHEMA_STEPS: readonly string[] = [
  // 1: hit times per bucket, and when each hit stops counting.
  `CREATE TABLE IF NOT EXISTS hits (
     bucket TEXT NOT NULL,
     at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE INDEX IF NOT EXISTS hits_bucket_at ON hits (bucket, at);
   CREATE INDEX IF NOT EXISTS hits_expires_at ON hits (expires_at);`,
];

/** Narrow repository over the limiter's SQL storage; the window logic never sees SqlStorage. */
export class HitRepository implements HitStore {
  constructor(private readonly sql: SqlStorage) {}

  migrate(): number {
    return applySchemaSteps(this.sql, LIMITER_SCHEMA_STEPS);
  }

  hitsSince(bucket: string, since: number): number[] {
    return this.sql
      .exec<{ at: number }>('SELECT at FROM hits WHERE bucket = ? AND at > ? ORDER BY at, rowid', bucket, since)
      .toArray()
      .map((r) => r.at);
  }

  add(bucket: string, at: number, windowMs: number): void {
    this.sql.exec('INSERT INTO hits (bucket, at, expires_at) VALUES (?, ?, ?)', bucket, at, at + windowMs);
  }

  removeNewest(bucket: string): void {
    this.sql.exec(
      'DELETE FROM hits WHERE rowid = (SELECT rowid FROM hits WHERE bucket = ? ORDER BY at DESC, rowid DESC LIMIT 1)',
      bucket,
    );
  }

  trim(bucket: string, keep: number): void {
    this.sql.exec(
      'DELETE FROM hits WHERE bucket = ? AND rowid NOT IN (SELECT rowid FROM hits WHERE bucket = ? ORDER BY at DESC, rowid DESC LIMIT ?)',
      bucket,
      bucket,
      keep,
    );
  }

  /** Deletes hits that no longer count; returns when the last remaining one expires (null: none left). */
  pruneExpired(now: number): number | null {
    this.sql.exec('DELETE FROM hits WHERE expires_at <= ?', now);
    const row = this.sql.exec<{ last: number | null }>('SELECT MAX(expires_at) AS last FROM hits').toArray()[0];
    return row?.last ?? null;
  }

  lastExpiry(): number | null {
    const row = this.sql.exec<{ last: number | null }>('SELECT MAX(expires_at) AS last FROM hits').toArray()[0];
    return row?.last ?? null;
  }

  count(): number {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM hits').one().n;
  }
}
