/**
 * The payment provider's steps on an order (`paid`, `payment_canceled`),
 * taken inside the transaction that records the provider's event
 * (payments/stripe-events.ts), with the order row locked. Unlike the API's
 * steps a refusal is not an error: a late or repeated event simply moves
 * nothing. The caller announces the events after its commit.
 */
import type { Order } from '../../../../db/schema/index';
import type { OutboxEvent } from '../../outbox';
import { decideStep } from '../state-machine';
import type { Tx } from '../timeline';
import { writeTransition } from '../transitions';

export interface PaymentStepInput {
  /** The order row, locked (`select … for update`) by the caller's transaction. */
  order: Order;
  step: 'paid' | 'payment_canceled';
  /** The provider's event id, recorded as the actor of the change. */
  eventId: string;
  reason: string | null;
}

/** The committed change, or null when the state machine refuses the step (nothing written). */
export async function applyPaymentStep(tx: Tx, input: PaymentStepInput): Promise<{ order: Order; events: OutboxEvent[] } | null> {
  const { order, step } = input;
  const decision = decideStep({ status: order.status, dispatch: order.dispatchState, merchantId: order.merchantId, customerId: order.customerId, driverId: order.driverId }, step, { kind: 'stripe' });
  if (!decision.ok) return null;
  // The order row is locked, so the conditional update cannot miss.
  return writeTransition(tx, { current: order, step, next: decision.next, dispatch: decision.dispatch, actor: { type: 'stripe', id: input.eventId }, reason: input.reason });
}
