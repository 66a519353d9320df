/**
 * The shard's SQLite schema, applied in order and recorded in `schema_version`,
 * so a shard created by an older deploy upgrades itself on first start.
 * Append new steps; never edit a step that has shipped.
 */
export const SHARD_SCHEMA_STEPS: readonly string[] = [
  // 1: live driver positions and the logical timers multiplexed onto the one alarm.
  `CREATE TABLE IF NOT EXISTS drivers (
     driver_id TEXT PRIMARY KEY,
     lat REAL NOT NULL,
     lng REAL NOT NULL,
     heading REAL,
     speed REAL,
     available INTEGER NOT NULL DEFAULT 0,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE IF NOT EXISTS timers (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     fire_at INTEGER NOT NULL,
     payload TEXT NOT NULL DEFAULT '{}'
   );
   CREATE INDEX IF NOT EXISTS timers_fire_at ON timers (fire_at);
   CREATE TABLE IF NOT EXISTS fired_timers (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     fired_at INTEGER NOT NULL
   );`,
];

export interface DriverRow {
  driverId: string;
  lat: number;
  lng: number;
  heading: number | null;
  speed: number | null;
  available: boolean;
  updatedAt: number;
}

export interface TimerRow {
  id: string;
  kind: string;
  fireAt: number;
  payload: string;
}

/** Narrow repository over the shard's SQL storage; the logic never sees SqlStorage itself. */
export class ShardRepository {
  constructor(private readonly sql: SqlStorage) {}

  migrate(): number {
    this.sql.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const row = this.sql.exec<{ version: number }>('SELECT version FROM schema_version').toArray()[0];
    let version = row?.version ?? 0;
    if (!row) this.sql.exec('INSERT INTO schema_version (version) VALUES (0)');
    for (; version < SHARD_SCHEMA_STEPS.length; version++) {
      this.sql.exec(SHARD_SCHEMA_STEPS[version]!);
      this.sql.exec('UPDATE schema_version SET version = ?', version + 1);
    }
    return version;
  }

  loadDrivers(): DriverRow[] {
    return this.sql
      .exec<{ driver_id: string; lat: number; lng: number; heading: number | null; speed: number | null; available: number; updated_at: number }>(
        'SELECT driver_id, lat, lng, heading, speed, available, updated_at FROM drivers',
      )
      .toArray()
      .map((r) => ({
        driverId: r.driver_id,
        lat: r.lat,
        lng: r.lng,
        heading: r.heading,
        speed: r.speed,
        available: r.available === 1,
        updatedAt: r.updated_at,
      }));
  }

  saveDriver(d: DriverRow): void {
    this.sql.exec(
      `INSERT INTO drivers (driver_id, lat, lng, heading, speed, available, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (driver_id) DO UPDATE SET lat = excluded.lat, lng = excluded.lng, heading = excluded.heading,
         speed = excluded.speed, available = excluded.available, updated_at = excluded.updated_at`,
      d.driverId, d.lat, d.lng, d.heading, d.speed, d.available ? 1 : 0, d.updatedAt,
    );
  }

  putTimer(t: TimerRow): void {
    this.sql.exec(
      'INSERT INTO timers (id, kind, fire_at, payload) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET fire_at = excluded.fire_at, payload = excluded.payload',
      t.id, t.kind, t.fireAt, t.payload,
    );
  }

  deleteTimer(id: string): void {
    this.sql.exec('DELETE FROM timers WHERE id = ?', id);
  }

  dueTimers(now: number): TimerRow[] {
    return this.sql
      .exec<{ id: string; kind: string; fire_at: number; payload: string }>('SELECT id, kind, fire_at, payload FROM timers WHERE fire_at <= ? ORDER BY fire_at', now)
      .toArray()
      .map((r) => ({ id: r.id, kind: r.kind, fireAt: r.fire_at, payload: r.payload }));
  }

  /** Marks a timer done; idempotent, so a re-run alarm does not fire it twice. */
  completeTimer(timer: TimerRow, now: number): boolean {
    const inserted = this.sql.exec(
      'INSERT INTO fired_timers (id, kind, fired_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING',
      timer.id, timer.kind, now,
    ).rowsWritten;
    this.deleteTimer(timer.id);
    return inserted > 0;
  }

  firedTimerIds(): string[] {
    return this.sql.exec<{ id: string }>('SELECT id FROM fired_timers ORDER BY fired_at, id').toArray().map((r) => r.id);
  }

  earliestTimer(): number | null {
    const row = this.sql.exec<{ fire_at: number | null }>('SELECT MIN(fire_at) AS fire_at FROM timers').toArray()[0];
    return row?.fire_at ?? null;
  }
}
