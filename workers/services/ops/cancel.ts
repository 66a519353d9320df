/**
 * An operator cancels an order and refunds it, in full or in part
 * (docs/decisions/0112). Any order not yet delivered may be cancelled by ops
 * (the state machine's `operator` actor). One transaction: the cancellation
 * with its event and the refund row (pending until the provider answers);
 * then the audit row with before/after, and the refund is asked for, exactly as
 * a merchant's cancellation does (payments.ts `settle`; a failed call stays
 * pending for the cron). The amount is at most what was paid less what was
 * refunded or is being refunded; with no amount, all of it.
 */
import { and, eq, sql } from 'drizzle-orm';
import { newId } from '../../../db/ids';
import { refunds, type Order } from '../../../db/schema/index';
import { problems } from '../../problem';
import { recordAudit, type AuditContext } from '../audit';
import { announce, type CommandContext } from '../orders/commands/context';
import { settleAfterCommit } from '../orders/commands/steps';
import { runOrderStep } from '../orders/transitions';
import type { Tx } from '../orders/timeline';
import { refundableCents } from '../payments/lifecycle';
import { lockPaymentOfOrder, planSettlement, type Settlement } from '../payments/payments';

export interface OperatorCancelInput {
  orderId: string;
  reason: string;
  /** Omitted: everything still refundable. 0: no refund. */
  refundCents?: number | undefined;
  audit: AuditContext;
}

export interface OperatorCancelOutcome {
  order: Order;
  previous: Order;
  refund: { refundId: string; amountCents: number } | null;
}

/** What may still be refunded: captured, less refunds succeeded or pending (never refund twice). */
async function refundableNow(tx: Tx, orderId: string) {
  const payment = await lockPaymentOfOrder(tx, orderId);
  if (!payment) return { payment: null, refundable: 0 };
  const [row] = await tx
    .select({ pending: sql<number>`coalesce(sum(${refunds.amountCents}), 0)::int` })
    .from(refunds)
    .where(and(eq(refunds.paymentId, payment.id), eq(refunds.status, 'pending')));
  return { payment, refundable: Math.max(0, refundableCents(payment) - (row?.pending ?? 0)) };
}

async function planPartial(tx: Tx, orderId: string, amountCents: number): Promise<Settlement> {
  const { payment, refundable } = await refundableNow(tx, orderId);
  if (amountCents > refundable || (amountCents > 0 && !payment?.providerPaymentId)) {
    throw problems.validation([{ path: 'refundCents', message: `At most ${refundable} (paid less refunded).` }]);
  }
  if (amountCents === 0 || !payment?.providerPaymentId) return { kind: 'none' };
  const refundId = newId('ref');
  await tx.insert(refunds).values({ id: refundId, paymentId: payment.id, amountCents, currency: payment.currency, status: 'pending', reason: 'operator_cancelled' });
  return { kind: 'refund', refundId, paymentId: payment.id, intentId: payment.providerPaymentId, amountCents };
}

export async function operatorCancel(cx: CommandContext, input: OperatorCancelInput): Promise<OperatorCancelOutcome> {
  const result = await runOrderStep<Settlement>(cx.db, input.orderId, 'cancel', { kind: 'operator', userId: input.audit.actor.id ?? '' }, input.audit.actor, {
    reason: input.reason,
    extra: (tx, order) => (input.refundCents === undefined ? planSettlement(tx, order.id, 'order_cancelled') : planPartial(tx, order.id, input.refundCents)),
  });
  // After the commit, with the status the step was decided on (the step's transaction only sees the new row).
  await recordAudit(cx.db, {
    ...input.audit,
    action: 'order.cancel',
    target: { type: 'order', id: input.orderId },
    metadata: {
      reason: input.reason,
      refundCents: result.extra.kind === 'refund' ? result.extra.amountCents : 0,
      before: { status: result.previous.status, dispatch: result.previous.dispatchState, driverId: result.previous.driverId },
      after: { status: result.order.status, dispatch: result.order.dispatchState, driverId: result.order.driverId },
    },
  });
  announce(cx, result.order, result.events);
  await settleAfterCommit(cx, input.orderId, result.extra);
  return { order: result.order, previous: result.previous, refund: result.extra.kind === 'refund' ? { refundId: result.extra.refundId, amountCents: result.extra.amountCents } : null };
}
