/**
 * The feed's SQLite: one append-only table of events with a per-merchant
 * sequence number. Durable, so catch-up works across evictions and restarts.
 */
import type { RetentionPolicy } from './backlog';
import type { FeedEventInput, StatusMessage } from '../../domain/protocol/merchant-feed';

const SCHEMA_VERSION = 2;

export class FeedRepository {
  constructor(private readonly sql: SqlStorage) {}

  migrate(): number {
    this.sql.exec(`create table if not exists meta (key text primary key, value integer not null)`);
    const current = this.sql.exec<{ value: number }>(`select value from meta where key = 'schema_version'`).toArray()[0]?.value ?? 0;
    if (current < 1) {
      this.sql.exec(`create table if not exists events (
        seq integer primary key,
        event_id text not null unique,
        body text not null,
        at_ms integer not null
      )`);
    }
    if (current < 2) {
      // The newest order event sent per order (ADR 0075): older or repeated ones are dropped.
      this.sql.exec(`create table if not exists order_heads (order_id text primary key, seq integer not null, at_ms integer not null)`);
    }
    if (current < SCHEMA_VERSION) this.sql.exec(`insert or replace into meta (key, value) values ('schema_version', ?)`, SCHEMA_VERSION);
    return SCHEMA_VERSION;
  }

  /** The highest seq ever assigned survives pruning (kept in meta). */
  latestSeq(): number {
    return this.sql.exec<{ value: number }>(`select value from meta where key = 'latest_seq'`).toArray()[0]?.value ?? 0;
  }

  oldestSeq(): number | null {
    return this.sql.exec<{ seq: number | null }>(`select min(seq) as seq from events`).toArray()[0]?.seq ?? null;
  }

  /** The highest order event seq sent for an order (0: none yet). */
  orderHead(orderId: string): number {
    return this.sql.exec<{ seq: number }>(`select seq from order_heads where order_id = ?`, orderId).toArray()[0]?.seq ?? 0;
  }

  /**
   * Appends an event unless its id was seen, or (with an order seq) it is not
   * newer than what was sent for its order; returns the message, or null.
   */
  append(input: FeedEventInput, nowMs: number): StatusMessage | null {
    const seen = this.sql.exec(`select 1 from events where event_id = ?`, input.eventId).toArray();
    if (seen.length > 0) return null;
    if (input.orderSeq !== undefined) {
      if (input.orderSeq <= this.orderHead(input.orderId)) return null;
      this.sql.exec(`insert or replace into order_heads (order_id, seq, at_ms) values (?, ?, ?)`, input.orderId, input.orderSeq, nowMs);
    }
    const seq = this.latestSeq() + 1;
    const { eventId: _id, ...rest } = input;
    const message: StatusMessage = { type: 'status', seq, ...rest };
    this.sql.exec(`insert into events (seq, event_id, body, at_ms) values (?, ?, ?, ?)`, seq, input.eventId, JSON.stringify(message), nowMs);
    this.sql.exec(`insert or replace into meta (key, value) values ('latest_seq', ?)`, seq);
    return message;
  }

  eventsAfter(seq: number, limit: number): string[] {
    return this.sql.exec<{ body: string }>(`select body from events where seq > ? order by seq limit ?`, seq, limit).toArray().map((r) => r.body);
  }

  prune(policy: RetentionPolicy, nowMs: number): number {
    const byAge = this.sql.exec(`delete from events where at_ms < ?`, nowMs - policy.maxAgeMs).rowsWritten;
    const byCount = this.sql.exec(`delete from events where seq <= ?`, this.latestSeq() - policy.maxEvents).rowsWritten;
    this.sql.exec(`delete from order_heads where at_ms < ?`, nowMs - policy.maxAgeMs);
    return byAge + byCount;
  }

  count(): number {
    return this.sql.exec<{ n: number }>(`select count(*) as n from events`).toArray()[0]?.n ?? 0;
  }
}
