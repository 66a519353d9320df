import type { DriverNotice, HostedOffer, Job, NoteDetail, Offer } from './model';
import type { RemoteCall } from './remote-calls';
import { applySchemaSteps } from '../sqlite-schema';
import { SHARD_SCHEMA_STEPS } from './schema';

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

/** Persisted presence and last position of a driver (the model's DriverLive without its scratch fields). */
export interface DriverStateRow {
  driverId: string;
  vehicle: string;
  available: boolean;
  connected: boolean;
  lastSeenAt: number;
  idleSince: number;
  orderId: string | null;
  /** The shard owning `orderId` when it is another one (absent: this one). */
  orderShard?: string | null;
  offerId: string | null;
  flaggedPoints: number;
  position: { lat: number; lng: number; heading: number | null; speed: number | null; accuracy: number | null; at: number } | null;
  /** An order taken away, not yet told (ADR 0079). */
  notice?: DriverNotice | null;
}

export interface NoteRow {
  at: number;
  kind: string;
  detail: NoteDetail;
}

export interface RemoteCallRow {
  seq: number;
  call: RemoteCall;
  attempts: number;
}

export type OutboxRow = {
  seq: number;
  id: string;
  body: string;
  attempts: number;
};

/** Narrow repository over the shard's SQL storage; the logic never sees SqlStorage itself. */
export class ShardRepository {
  constructor(private readonly sql: SqlStorage) {}

  migrate(): number {
    return applySchemaSteps(this.sql, SHARD_SCHEMA_STEPS);
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

  putTimerIfEarlier(t: TimerRow): void {
    this.sql.exec(
      'INSERT INTO timers (id, kind, fire_at, payload) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET fire_at = MIN(fire_at, excluded.fire_at)',
      t.id, t.kind, t.fireAt, t.payload,
    );
  }

  pruneFiredTimers(before: number): void {
    this.sql.exec('DELETE FROM fired_timers WHERE fired_at < ?', before);
  }

  // ---- shard identity ------------------------------------------------------

  getMeta(key: string): string | null {
    return this.sql.exec<{ value: string }>('SELECT value FROM shard_meta WHERE key = ?', key).toArray()[0]?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.sql.exec('INSERT INTO shard_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
  }

  // ---- drivers ---------------------------------------------------------------

  loadDriverStates(): DriverStateRow[] {
    type Row = { driver_id: string; vehicle: string | null; available: number | null; connected: number | null; last_seen_at: number | null; idle_since: number | null; order_id: string | null; order_shard: string | null; offer_id: string | null; flagged_points: number | null; notice: string | null; lat: number | null; lng: number | null; heading: number | null; speed: number | null; accuracy: number | null; updated_at: number | null; pos_available: number | null };
    const rows = this.sql
      .exec<Row>(
        `SELECT p.driver_id, p.vehicle, p.available, p.connected, p.last_seen_at, p.idle_since, p.order_id, p.order_shard, p.offer_id, p.flagged_points, p.notice,
                d.lat, d.lng, d.heading, d.speed, d.accuracy, d.updated_at, d.available AS pos_available
           FROM driver_presence p LEFT JOIN drivers d ON d.driver_id = p.driver_id
         UNION ALL
         SELECT d.driver_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, d.lat, d.lng, d.heading, d.speed, d.accuracy, d.updated_at, d.available
           FROM drivers d WHERE d.driver_id NOT IN (SELECT driver_id FROM driver_presence)`,
      )
      .toArray();
    return rows.map((r) => ({
      driverId: r.driver_id,
      vehicle: r.vehicle ?? 'car',
      available: (r.available ?? r.pos_available) === 1,
      connected: r.connected === 1,
      lastSeenAt: r.last_seen_at ?? r.updated_at ?? 0,
      idleSince: r.idle_since ?? r.updated_at ?? 0,
      orderId: r.order_id,
      orderShard: r.order_shard,
      offerId: r.offer_id,
      flaggedPoints: r.flagged_points ?? 0,
      notice: r.notice ? (JSON.parse(r.notice) as DriverNotice) : null,
      position:
        r.lat === null || r.lng === null
          ? null
          : { lat: r.lat, lng: r.lng, heading: r.heading, speed: r.speed, accuracy: r.accuracy, at: r.updated_at ?? 0 },
    }));
  }

  saveDriverState(d: DriverStateRow): void {
    this.sql.exec(
      `INSERT INTO driver_presence (driver_id, vehicle, available, connected, last_seen_at, idle_since, order_id, order_shard, offer_id, flagged_points, notice)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (driver_id) DO UPDATE SET vehicle = excluded.vehicle, available = excluded.available, connected = excluded.connected,
         last_seen_at = excluded.last_seen_at, idle_since = excluded.idle_since, order_id = excluded.order_id,
         order_shard = excluded.order_shard, offer_id = excluded.offer_id, flagged_points = excluded.flagged_points, notice = excluded.notice`,
      d.driverId, d.vehicle, d.available ? 1 : 0, d.connected ? 1 : 0, d.lastSeenAt, d.idleSince, d.orderId, d.orderShard ?? null, d.offerId, d.flaggedPoints, d.notice ? JSON.stringify(d.notice) : null,
    );
    this.saveDriverPosition(d);
  }

  /** A driver handed over to another shard (ADR 0122): its presence and position rows go. */
  deleteDriver(driverId: string): void {
    this.sql.exec('DELETE FROM driver_presence WHERE driver_id = ?', driverId);
    this.sql.exec('DELETE FROM drivers WHERE driver_id = ?', driverId);
  }

  /** The batched write of a moved driver: its position row only. */
  saveDriverPosition(d: Pick<DriverStateRow, 'driverId' | 'available' | 'position'>): void {
    const p = d.position;
    if (!p) return;
    this.sql.exec(
      `INSERT INTO drivers (driver_id, lat, lng, heading, speed, accuracy, available, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (driver_id) DO UPDATE SET lat = excluded.lat, lng = excluded.lng, heading = excluded.heading, speed = excluded.speed,
         accuracy = excluded.accuracy, available = excluded.available, updated_at = excluded.updated_at`,
      d.driverId, p.lat, p.lng, p.heading, p.speed, p.accuracy, d.available ? 1 : 0, p.at,
    );
  }

  // ---- dispatch jobs, offers and the decision log ----------------------------

  saveJob(job: Job): void {
    this.sql.exec(
      `INSERT INTO dispatch_jobs (order_id, dispatch, created_at, ended_at, data) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (order_id) DO UPDATE SET dispatch = excluded.dispatch, ended_at = excluded.ended_at, data = excluded.data`,
      job.orderId, job.dispatch, job.createdAt, job.endedAt, JSON.stringify(job),
    );
  }

  /** Jobs still running, and those ended after `endedAfter`. */
  loadJobs(endedAfter: number): Job[] {
    return this.sql
      .exec<{ data: string }>('SELECT data FROM dispatch_jobs WHERE ended_at IS NULL OR ended_at >= ? ORDER BY created_at', endedAfter)
      .toArray()
      .map((r) => JSON.parse(r.data) as Job);
  }

  loadJob(orderId: string): Job | null {
    const row = this.sql.exec<{ data: string }>('SELECT data FROM dispatch_jobs WHERE order_id = ?', orderId).toArray()[0];
    return row ? (JSON.parse(row.data) as Job) : null;
  }

  saveOffer(o: Offer): void {
    this.sql.exec(
      `INSERT INTO offers (offer_id, order_id, driver_id, round, status, offered_at, expires_at, resolved_at, outcome_reason, radius_m, reason, candidates, driver_shard)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (offer_id) DO UPDATE SET status = excluded.status, resolved_at = excluded.resolved_at, outcome_reason = excluded.outcome_reason`,
      o.offerId, o.orderId, o.driverId, o.round, o.status, o.offeredAt, o.expiresAt, o.resolvedAt, o.outcomeReason, o.radiusM, o.reason, JSON.stringify(o.candidates), o.driverShard ?? null,
    );
  }

  /** An offer of another shard's order to a driver of this one (ADR 0060): same table, so one open offer per driver holds across both. */
  saveHostedOffer(h: HostedOffer): void {
    this.sql.exec(
      `INSERT INTO offers (offer_id, order_id, driver_id, round, status, offered_at, expires_at, resolved_at, outcome_reason, radius_m, reason, candidates, owner_shard, hosted)
       VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, 0, '', '[]', ?, ?)
       ON CONFLICT (offer_id) DO UPDATE SET status = excluded.status, resolved_at = excluded.resolved_at, outcome_reason = excluded.outcome_reason, hosted = excluded.hosted`,
      h.offerId, h.orderId, h.driverId, h.status, h.offeredAt, h.expiresAt, h.resolvedAt, h.outcomeReason, h.ownerShard,
      JSON.stringify({ pickup: h.pickup, dropoff: h.dropoff, payoutCents: h.payoutCents, answer: h.answer, ...(h.shop ? { shop: h.shop } : {}) }),
    );
  }

  /** Hosted offers still open, and those ended after `resolvedAfter`. */
  loadHostedOffers(resolvedAfter: number): HostedOffer[] {
    type Row = { offer_id: string; order_id: string; driver_id: string; owner_shard: string; status: HostedOffer['status']; offered_at: number; expires_at: number; resolved_at: number | null; outcome_reason: string | null; hosted: string };
    return this.sql
      .exec<Row>(
        `SELECT offer_id, order_id, driver_id, owner_shard, status, offered_at, expires_at, resolved_at, outcome_reason, hosted FROM offers
          WHERE owner_shard IS NOT NULL AND (status = 'pending' OR resolved_at >= ?) ORDER BY offered_at`,
        resolvedAfter,
      )
      .toArray()
      .map((r) => {
        const x = JSON.parse(r.hosted) as Pick<HostedOffer, 'pickup' | 'dropoff' | 'payoutCents' | 'answer' | 'shop'>;
        return { offerId: r.offer_id, orderId: r.order_id, driverId: r.driver_id, ownerShard: r.owner_shard, status: r.status, offeredAt: r.offered_at, expiresAt: r.expires_at, resolvedAt: r.resolved_at, outcomeReason: r.outcome_reason, ...x };
      });
  }

  offersOf(orderIds: readonly string[] | null): Offer[] {
    type Row = { offer_id: string; order_id: string; driver_id: string; round: number; status: Offer['status']; offered_at: number; expires_at: number; resolved_at: number | null; outcome_reason: string | null; radius_m: number; reason: string; candidates: string; driver_shard: string | null };
    const cols = 'offer_id, order_id, driver_id, round, status, offered_at, expires_at, resolved_at, outcome_reason, radius_m, reason, candidates, driver_shard';
    // Hosted offers (owner_shard set) belong to other shards' orders, never to a job here.
    const rows =
      orderIds === null
        ? this.sql.exec<Row>(`SELECT ${cols} FROM offers WHERE owner_shard IS NULL AND order_id IN (SELECT order_id FROM dispatch_jobs WHERE ended_at IS NULL) ORDER BY offered_at`).toArray()
        : orderIds.flatMap((id) => this.sql.exec<Row>(`SELECT ${cols} FROM offers WHERE order_id = ? AND owner_shard IS NULL ORDER BY round`, id).toArray());
    return rows.map((r) => ({
      offerId: r.offer_id,
      orderId: r.order_id,
      driverId: r.driver_id,
      round: r.round,
      status: r.status,
      offeredAt: r.offered_at,
      expiresAt: r.expires_at,
      resolvedAt: r.resolved_at,
      outcomeReason: r.outcome_reason,
      radiusM: r.radius_m,
      reason: r.reason,
      candidates: JSON.parse(r.candidates) as Offer['candidates'],
      ...(r.driver_shard ? { driverShard: r.driver_shard } : {}),
    }));
  }

  addNote(orderId: string, at: number, kind: string, detail: NoteDetail): void {
    this.sql.exec('INSERT INTO dispatch_notes (order_id, at, kind, detail) VALUES (?, ?, ?, ?)', orderId, at, kind, JSON.stringify(detail));
  }

  notesOf(orderId: string): NoteRow[] {
    return this.sql
      .exec<{ at: number; kind: string; detail: string }>('SELECT at, kind, detail FROM dispatch_notes WHERE order_id = ? ORDER BY id', orderId)
      .toArray()
      .map((r) => ({ at: r.at, kind: r.kind, detail: JSON.parse(r.detail) as NoteDetail }));
  }

  // ---- breadcrumbs: one row per batch, never one per ping -----------------

  appendBreadcrumbs(orderId: string, driverId: string, points: readonly (readonly [number, number, number])[]): void {
    if (points.length === 0) return;
    this.sql.exec(
      'INSERT INTO breadcrumbs (order_id, driver_id, first_at, last_at, points) VALUES (?, ?, ?, ?, ?)',
      orderId, driverId, points[0]![0], points[points.length - 1]![0], JSON.stringify(points),
    );
  }

  /** A trip's breadcrumbs as [at, lat, lng], oldest first. */
  breadcrumbsOf(orderId: string): { points: [number, number, number][]; batches: number } {
    const rows = this.sql.exec<{ points: string }>('SELECT points FROM breadcrumbs WHERE order_id = ? ORDER BY first_at, id', orderId).toArray();
    return { points: rows.flatMap((r) => JSON.parse(r.points) as [number, number, number][]), batches: rows.length };
  }

  // ---- event outbox ----------------------------------------------------------

  enqueueEvent(id: string, body: string, now: number): void {
    this.sql.exec('INSERT INTO event_outbox (id, body, next_attempt_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING', id, body, now);
  }

  dueEvents(now: number, limit: number): OutboxRow[] {
    return this.sql
      .exec<OutboxRow>('SELECT seq, id, body, attempts FROM event_outbox WHERE next_attempt_at <= ? ORDER BY seq LIMIT ?', now, limit)
      .toArray();
  }

  deleteEvents(seqs: readonly number[]): void {
    for (const seq of seqs) this.sql.exec('DELETE FROM event_outbox WHERE seq = ?', seq);
  }

  deferEvents(seqs: readonly number[], nextAttemptAt: number): void {
    for (const seq of seqs) this.sql.exec('UPDATE event_outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE seq = ?', nextAttemptAt, seq);
  }

  nextEventAttempt(): number | null {
    return this.sql.exec<{ at: number | null }>('SELECT MIN(next_attempt_at) AS at FROM event_outbox').toArray()[0]?.at ?? null;
  }

  // ---- calls to other shards that must arrive (ADR 0060) ---------------------------

  enqueueRemoteCall(call: RemoteCall, now: number): void {
    this.sql.exec(
      'INSERT INTO remote_calls (id, shard_key, kind, body, next_attempt_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
      call.id, call.shardKey, call.kind, JSON.stringify(call.body), now,
    );
  }

  dueRemoteCalls(now: number, limit: number): RemoteCallRow[] {
    return this.sql
      .exec<{ seq: number; id: string; shard_key: string; kind: RemoteCall['kind']; body: string; attempts: number }>(
        'SELECT seq, id, shard_key, kind, body, attempts FROM remote_calls WHERE next_attempt_at <= ? ORDER BY seq LIMIT ?',
        now, limit,
      )
      .toArray()
      .map((r) => ({ seq: r.seq, attempts: r.attempts, call: { id: r.id, shardKey: r.shard_key, kind: r.kind, body: JSON.parse(r.body) } as RemoteCall }));
  }

  deleteRemoteCall(seq: number): void {
    this.sql.exec('DELETE FROM remote_calls WHERE seq = ?', seq);
  }

  deferRemoteCall(seq: number, nextAttemptAt: number): void {
    this.sql.exec('UPDATE remote_calls SET attempts = attempts + 1, next_attempt_at = ? WHERE seq = ?', nextAttemptAt, seq);
  }

  nextRemoteCallAttempt(): number | null {
    return this.sql.exec<{ at: number | null }>('SELECT MIN(next_attempt_at) AS at FROM remote_calls').toArray()[0]?.at ?? null;
  }

  // ---- retention -------------------------------------------------------------

  /** Drops what ended before `before`: jobs, their offers, notes and breadcrumbs. */
  purgeEndedJobs(before: number): number {
    const ended = this.sql.exec<{ order_id: string }>('SELECT order_id FROM dispatch_jobs WHERE ended_at IS NOT NULL AND ended_at < ?', before).toArray();
    for (const { order_id } of ended) {
      this.sql.exec('DELETE FROM offers WHERE order_id = ?', order_id);
      this.sql.exec('DELETE FROM dispatch_notes WHERE order_id = ?', order_id);
      this.sql.exec('DELETE FROM breadcrumbs WHERE order_id = ?', order_id);
      this.sql.exec('DELETE FROM dispatch_jobs WHERE order_id = ?', order_id);
    }
    this.sql.exec("DELETE FROM offers WHERE owner_shard IS NOT NULL AND status != 'pending' AND resolved_at < ?", before);
    this.pruneFiredTimers(before);
    return ended.length;
  }
}
