/**
 * A `payment_intent.succeeded` places an order only for the money the order
 * asked for (ASVS V11.1.5, OWASP API10:2023): the event's amount received and
 * currency are compared with the payment row before anything moves. Before
 * this check a signed event with `amount: 1` placed a €44 order.
 *
 * On a mismatch the order is not placed: the payment is recorded failed with
 * the reason, the order is cancelled (its intent can never be paid again),
 * the amount the event says was received is refunded (once, however often
 * the event comes), and the mismatch is raised: an error log line and an
 * audit row (`payment.amount_mismatch`) for operators. A mismatched event
 * for a payment already captured in full changes nothing and is raised the
 * same way.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { newId } from '../../../db/ids';
import { refunds, type Order, type Payment } from '../../../db/schema/index';
import { log } from '../../../domain/log';
import { recordAudit, SYSTEM_ACTOR } from '../audit';
import { applyPaymentStep } from '../orders/commands/payment-steps';
import type { OutboxEvent } from '../outbox';
import type { Settlement } from './payments';
import { recordPaymentSignal } from './payments';

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

const CAPTURED: ReadonlySet<Payment['status']> = new Set(['succeeded', 'partially_refunded', 'refunded']);

export interface AmountMismatch {
  expectedCents: number;
  expectedCurrency: string;
  /** What the event says was received (null when it says nothing usable). */
  receivedCents: number | null;
  receivedCurrency: string | null;
}

interface IntentAmounts {
  amount?: unknown;
  amount_received?: unknown;
  currency?: unknown;
}

/** The mismatch between the event's PaymentIntent and the payment, or null when they agree. */
export function amountMismatch(object: Record<string, unknown>, payment: Pick<Payment, 'amountCents' | 'currency'>): AmountMismatch | null {
  const o = object as IntentAmounts;
  const raw = typeof o.amount_received === 'number' ? o.amount_received : o.amount;
  const receivedCents = typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0 ? raw : null;
  const receivedCurrency = typeof o.currency === 'string' ? o.currency.toUpperCase() : null;
  if (receivedCents === payment.amountCents && receivedCurrency === payment.currency.toUpperCase()) return null;
  return { expectedCents: payment.amountCents, expectedCurrency: payment.currency.toUpperCase(), receivedCents, receivedCurrency };
}

export const MISMATCH_REASON = 'payment amount mismatch';

/**
 * Inside the event's transaction, with the payment and order rows locked:
 * record, cancel, plan the refund, audit. Returns the order events and the
 * settlement for the caller to carry out after the commit.
 */
export async function refuseMismatchedPayment(
  tx: Tx,
  input: { payment: Payment; order: Order; eventId: string; intentId: string | null; mismatch: AmountMismatch },
): Promise<{ orderEvents: OutboxEvent[]; settlement: Settlement; effect: string }> {
  const { payment, order, eventId, intentId, mismatch } = input;
  const providerIntent = intentId ?? payment.providerPaymentId;
  if (CAPTURED.has(payment.status)) {
    // The order was paid in full already: this event is not what happened. Raise it, move nothing.
    const alert = { orderId: order.id, paymentId: payment.id, intentId: providerIntent, eventId, ...mismatch };
    await recordAudit(tx, { actor: SYSTEM_ACTOR, action: 'payment.amount_mismatch', target: { type: 'order', id: order.id }, metadata: { ...alert, refundCents: 0 } });
    log.error('payment amount mismatch on a payment already captured: nothing changed', alert);
    return { orderEvents: [], settlement: { kind: 'none' }, effect: 'amount mismatch, payment already captured: unchanged' };
  }
  const received = mismatch.receivedCents === null ? 'nothing usable' : `${mismatch.receivedCents} ${mismatch.receivedCurrency ?? '(no currency)'}`;
  const failureReason = `amount_mismatch: received ${received}, expected ${mismatch.expectedCents} ${mismatch.expectedCurrency}`;
  const recorded = await recordPaymentSignal(tx, payment, { kind: 'failed' }, { providerPaymentId: intentId ?? undefined, failureReason });
  const moved = await applyPaymentStep(tx, { order, step: 'payment_canceled', eventId, reason: MISMATCH_REASON });
  // Refund what was received, less what is already refunded or asked for: a repeat of the event refunds nothing more.
  const [{ asked }] = (await tx
    .select({ asked: sql<number>`coalesce(sum(${refunds.amountCents}), 0)::int` })
    .from(refunds)
    .where(and(eq(refunds.paymentId, payment.id), inArray(refunds.status, ['pending', 'succeeded'])))) as [{ asked: number }];
  const toRefund = (mismatch.receivedCents ?? 0) - asked;
  let settlement: Settlement = { kind: 'none' };
  if (toRefund > 0 && providerIntent) {
    const refundId = newId('ref');
    await tx.insert(refunds).values({ id: refundId, paymentId: payment.id, amountCents: toRefund, currency: mismatch.receivedCurrency ?? payment.currency, status: 'pending', reason: 'amount_mismatch' });
    settlement = { kind: 'refund', refundId, paymentId: payment.id, intentId: providerIntent, amountCents: toRefund };
  }
  const alert = { orderId: order.id, paymentId: payment.id, intentId: providerIntent, eventId, ...mismatch };
  await recordAudit(tx, { actor: SYSTEM_ACTOR, action: 'payment.amount_mismatch', target: { type: 'order', id: order.id }, metadata: { ...alert, refundCents: Math.max(0, toRefund) } });
  log.error('payment amount mismatch: order not placed, payment refunded', { ...alert, refundCents: Math.max(0, toRefund) });
  const effects = [recorded ? `payment ${recorded.payment.status}` : 'payment unchanged', 'amount mismatch', moved ? 'order cancelled' : `order ${order.status}`];
  if (settlement.kind === 'refund') effects.push('refund');
  return { orderEvents: [...(recorded?.events ?? []), ...(moved?.events ?? [])], settlement, effect: effects.join(', ') };
}
