/**
 * Applying a lifecycle step: one transaction changes the order with a
 * conditional UPDATE (`where id = $1 and version = $2`), appends its status
 * event and writes its outbox row. If another step committed first, the
 * UPDATE matches no row, nothing is written, and the step is decided again
 * against the new state: of two concurrent steps exactly one wins, the other
 * gets the 409 of the state it lost to.
 */
import { and, eq } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { orders, type NewOrder, type Order } from '../../../db/schema/index';
import { problems } from '../../problem';
import type { OutboxEvent } from '../outbox';
import { loadOrder } from './repository';
import { decideStep, isTerminal, statusEventType, type DispatchState, type OrderStatus, type OrderStep, type StepActor } from './state-machine';
import { appendOrderEvent, nextSeq, type EventActor, type Tx } from './timeline';

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

/**
 * Inside the caller's transaction: the conditional update (on `version`, so
 * any change since `current` was read, a dispatch fact included, makes it
 * match nothing), then the event with its seq and snapshot and the outbox row.
 * Returns null when the order changed since `current` was read.
 */
export async function writeTransition(tx: Tx, w: TransitionWrite): Promise<{ order: Order; events: OutboxEvent[] } | null> {
  const at = w.at ?? new Date();
  const reason = w.reason ?? null;
  const [order] = await tx
    .update(orders)
    .set({ status: w.next, ...(w.dispatch ? { dispatchState: w.dispatch } : {}), ...nextSeq(), updatedAt: at, ...columnsFor(w.next, w.current.status, at, reason) })
    .where(and(eq(orders.id, w.current.id), eq(orders.version, w.current.version)))
    .returning();
  if (!order) return null;
  const type = w.step === 'arrived' ? 'order.driver_arrived' : statusEventType(order.status);
  const event = await appendOrderEvent(tx, { type, order, previous: w.current.status, actor: w.actor, reason, at });
  return { order, events: [event] };
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
  options: { reason?: string | null; check?: (order: Order) => void | Promise<void>; extra?: (tx: Tx, order: Order) => Promise<T> } = {},
): Promise<StepResult<T>> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await loadOrder(db, orderId);
    if (!current) throw problems.notFound('No such order.');
    const decision = decideStep({ status: current.status, dispatch: current.dispatchState, merchantId: current.merchantId, customerId: current.customerId, driverId: current.driverId }, step, actor);
    if (!decision.ok) {
      if (decision.reason === 'forbidden') throw problems.forbidden(`You may not ${step.replace('_', ' ')} this order.`);
      const state = STATUS_ONLY.has(step) ? decision.current : `${decision.current} (dispatch ${decision.currentDispatch})`;
      throw problems.conflict('illegal-transition', `An order that is ${state} cannot be ${pastTense(step)}.`, { currentStatus: decision.current, currentDispatch: decision.currentDispatch });
    }
    await options.check?.(current);
    const result = await db.transaction(async (tx) => {
      const written = await writeTransition(tx, { current, step, next: decision.next, dispatch: decision.dispatch, actor: eventActor, reason: options.reason ?? null });
      if (!written) return null;
      const extra = options.extra ? await options.extra(tx, written.order) : (undefined as T);
      return { ...written, extra };
    });
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
