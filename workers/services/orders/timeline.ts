/**
 * The one writer of order history. Every change to an order — customer,
 * merchant, driver, Stripe, operator and the city shard's dispatch — is an
 * UPDATE that sets `seq = seq + 1` (and `version = version + 1`), followed in
 * the same transaction by `appendOrderEvent`: one order_status_events row with
 * that `seq` and the order's snapshot as of that event, and one outbox row
 * carrying both. Nothing is told to anyone before that commit; every view
 * (REST, /events, live channels, merchant feed, webhooks, notifications) is
 * derived from these rows, so a reader can always tell stale from new by
 * `seq` (docs/decisions/0075-one-order-timeline.md).
 */
import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Database } from '../../../db/client';
import { newId } from '../../../db/ids';
import { orders, orderStatusEvents, outbox as outboxTable, type Order } from '../../../db/schema/index';
import type { ActorType, OrderEventType, OrderStatus } from '../../../domain/order';
import { outboxEvent, outboxInsert, outboxRows, type OutboxEvent } from '../outbox';

export type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];
type Writer = Pick<Database, 'insert'>;

export type EventActorType = ActorType;

export interface EventActor {
  type: EventActorType;
  id: string | null;
}

/** Version of the snapshot's shape; a consumer that sees a higher one reads the fields it knows. */
export const SNAPSHOT_VERSION = 1;

/**
 * The order as of one event: its own columns, nothing personal and no secret
 * (no contact, PIN or tracking token), so the log needs no scrubbing on
 * erasure. Items never change after creation and the driver's name is a
 * profile field; serializers add them (view.ts `presentOrder`).
 */
export function snapshotOf(order: Order) {
  return {
    v: SNAPSHOT_VERSION,
    id: order.id,
    number: order.number,
    seq: order.seq,
    status: order.status,
    dispatch: order.dispatchState,
    merchantId: order.merchantId,
    cityId: order.cityId,
    source: order.source,
    driverId: order.driverId,
    totals: {
      subtotalCents: order.subtotalCents,
      deliveryFeeCents: order.deliveryFeeCents,
      taxCents: order.taxCents,
      totalCents: order.totalCents,
      currency: order.currency,
    },
    distanceM: order.distanceM,
    pickup: { location: { lat: order.pickupLat, lng: order.pickupLng } },
    dropoff: { location: { lat: order.dropoffLat, lng: order.dropoffLng } },
    paidOffPlatform: order.paidOffPlatform,
    requiresPrescription: order.requiresPrescription,
    cancelReason: order.cancelReason,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    placedAt: order.placedAt?.toISOString() ?? null,
    deliveredAt: order.deliveredAt?.toISOString() ?? null,
    // Scheduled orders only (ADR 0108), so the snapshots of other orders keep their shape.
    ...(order.scheduledStart && order.scheduledEnd && order.releaseAt
      ? { scheduledFor: { start: order.scheduledStart.toISOString(), end: order.scheduledEnd.toISOString(), releaseAt: order.releaseAt.toISOString(), releasedAt: order.releasedAt?.toISOString() ?? null } }
      : {}),
  };
}
export type OrderSnapshot = ReturnType<typeof snapshotOf>;

/** What the outbox row (and so the queue message) carries about an order event. */
export function orderEventPayload(order: Order, previous: OrderStatus | null, actor: EventActor) {
  return {
    orderId: order.id,
    number: order.number,
    seq: order.seq,
    merchantId: order.merchantId,
    cityId: order.cityId,
    customerId: order.customerId,
    driverId: order.driverId,
    status: order.status,
    previousStatus: previous,
    dispatch: order.dispatchState,
    totalCents: order.totalCents,
    currency: order.currency,
    actor,
    snapshot: snapshotOf(order),
  };
}

/** The columns every change sets besides its own: the next seq and version. */
export const nextSeq = () => ({ seq: sql`${orders.seq} + 1`, version: sql`${orders.version} + 1` });

export interface AppendedEvent {
  type: OrderEventType;
  /** The row `UPDATE … RETURNING` gave back: its `seq` is this event's. */
  order: Order;
  previous: OrderStatus | null;
  actor: EventActor;
  reason?: string | null;
  at: Date;
}

export function eventRow(e: AppendedEvent) {
  return {
    id: newId('evt'),
    orderId: e.order.id,
    seq: e.order.seq,
    type: e.type,
    snapshot: snapshotOf(e.order),
    status: e.order.status,
    dispatchState: e.order.dispatchState,
    actorType: e.actor.type,
    actorId: e.actor.id,
    reason: e.reason ?? null,
    at: e.at,
  };
}

export const outboxOf = (e: AppendedEvent): OutboxEvent =>
  outboxEvent(e.type, { type: 'order', id: e.order.id }, orderEventPayload(e.order, e.previous, e.actor), e.at);

/** The event row's insert, for a caller that folds it into one statement (order creation's CTE). */
export const eventInsert = (db: Writer, e: AppendedEvent) => db.insert(orderStatusEvents).values(eventRow(e));

/** Inside the change's transaction, after its UPDATE: the event and its outbox row, in one statement. */
export async function appendOrderEvent(tx: Writer & Pick<Database, 'execute'>, e: AppendedEvent): Promise<OutboxEvent> {
  const event = outboxOf(e);
  await tx.execute(sql`with appended as (${eventInsert(tx, e).getSQL()}) ${outboxInsert(tx, [event]).getSQL()}`);
  return event;
}

/**
 * `insert into <table> (…) select <row> from <guard> [union all …]`: rows
 * inserted only when the CTE named `guard` returned a row (the conditional
 * UPDATE of the same statement matched), so a change, its event and its
 * outbox row are one statement — one round trip, atomic by itself — and a
 * lost race writes nothing. Each value is cast to its column's type (a
 * SELECT gives the server no column to infer a parameter's type from).
 */
export function guardedInsert(table: PgTable, rows: readonly Record<string, unknown>[], guard: string): SQL {
  const columns = getTableColumns(table);
  const keys = Object.keys(rows[0] ?? {}).filter((k) => columns[k] && rows.some((r) => r[k] !== undefined));
  const names = keys.map((k) => sql.identifier(columns[k]!.name));
  const selects = rows.map(
    (row) => sql`select ${sql.join(keys.map((k) => (row[k] === undefined || row[k] === null ? sql`null::${sql.raw(columns[k]!.getSQLType())}` : sql`${sql.param(row[k], columns[k])}::${sql.raw(columns[k]!.getSQLType())}`)), sql`, `)} from ${sql.raw(guard)}`,
  );
  return sql`insert into ${table} (${sql.join(names, sql`, `)}) ${sql.join(selects, sql` union all `)}`;
}

/** The event and its outbox row as inserts guarded by `guard` (see guardedInsert), for a change written as one statement. */
export function guardedEventWrites(e: AppendedEvent, guard: string): { event: OutboxEvent; writes: SQL[] } {
  const event = outboxOf(e);
  return { event, writes: [guardedInsert(orderStatusEvents, [eventRow(e)], guard), guardedInsert(outboxTable, outboxRows([event]), guard)] };
}
