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
  // 2: presence beside positions, dispatch jobs and offers (the decision log),
  // trip breadcrumbs in batches, and the outbox of events for Postgres.
  // The partial unique indexes back the invariants up at the storage level:
  // one open offer per driver, one live (pending or accepted) offer per order.
  `ALTER TABLE drivers ADD COLUMN accuracy REAL;
   CREATE TABLE IF NOT EXISTS shard_meta (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL
   );
   CREATE TABLE IF NOT EXISTS driver_presence (
     driver_id TEXT PRIMARY KEY,
     vehicle TEXT NOT NULL,
     available INTEGER NOT NULL DEFAULT 0,
     connected INTEGER NOT NULL DEFAULT 0,
     last_seen_at INTEGER NOT NULL,
     idle_since INTEGER NOT NULL,
     order_id TEXT,
     offer_id TEXT,
     flagged_points INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE IF NOT EXISTS dispatch_jobs (
     order_id TEXT PRIMARY KEY,
     dispatch TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     ended_at INTEGER,
     data TEXT NOT NULL
   );
   CREATE INDEX IF NOT EXISTS dispatch_jobs_ended ON dispatch_jobs (ended_at);
   CREATE TABLE IF NOT EXISTS offers (
     offer_id TEXT PRIMARY KEY,
     order_id TEXT NOT NULL,
     driver_id TEXT NOT NULL,
     round INTEGER NOT NULL,
     status TEXT NOT NULL,
     offered_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     resolved_at INTEGER,
     outcome_reason TEXT,
     radius_m INTEGER NOT NULL,
     reason TEXT NOT NULL,
     candidates TEXT NOT NULL
   );
   CREATE INDEX IF NOT EXISTS offers_order ON offers (order_id, offered_at);
   CREATE UNIQUE INDEX IF NOT EXISTS offers_one_open_per_driver ON offers (driver_id) WHERE status = 'pending';
   CREATE UNIQUE INDEX IF NOT EXISTS offers_one_live_per_order ON offers (order_id) WHERE status IN ('pending', 'accepted');
   CREATE TABLE IF NOT EXISTS dispatch_notes (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     order_id TEXT NOT NULL,
     at INTEGER NOT NULL,
     kind TEXT NOT NULL,
     detail TEXT NOT NULL
   );
   CREATE INDEX IF NOT EXISTS dispatch_notes_order ON dispatch_notes (order_id, id);
   CREATE TABLE IF NOT EXISTS breadcrumbs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     order_id TEXT NOT NULL,
     driver_id TEXT NOT NULL,
     first_at INTEGER NOT NULL,
     last_at INTEGER NOT NULL,
     points TEXT NOT NULL
   );
   CREATE INDEX IF NOT EXISTS breadcrumbs_order ON breadcrumbs (order_id, first_at);
   CREATE TABLE IF NOT EXISTS event_outbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     body TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL
   );`,
  // 3: cross-shard matching (ADR 0060). An offer of this shard's order to another shard's driver
  // records that shard (driver_shard); an offer of another shard's order hosted for one of this
  // shard's drivers lives in the same table (owner_shard, hosted details), so the unique index
  // `offers_one_open_per_driver` covers both kinds. A driver on another shard's order records it
  // (order_shard). Calls to other shards that must arrive wait in remote_calls until answered.
  `ALTER TABLE offers ADD COLUMN driver_shard TEXT;
   ALTER TABLE offers ADD COLUMN owner_shard TEXT;
   ALTER TABLE offers ADD COLUMN hosted TEXT;
   CREATE INDEX IF NOT EXISTS offers_hosted ON offers (status, resolved_at) WHERE owner_shard IS NOT NULL;
   ALTER TABLE driver_presence ADD COLUMN order_shard TEXT;
   CREATE TABLE IF NOT EXISTS remote_calls (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     shard_key TEXT NOT NULL,
     kind TEXT NOT NULL,
     body TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL
   );`,
  // 4: a driver's notice of an order taken away after a silence, kept until a socket carried it (ADR 0079).
  `ALTER TABLE driver_presence ADD COLUMN notice TEXT;`,
];
