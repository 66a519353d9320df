/**
 * The cron's payment backstop: refunds still pending after the order was
 * cancelled (the provider call failed, or its answer was lost) are re-read
 * from the provider and, only if it has none, asked for again with the same
 * idempotency key (payments.ts `retryPendingRefunds`), so the customer is
 * refunded exactly once however often this runs.
 */
import { openDatabase } from '../../../db/client';
import { deadlinesFrom } from '../../../domain/deadlines';
import { log } from '../../../domain/log';
import { paymentProvider } from '../../providers/payments/index';
import { afterOrderCommit } from '../order-commit';
import { retryPendingRefunds, settle } from './payments';
import { reconcilePendingPayments, type ReconcileRun } from './reconcile';

export async function retryPendingRefundsNow(env: Env, olderThanMs = 60_000): Promise<number> {
  // One client per invocation, never ended explicitly (docs/decisions/0003).
  const db = openDatabase(env.HYPERDRIVE.connectionString, { max: 1 });
  const run = await retryPendingRefunds(db, paymentProvider(env), olderThanMs);
  if (run.checked > 0) log.info('refund retry', { ...run });
  return run.recovered + run.requested + run.reread;
}

/**
 * The cron's payment reconciliation: unpaid orders whose intent Stripe says is
 * settled are settled here (services/payments/reconcile.ts), then announced
 * like the webhook's, and a payment for an order that ended meanwhile is refunded.
 */
export async function reconcilePaymentsNow(env: Env, ctx: { waitUntil(p: Promise<unknown>): void }, olderThanMs = deadlinesFrom(env.RELIABILITY_DEADLINES).paymentReconcileSeconds * 1000): Promise<ReconcileRun> {
  const db = openDatabase(env.HYPERDRIVE.connectionString, { max: 1 });
  const provider = paymentProvider(env);
  const run = await reconcilePendingPayments(db, provider, { olderThanMs });
  for (const outcome of run.outcomes) {
    for (const { merchantId, events } of outcome.orderEvents) afterOrderCommit(env, ctx, db, merchantId, events);
    if (outcome.settlement.kind !== 'none') await settle(db, provider, outcome.settlement).catch((error: unknown) => log.warn('refund after reconciled payment deferred', { error }));
  }
  if (run.checked > 0) log.info('payment reconciliation', { checked: run.checked, placed: run.placed, cancelled: run.cancelled, failed: run.failed });
  return run;
}
