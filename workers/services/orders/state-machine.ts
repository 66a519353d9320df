/**
 * The order lifecycle as pure logic: (order, step, actor) -> allowed? and the
 * next status. Routes, the Stripe webhook and (later) dispatch all ask this
 * module, so the rules of who may take which step live in one table.
 *
 *   pending_payment -> placed -> preparing -> ready -> in_delivery -> delivered
 *   terminal also: cancelled, rejected, failed
 *
 * No I/O here: the caller applies the answer with a conditional UPDATE
 * (`where id = $1 and version = $2`), so two concurrent steps cannot both win.
 */

import type { DispatchState, OrderStatus } from '../../../domain/order';

export { DISPATCH_STATES, ORDER_STATUSES, isTerminal, statusEventType, type DispatchState, type OrderStatus } from '../../../domain/order';

/** Steps users take through the API; `paid` and `payment_canceled` come from Stripe. */
export const ORDER_STEPS = [
  'paid',
  'payment_canceled',
  'accept',
  'reject',
  'ready',
  'arrived',
  'pickup',
  'deliver',
  'fail',
  'cancel',
] as const;
export type OrderStep = (typeof ORDER_STEPS)[number];

/** Who is acting, in relation to the order (the caller resolves it first). */
export type StepActor =
  | { kind: 'customer'; userId: string }
  | { kind: 'merchant'; merchantId: string }
  | { kind: 'driver'; driverId: string }
  | { kind: 'stripe' }
  | { kind: 'system' }
  /** Ops or admin staff (ADR 0112): may cancel any order not yet delivered. */
  | { kind: 'operator'; userId: string };

export interface OrderFacts {
  status: OrderStatus;
  dispatch: DispatchState;
  merchantId: string;
  customerId: string | null;
  driverId: string | null;
}

export type StepDecision =
  /** `dispatch` null: the step leaves the dispatch state as the database has it. */
  | { ok: true; next: OrderStatus; dispatch: DispatchState | null }
  /** The actor has no business with this step on this order (403). */
  | { ok: false; reason: 'forbidden' }
  /** The actor may take this step, but not from the current status (409). */
  | { ok: false; reason: 'illegal'; current: OrderStatus; currentDispatch: DispatchState };

type ActorKind = StepActor['kind'];

interface StepRule {
  /** Who may take the step, and from which statuses each of them may. */
  from: Partial<Record<ActorKind, readonly OrderStatus[]>>;
  /** The status after the step; `same` keeps it (an event only, e.g. driver arrived). */
  to: OrderStatus | 'same';
  /** The dispatch states the step needs (status and dispatch are checked together, here). */
  dispatchFrom?: readonly DispatchState[];
  dispatch?: DispatchState;
}

/**
 * The table of the contract (docs/api.md, Orders): the merchant accepts, rejects
 * and marks ready; the assigned driver arrives, picks up, delivers or fails;
 * the customer cancels before `preparing`, the merchant before `in_delivery`,
 * the platform an order still `placed` past its merchant's deadline.
 */
export const STEP_RULES: Readonly<Record<OrderStep, StepRule>> = {
  paid: { from: { stripe: ['pending_payment'], system: ['pending_payment'] }, to: 'placed' },
  payment_canceled: { from: { stripe: ['pending_payment'], system: ['pending_payment'] }, to: 'cancelled' },
  accept: { from: { merchant: ['placed'] }, to: 'preparing' },
  reject: { from: { merchant: ['placed'] }, to: 'rejected' },
  ready: { from: { merchant: ['preparing'] }, to: 'ready' },
  arrived: { from: { driver: ['preparing', 'ready'] }, dispatchFrom: ['assigned'], to: 'same' },
  pickup: { from: { driver: ['ready'] }, dispatchFrom: ['assigned'], to: 'in_delivery', dispatch: 'picked_up' },
  deliver: { from: { driver: ['in_delivery'] }, dispatchFrom: ['picked_up'], to: 'delivered', dispatch: 'dropped_off' },
  fail: { from: { driver: ['in_delivery'] }, dispatchFrom: ['picked_up'], to: 'failed' },
  cancel: {
    from: {
      customer: ['pending_payment', 'placed'],
      merchant: ['pending_payment', 'placed', 'preparing', 'ready'],
      // An order its merchant never accepted (services/orders/unaccepted.ts).
      system: ['placed'],
      operator: ['pending_payment', 'placed', 'preparing', 'ready', 'in_delivery'],
    },
    to: 'cancelled',
  },
};

/** Is this actor the order's customer, merchant or assigned driver? */
export function isPartyTo(order: OrderFacts, actor: StepActor): boolean {
  switch (actor.kind) {
    case 'customer':
      return order.customerId !== null && order.customerId === actor.userId;
    case 'merchant':
      return order.merchantId === actor.merchantId;
    case 'driver':
      return order.driverId !== null && order.driverId === actor.driverId;
    case 'stripe':
    case 'system':
    case 'operator':
      return true;
    default: {
      const never: never = actor;
      return never;
    }
  }
}

export function decideStep(order: OrderFacts, step: OrderStep, actor: StepActor): StepDecision {
  const rule = STEP_RULES[step];
  const allowedFrom = rule.from[actor.kind];
  if (!allowedFrom || !isPartyTo(order, actor)) return { ok: false, reason: 'forbidden' };
  if (!allowedFrom.includes(order.status) || (rule.dispatchFrom && !rule.dispatchFrom.includes(order.dispatch))) {
    return { ok: false, reason: 'illegal', current: order.status, currentDispatch: order.dispatch };
  }
  return { ok: true, next: rule.to === 'same' ? order.status : rule.to, dispatch: rule.dispatch ?? null };
}

