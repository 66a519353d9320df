/**
 * Applying a lifecycle step: one transaction changes the order with a
 * conditional UPDATE (`where id = $1 and version = $2`), appends its status
 * event and writes its outbox row. If another step committed first, the
 * UPDATE matches no row, nothing is written, and the step is decided again
 * against the new state: of two concurrent steps exactly one wins, the other
 * gets the 409 of the state it lost to.
 */
import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Database } from '../../../db/client';
import { orders, type NewOrder, type Order } from '../../../db/schema/index';
import { problems } from '../../problem';
import type { OutboxEvent } from '../outbox';
import { loadOrder } from './repository';
import { decideStep, isTerminal, statusEventType, type DispatchState, type OrderStatus, type OrderStep, type StepActor } from './state-machine';
import { guardedEventWrites, guardedInsert, nextSeq, type EventActor, type Tx } from './timeline';

export type { EventActor, EventActorType } from './timeline';
export { orderEventPayload } from './timeline';

/** After a terminal status the public tracking link lives one more hour (docs/api.md). */
export const TRACKING_GRACE_MS = 60 * 60 * 1000;

/** Columns a status change sets besides the status itself. */
function columnsFor(next: OrderStatus, previous: OrderStatus, at: Date, reason: string | null): Partial<NewOrder> {
  const set: Partial<NewOrder> = {};
  // The delivery PIN was made with the order (hashed and sealed, ADR 0083); it is shown from placement on.
  if (next === 'placed' && previous !== 'placed') set.placedAt = at;
  if (next === 'delivered') set.deliveredAt = at;
  if (isTerminal(next)) set.trackingExpiresAt = new Date(at.getTime() + TRACKING_GRACE_MS);
  if ((next === 'cancelled' || next === 'rejected' || next === 'failed') && reason) set.cancelReason = reason;
  return set;
}

export interface TransitionWrite {
  current: Order;
  step: OrderStep;
  next: OrderStatus;
  /** Null: the step leaves the dispatch state as it is. */
  dispatch: DispatchState | null;
  actor: EventActor;
  reason?: string | null;
  at?: Date;
}

/** A row another table gets in the same statement as the change (e.g. the delivery proof), only if the change is written. */
export interface AlsoWrite {
  table: PgTable;
  rows: Record<string, unknown>[];
}

/**
 * One statement (so one round trip, atomic by itself, in or out of a
 * transaction): the conditional update (on `version`, so any change since
 * `current` was read, a dispatch fact included, makes it match nothing), the
 * event with its seq and snapshot, the outbox row and any `also` rows, each
 * inserted only if the update matched (timeline.ts `guardedInsert`). The
 * order after the change is `current` with what the update sets: the
 * version predicate guarantees every other column is as read. Returns null
 * when the order changed since `current` was read (nothing written).
 */
export async function writeTransition(db: Pick<Database, 'update' | 'execute'>, w: TransitionWrite, also: (after: Order) => AlsoWrite[] = () => []): Promise<{ order: Order; events: OutboxEvent[] } | null> {
  const t = transitionParts(db, w, also);
  const rows = await db.execute<{ n: number }>(sql`with ${t.ctes} select count(*)::int as n from ${sql.raw(t.guard)}`);
  if (Number(rows[0]?.n ?? 0) === 0) return null;
  return { order: t.order, events: t.events };
}

/**
 * The CTEs of a transition for a caller that folds it into a larger
 * statement (the Stripe webhook's fast path): `changed` is the conditional
 * update (also conditioned on `when`, e.g. that the payment row was updated
 * in the same statement), then the guarded inserts.
 */
export function transitionParts(db: Pick<Database, 'update'>, w: TransitionWrite, also: (after: Order) => AlsoWrite[] = () => [], when?: SQL) {
  const at = w.at ?? new Date();
  const reason = w.reason ?? null;
  const set = { status: w.next, ...(w.dispatch ? { dispatchState: w.dispatch } : {}), updatedAt: at, ...columnsFor(w.next, w.current.status, at, reason) };
  const order: Order = { ...w.current, ...set, seq: w.current.seq + 1, version: w.current.version + 1 };
  const type = w.step === 'arrived' ? 'order.driver_arrived' : statusEventType(order.status);
  const guard = 'changed';
  const update = db
    .update(orders)
    .set({ ...set, ...nextSeq() })
    .where(and(eq(orders.id, w.current.id), eq(orders.version, w.current.version), when))
    .returning({ id: orders.id });
  const { event, writes } = guardedEventWrites({ type, order, previous: w.current.status, actor: w.actor, reason, at }, guard);
  const parts = [...writes, ...also(order).filter((a) => a.rows.length > 0).map((a) => guardedInsert(a.table, a.rows, guard))];
  const ctes = sql.join([sql`${sql.raw(guard)} as (${update.getSQL()})`, ...parts.map((p, i) => sql`${sql.raw(`${guard}_w${i}`)} as (${p})`)], sql`, `);
  return { order, events: [event], ctes, guard };
}

export interface StepResult<T> {
  order: Order;
  previous: Order;
  events: OutboxEvent[];
  extra: T;
}

/**
 * Decides and applies `step` for `actor`, retrying when a concurrent step
 * won the race. `check` may refuse the step on its own terms (e.g. a wrong
 * PIN) before anything is written; `extra` writes step-specific rows in the
 * same transaction (delivery proof, refund record).
 */
export async function runOrderStep<T = undefined>(
  db: Database,
  orderId: string,
  step: OrderStep,
  actor: StepActor,
  eventActor: EventActor,
  options: {
    reason?: string | null;
    check?: (order: Order) => void | Promise<void>;
    /** Step-specific writes that need a transaction (reads, refunds): the change then runs in one, with them. */
    extra?: (tx: Tx, order: Order) => Promise<T>;
    /** Step-specific rows written in the change's own statement (no transaction needed). */
    also?: (order: Order) => AlsoWrite[];
    /** The order as the caller just read it (the route's access check): the first attempt decides on it instead of reading again. */
    current?: Order;
  } = {},
): Promise<StepResult<T>> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = attempt === 0 && options.current?.id === orderId ? options.current : await loadOrder(db, orderId);
    if (!current) throw problems.notFound('No such order.');
    const decision = decideStep({ status: current.status, dispatch: current.dispatchState, merchantId: current.merchantId, customerId: current.customerId, driverId: current.driverId }, step, actor);
    if (!decision.ok) {
      if (decision.reason === 'forbidden') throw problems.forbidden(`You may not ${step.replace('_', ' ')} this order.`);
      const state = STATUS_ONLY.has(step) ? decision.current : `${decision.current} (dispatch ${decision.currentDispatch})`;
      throw problems.conflict('illegal-transition', `An order that is ${state} cannot be ${pastTense(step)}.`, { currentStatus: decision.current, currentDispatch: decision.currentDispatch });
    }
    await options.check?.(current);
    const write: TransitionWrite = { current, step, next: decision.next, dispatch: decision.dispatch, actor: eventActor, reason: options.reason ?? null };
    const extraStep = options.extra;
    const result = extraStep
      ? await db.transaction(async (tx) => {
          const written = await writeTransition(tx, write);
          if (!written) return null;
          return { ...written, extra: await extraStep(tx, written.order) };
        })
      : await writeTransition(db, write, options.also).then((written) => (written ? { ...written, extra: undefined as T } : null));
    if (result) return { order: result.order, previous: current, events: result.events, extra: result.extra };
  }
  throw problems.conflict('concurrent-update', 'The order kept changing while this step was applied; read it again and retry.');
}

/** Steps whose refusal is about the status alone (the others also need a dispatch state). */
const STATUS_ONLY: ReadonlySet<OrderStep> = new Set(['paid', 'payment_canceled', 'accept', 'reject', 'ready', 'cancel']);

function pastTense(step: OrderStep): string {
  const words: Record<OrderStep, string> = {
    paid: 'paid',
    payment_canceled: 'cancelled by the payment provider',
    accept: 'accepted',
    reject: 'rejected',
    ready: 'marked ready',
    arrived: 'marked as driver arrived',
    pickup: 'picked up',
    deliver: 'delivered',
    fail: 'marked failed',
    cancel: 'cancelled',
  };
  return words[step];
}
