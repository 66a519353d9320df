/**
 * Placing an order: create it (create.ts: validation, pricing, one statement
 * with its first event and outbox row), announce it, and open its
 * PaymentIntent. A retry of the same request (the route's Idempotency-Key)
 * after a failure further on resumes the order that exists instead of
 * creating another. A provider failure is a 503 (the order stays
 * pending_payment; the retry completes it) or a 502 (the provider refused).
 */
import type { SQL } from 'drizzle-orm';
import type { Payment } from '../../../../db/schema/index';
import { Problem, problems } from '../../../problem';
import { paymentProvider, PaymentProviderRejectedError, PaymentProviderUnavailableError } from '../../../providers/payments/index';
import type { FoldedClaim, IdempotencyRef } from '../../idempotency';
import { ensurePaymentIntent, paymentOfOrder } from '../../payments/payments';
import type { OutboxEvent } from '../../outbox';
import { dataKeys } from '../../secrets/data-keys';
import { createOrder, type CreateOrderInput, type OrderCreator } from '../create';
import { loadOrderDetail } from '../repository';
import type { OrderDetail } from '../view';
import { announce, type CommandContext } from './context';

export interface PlaceOrderInput {
  order: CreateOrderInput;
  creator: OrderCreator;
  /** The request's idempotency record; the order is attached to it in the creating statement. */
  idempotency: IdempotencyRef;
  /** The order an earlier try of the same request created: finished instead of created again. */
  resumeOrderId?: string | null | undefined;
  /** The key, claimed in the creating lookup's statement (a new key's common case; KeyNotClaimed otherwise). */
  claim?: FoldedClaim;
}

export interface PlacedOrder {
  detail: OrderDetail;
  /** True when this call created the order (false: resumed). */
  created: boolean;
  /** The creation's events (empty when resumed). */
  events: OutboxEvent[];
  /**
   * The PaymentIntent to pay with, for an order awaiting payment; `recordIntent`
   * stores its id on the payment, for the caller to run with its own final write
   * (one round trip), null when it is stored already.
   */
  payment: { clientSecret: string; recordIntent: SQL | null } | null;
}

export async function placeOrder(cx: CommandContext, input: PlaceOrderInput): Promise<PlacedOrder> {
  try {
    let detail: OrderDetail | null = null;
    let payment: Payment | null = null;
    let events: OutboxEvent[] = [];
    if (input.resumeOrderId) {
      detail = await loadOrderDetail(cx.db, input.resumeOrderId);
      payment = detail ? await paymentOfOrder(cx.db, detail.order.id) : null;
    }
    const created = !detail;
    if (!detail) {
      const fresh = await createOrder(cx.db, await dataKeys(cx.env.DATA_ENCRYPTION_KEYS), input.order, input.creator, input.idempotency, new Date(), input.claim);
      ({ detail, payment, events } = fresh);
      announce(cx, detail.order, events);
    }
    if (detail.order.status !== 'pending_payment' || !payment) return { detail, created, events, payment: null };
    const intent = await ensurePaymentIntent(cx.db, paymentProvider(cx.env), payment);
    return { detail, created, events, payment: { clientSecret: intent.clientSecret, recordIntent: intent.record } };
  } catch (error) {
    throw providerProblem(error);
  }
}

/** The client secret of an order's PaymentIntent (a replayed answer does not keep it). */
export async function clientSecretOf(cx: CommandContext, orderId: string): Promise<string> {
  try {
    const payment = await paymentOfOrder(cx.db, orderId);
    if (!payment?.providerPaymentId) throw problems.internal();
    return (await paymentProvider(cx.env).retrieveIntent(payment.providerPaymentId)).clientSecret;
  } catch (error) {
    throw providerProblem(error);
  }
}

function providerProblem(error: unknown): unknown {
  if (error instanceof PaymentProviderUnavailableError) {
    return problems.unavailable('The payment provider is unavailable. The order is kept in pending_payment: retry with the same Idempotency-Key to complete it.', 5);
  }
  if (error instanceof PaymentProviderRejectedError) {
    return new Problem(502, 'payment-provider-error', 'The payment provider refused to open a payment for this order.');
  }
  return error;
}
