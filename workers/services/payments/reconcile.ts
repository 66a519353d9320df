/**
 * The payment reconciliation sweep (cron, faults issue): a customer paid, but
 * Stripe's webhook never got through (Postgres was down for the length of its
 * retries, or the endpoint was misconfigured), so the order would wait in
 * `pending_payment` for ever. Orders still unpaid a few minutes after
 * creation whose PaymentIntent exists are re-read from Stripe; a succeeded or
 * canceled intent is applied exactly as its webhook would be, through
 * `applyStripeEvent`, under an event id of its own (`reconcile:<intent>:<status>`),
 * so a repeat, or the real webhook arriving late, changes nothing twice.
 * Bounded: at most `limit` orders a run, oldest first.
 */
import { and, asc, eq, isNotNull, lt } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { orders, payments } from '../../../db/schema/index';
import type { PaymentProvider } from '../../providers/payments/index';
import type { StripeEventOutcome } from './stripe-events';
import { applyStripeEvent } from './stripe-events';
import { log } from '../../../domain/log';

export interface ReconcileRun {
  checked: number;
  placed: number;
  cancelled: number;
  failed: number;
  /** Events committed by the run (the caller announces them: feed, queue, shard). */
  outcomes: StripeEventOutcome[];
}

const EVENT_OF: Partial<Record<string, string>> = {
  succeeded: 'payment_intent.succeeded',
  canceled: 'payment_intent.canceled',
};

export async function reconcilePendingPayments(db: Database, provider: PaymentProvider, options: { olderThanMs?: number; limit?: number; now?: Date } = {}): Promise<ReconcileRun> {
  const now = options.now ?? new Date();
  const before = new Date(now.getTime() - (options.olderThanMs ?? 5 * 60_000));
  const due = await db
    .select({ orderId: orders.id, intentId: payments.providerPaymentId })
    .from(orders)
    .innerJoin(payments, eq(payments.orderId, orders.id))
    .where(and(eq(orders.status, 'pending_payment'), isNotNull(payments.providerPaymentId), lt(orders.createdAt, before)))
    .orderBy(asc(orders.createdAt))
    .limit(options.limit ?? 50);
  const run: ReconcileRun = { checked: 0, placed: 0, cancelled: 0, failed: 0, outcomes: [] };
  for (const { orderId, intentId } of due) {
    run.checked++;
    try {
      const intent = await provider.retrieveIntent(intentId!);
      const type = EVENT_OF[intent.status];
      if (!type) continue; // still waiting for the customer: nothing to settle yet
      const outcome = await applyStripeEvent(db, { id: `reconcile:${intent.id}:${intent.status}`, type, object: { id: intent.id, status: intent.status, amount: intent.amountCents, currency: intent.currency, metadata: { order_id: orderId } } });
      run.outcomes.push(outcome);
      // Placed or cancelled: the outcome moved the order (its payment's own event alone moves nothing).
      if (outcome.orderEvents.some((g) => g.events.some((e) => e.aggregateType === 'order'))) {
        if (type === 'payment_intent.succeeded') run.placed++;
        else run.cancelled++;
      }
    } catch (error) {
      // One intent Stripe cannot answer for now does not stop the others; the next run asks again.
      run.failed++;
      log.warn('payment reconciliation: intent not read', { orderId, error });
    }
  }
  return run;
}
