/**
 * The merchant's and the driver's lifecycle steps, and cancellation: each
 * decides and commits through `runOrderStep` (one winner among concurrent
 * steps), announces the commit, then does its own after-commit work.
 * Delivery, with its proof rules, is in deliver.ts.
 */
import type { Order } from '../../../../db/schema/index';
import { paymentProvider } from '../../../providers/payments/index';
import { startDispatch } from '../../dispatch-client';
import { planSettlement, settle, type Settlement } from '../../payments/payments';
import type { OrderStep } from '../state-machine';
import { runOrderStep } from '../transitions';
import { announce, detailAfter, detailOf, type CommandContext, type ReasonedStepInput, type StepInput, type StepOutcome } from './context';
import { log } from '../../../../domain/log';
import { isHeld } from '../../../../domain/scheduling';
import { problems } from '../../../problem';

/** A step with nothing of its own: decide, commit, announce, read back. */
async function simpleStep(cx: CommandContext, step: OrderStep, input: ReasonedStepInput): Promise<StepOutcome> {
  const result = await runOrderStep(cx.db, input.orderId, step, input.actor.step, input.actor.event, { reason: input.reason ?? null, current: input.known?.order });
  announce(cx, result.order, result.events);
  return { order: result.order, previous: result.previous, events: result.events, detail: await detailOf(cx, input, result.order) };
}

/**
 * placed → preparing (its merchant). Starts dispatch after the commit; `order.preparing` in the outbox is the backstop.
 * A scheduled order still held is refused (409 `order-scheduled`): accepted early, it would be dispatched early (ADR 0108).
 */
export async function acceptOrder(cx: CommandContext, input: StepInput): Promise<StepOutcome> {
  const result = await runOrderStep(cx.db, input.orderId, 'accept', input.actor.step, input.actor.event, { current: input.known?.order, check: refuseHeld });
  announce(cx, result.order, result.events);
  cx.ctx.waitUntil(
    startDispatch(cx.env, dispatchRequestOf(result.order)).catch((error: unknown) =>
      log.error('startDispatch failed (order.preparing in the outbox is the backstop)', { orderId: result.order.id, error }),
    ),
  );
  return { order: result.order, previous: result.previous, events: result.events, detail: await detailOf(cx, input, result.order) };
}

function refuseHeld(order: Order): void {
  if (order.status === 'placed' && order.releaseAt && isHeld(order)) {
    throw problems.conflict('order-scheduled', `This order is scheduled; it can be accepted from ${order.releaseAt.toISOString()}, when it is released.`, { releaseAt: order.releaseAt.toISOString() });
  }
}

const dispatchRequestOf = (o: Order) => ({
  id: o.id,
  cityId: o.cityId,
  merchantId: o.merchantId,
  pickup: { lat: o.pickupLat, lng: o.pickupLng },
  dropoff: { lat: o.dropoffLat, lng: o.dropoffLng },
  requiresPrescription: o.requiresPrescription,
});

/** preparing → ready (its merchant). */
export const markReady = (cx: CommandContext, input: StepInput): Promise<StepOutcome> => simpleStep(cx, 'ready', input);

/** The assigned driver is at the shop (preparing or ready; status unchanged, an event in the history). */
export const driverArrived = (cx: CommandContext, input: StepInput): Promise<StepOutcome> => simpleStep(cx, 'arrived', input);

/** ready → in_delivery (the assigned driver). */
export const pickUpOrder = (cx: CommandContext, input: StepInput): Promise<StepOutcome> => simpleStep(cx, 'pickup', input);

/** in_delivery → failed (the assigned driver). */
export const failDelivery = (cx: CommandContext, input: ReasonedStepInput): Promise<StepOutcome> => simpleStep(cx, 'fail', input);

/** An order ended before delivery, with what was asked of the payment provider. */
export interface EndedOutcome extends StepOutcome {
  /** Planned in the step's transaction; asked for after the commit (a failed call stays pending for the cron). */
  settlement: Settlement;
}

/**
 * Ends an order before delivery and settles its payment: a captured payment
 * gets a refund row in the step's transaction and the refund is asked for
 * after the commit; an unpaid intent is cancelled at the provider. The order
 * is ended whatever the provider says: a failed refund stays pending and the
 * cron asks again (payments/sweeps.ts).
 */
async function endOrder(cx: CommandContext, step: 'reject' | 'cancel', input: ReasonedStepInput): Promise<EndedOutcome> {
  const result = await runOrderStep<Settlement>(cx.db, input.orderId, step, input.actor.step, input.actor.event, {
    reason: input.reason ?? null,
    extra: (tx, order) => planSettlement(tx, order.id, step === 'reject' ? 'merchant_rejected' : input.actor.step.kind === 'system' ? 'order_cancelled' : 'requested_by_customer'),
  });
  announce(cx, result.order, result.events);
  await settleAfterCommit(cx, input.orderId, result.extra);
  return { order: result.order, previous: result.previous, events: result.events, settlement: result.extra, detail: await detailAfter(cx, input.orderId) };
}

/** After the order's commit: ask the provider; a failure leaves the refund pending for the cron (the order is ended anyway). */
export async function settleAfterCommit(cx: CommandContext, orderId: string, settlement: Settlement): Promise<void> {
  if (settlement.kind === 'none') return;
  try {
    await settle(cx.db, paymentProvider(cx.env), settlement);
  } catch (error) {
    log.warn('payment settlement deferred', { orderId, error });
  }
}

/** placed → rejected (its merchant); a captured payment is refunded. */
export const rejectOrder = (cx: CommandContext, input: ReasonedStepInput): Promise<EndedOutcome> => endOrder(cx, 'reject', input);

/** → cancelled (its customer before preparing, its merchant before in_delivery, the platform while placed); a captured payment is refunded, an open intent cancelled. */
export const cancelOrder = (cx: CommandContext, input: ReasonedStepInput): Promise<EndedOutcome> => endOrder(cx, 'cancel', input);
