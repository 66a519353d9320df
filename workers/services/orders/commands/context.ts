/**
 * What every order command receives and how it reports back. A command owns
 * the whole of its change: it decides and commits (transitions.ts, the
 * timeline), then runs what follows every commit (order-commit.ts
 * `afterOrderCommit`) and its own after-commit work (dispatch on accept, the
 * provider call of a refund), so a route, the Stripe webhook or the shard's
 * entrypoint cannot forget a part. Refusals are the typed problems of
 * workers/problem.ts, thrown.
 */
import type { Database } from '../../../../db/client';
import type { Order } from '../../../../db/schema/index';
import { problems } from '../../../problem';
import { afterOrderCommit } from '../../order-commit';
import type { OutboxEvent } from '../../outbox';
import { loadOrderDetail } from '../repository';
import type { StepActor } from '../state-machine';
import type { EventActor } from '../timeline';
import type { OrderDetail } from '../view';

type WaitUntil = { waitUntil(promise: Promise<unknown>): void };

/** The per-invocation dependencies: the request's (or entrypoint's) database, its env and its ctx. */
export interface CommandContext {
  db: Database;
  env: Env;
  ctx: WaitUntil;
}

/**
 * Who takes the step: in relation to the order (the state machine's actor,
 * resolved by the caller from its principal: services/orders/access.ts) and
 * as the history records it.
 */
export interface CommandActor {
  step: StepActor;
  event: EventActor;
}

/** Input of a lifecycle step on one order. */
export interface StepInput {
  orderId: string;
  actor: CommandActor;
  /**
   * The order with its detail as the caller just read it (a route's access
   * check): the step decides on it first (a concurrent change still loses the
   * conditional write and is decided again) and answers it with the new row,
   * instead of reading the order twice more.
   */
  known?: OrderDetail | undefined;
}

/** Input of a step that may carry a free-text reason (reject, fail, cancel). */
export interface ReasonedStepInput extends StepInput {
  reason?: string | undefined;
}

/** What every lifecycle step answers: the committed row, its events, and the order as read after everything the step did. */
export interface StepOutcome {
  order: Order;
  /** The row the step was decided against. */
  previous: Order;
  events: OutboxEvent[];
  /** The order with its items, contact, driver and proof, read after the commit (and the step's provider calls). */
  detail: OrderDetail;
}

/** Runs `afterOrderCommit` for a committed change (merchant feed, the events' publish, the shard's watchers). */
export function announce(cx: CommandContext, order: Order, events: readonly OutboxEvent[]): void {
  afterOrderCommit(cx.env, cx.ctx, cx.db, order.merchantId, events, order);
}

/**
 * The order as it stands after the step: the caller's detail with the
 * committed row when it gave one (a step changes only the order row, and
 * items, contact and driver as read are those of the version the step was
 * decided on), else read again.
 */
export async function detailOf(cx: CommandContext, input: StepInput, order: Order): Promise<OrderDetail> {
  if (input.known && input.known.order.id === order.id && input.known.order.version === order.version - 1) return { ...input.known, order };
  return detailAfter(cx, input.orderId);
}

/** The order as read after the step; it exists (the step just changed it), a vanished row is an internal error. */
export async function detailAfter(cx: CommandContext, orderId: string): Promise<OrderDetail> {
  const detail = await loadOrderDetail(cx.db, orderId);
  if (!detail) throw problems.internal();
  return detail;
}
