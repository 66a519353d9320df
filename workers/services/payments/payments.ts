/**
 * Our side of the payment of an order: opening its PaymentIntent, recording
 * what Stripe tells us, and giving money back when an order ends before
 * delivery. Every provider call carries an idempotency key derived from our
 * own ids (lifecycle.ts `providerKeys`), so retrying any of them is safe.
 */
import { and, asc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { newId } from '../../../db/ids';
import { payments, refunds, type Payment } from '../../../db/schema/index';
import { PaymentProviderRejectedError, type PaymentProvider, type ProviderRefund } from '../../providers/payments/index';
import { outboxEvent, writeOutbox, type OutboxEvent } from '../outbox';
import { log } from '../../../domain/log';
import { applyPaymentSignal, providerKeys, refundableCents, type PaymentSignal } from './lifecycle';

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];
type Reader = Pick<Database, 'select'>;

export async function paymentOfOrder(db: Reader, orderId: string): Promise<Payment | null> {
  const [row] = await db.select().from(payments).where(eq(payments.orderId, orderId));
  return row ?? null;
}

/** Stores the intent id on the payment (once: a later write never replaces it). */
export const recordIntentSql = (db: Pick<Database, 'update'>, paymentId: string, intentId: string): SQL =>
  db
    .update(payments)
    .set({ providerPaymentId: intentId, updatedAt: new Date() })
    .where(and(eq(payments.id, paymentId), isNull(payments.providerPaymentId)))
    .getSQL();

/**
 * The PaymentIntent of an order, created on first call and the same one on
 * every later call (same idempotency key, or retrieved by its id). Returns
 * the client secret the customer's browser confirms with and, when the
 * intent id is not stored yet, the write that stores it (`record`), for the
 * caller to run together with its own final write.
 */
export async function ensurePaymentIntent(db: Database, provider: PaymentProvider, payment: Payment): Promise<{ intentId: string; clientSecret: string; record: SQL | null }> {
  if (payment.providerPaymentId) {
    const intent = await provider.retrieveIntent(payment.providerPaymentId);
    return { intentId: intent.id, clientSecret: intent.clientSecret, record: null };
  }
  const intent = await provider.createIntent({
    orderId: payment.orderId,
    amountCents: payment.amountCents,
    currency: payment.currency,
    idempotencyKey: providerKeys.paymentIntent(payment.orderId),
  });
  return { intentId: intent.id, clientSecret: intent.clientSecret, record: recordIntentSql(db, payment.id, intent.id) };
}

/** With the order's merchant when the caller has it: the merchant-webhook consumer then needs no read to find whom to tell. */
export const paymentEvent = (topic: 'payment.succeeded' | 'payment.failed' | 'payment.refunded', p: Payment, merchantId?: string) =>
  outboxEvent(topic, { type: 'payment', id: p.id }, { paymentId: p.id, orderId: p.orderId, ...(merchantId ? { merchantId } : {}), status: p.status, amountCents: p.amountCents, refundedCents: p.refundedCents, currency: p.currency });

export const TOPIC: Record<PaymentSignal['kind'], 'payment.succeeded' | 'payment.failed' | 'payment.refunded' | null> = {
  succeeded: 'payment.succeeded',
  failed: 'payment.failed',
  canceled: null,
  refunded: 'payment.refunded',
};

/**
 * Applies a provider signal to the (row-locked) payment inside `tx`, with its
 * outbox row. Returns the updated payment and events, or null if it changed nothing.
 */
export async function recordPaymentSignal(
  tx: Tx,
  payment: Payment,
  signal: PaymentSignal,
  details: { providerPaymentId?: string; failureReason?: string | null } = {},
): Promise<{ payment: Payment; events: OutboxEvent[] } | null> {
  const next = applyPaymentSignal(payment, signal);
  if (!next) return null;
  const [updated] = await tx
    .update(payments)
    .set({
      status: next.status,
      refundedCents: next.refundedCents,
      updatedAt: new Date(),
      ...(details.providerPaymentId && !payment.providerPaymentId ? { providerPaymentId: details.providerPaymentId } : {}),
      ...(signal.kind === 'failed' ? { failureReason: details.failureReason ?? 'payment failed' } : {}),
      ...(signal.kind === 'succeeded' ? { failureReason: null } : {}),
    })
    .where(eq(payments.id, payment.id))
    .returning();
  const topic = TOPIC[signal.kind];
  const events = topic ? [paymentEvent(topic, updated!)] : [];
  await writeOutbox(tx, events);
  return { payment: updated!, events };
}

export async function lockPaymentOfOrder(tx: Tx, orderId: string): Promise<Payment | null> {
  const [row] = await tx.select().from(payments).where(eq(payments.orderId, orderId)).for('update');
  return row ?? null;
}

/** What must happen at the provider once an order ended before delivery. */
export type Settlement =
  | { kind: 'none' }
  | { kind: 'refund'; refundId: string; paymentId: string; intentId: string; amountCents: number }
  | { kind: 'cancel_intent'; paymentId: string; orderId: string; intentId: string };

/**
 * Inside the transaction that ends the order: a captured payment gets a
 * pending refund row (the refund itself is asked for after the commit); an
 * open intent is marked for cancellation. Nothing to do without a payment.
 */
export async function planSettlement(tx: Tx, orderId: string, reason: 'requested_by_customer' | 'merchant_rejected' | 'order_cancelled'): Promise<Settlement> {
  const payment = await lockPaymentOfOrder(tx, orderId);
  if (!payment) return { kind: 'none' };
  // Refunds already asked for but not yet confirmed count too: never refund twice.
  const [{ pending }] = (await tx
    .select({ pending: sql<number>`coalesce(sum(${refunds.amountCents}), 0)::int` })
    .from(refunds)
    .where(and(eq(refunds.paymentId, payment.id), eq(refunds.status, 'pending')))) as [{ pending: number }];
  const refundable = refundableCents(payment) - pending;
  if (refundable > 0 && payment.providerPaymentId) {
    const refundId = newId('ref');
    await tx.insert(refunds).values({ id: refundId, paymentId: payment.id, amountCents: refundable, currency: payment.currency, status: 'pending', reason });
    return { kind: 'refund', refundId, paymentId: payment.id, intentId: payment.providerPaymentId, amountCents: refundable };
  }
  if ((payment.status === 'requires_payment' || payment.status === 'failed' || payment.status === 'processing') && payment.providerPaymentId) {
    return { kind: 'cancel_intent', paymentId: payment.id, orderId, intentId: payment.providerPaymentId };
  }
  return { kind: 'none' };
}

/**
 * After the commit: ask the provider. A failure here leaves the refund row
 * `pending` without a provider id; `retryPendingRefunds` (cron) asks again
 * with the same idempotency key, so the customer is refunded exactly once.
 */
export async function settle(db: Database, provider: PaymentProvider, s: Settlement): Promise<OutboxEvent[]> {
  if (s.kind === 'none') return [];
  if (s.kind === 'cancel_intent') {
    try {
      await provider.cancelIntent(s.intentId, providerKeys.cancelIntent(s.orderId));
    } catch (error) {
      // Already succeeded at Stripe: its payment_intent.succeeded webhook finds the order ended and refunds it.
      if (error instanceof PaymentProviderRejectedError) return [];
      throw error;
    }
    return db.transaction(async (tx) => {
      const payment = await lockPaymentOfOrder(tx, s.orderId);
      const recorded = payment ? await recordPaymentSignal(tx, payment, { kind: 'canceled' }) : null;
      return recorded?.events ?? [];
    });
  }
  const refund = await provider.refund({ intentId: s.intentId, amountCents: s.amountCents, idempotencyKey: providerKeys.refund(s.refundId), refundId: s.refundId, reason: 'requested_by_customer' });
  return recordRefund(db, s, refund);
}

type RefundSettlement = Extract<Settlement, { kind: 'refund' }>;

/** The provider's word on our refund row; a succeeded refund rolls up into the payment, with its outbox event. */
async function recordRefund(db: Database, s: Pick<RefundSettlement, 'refundId' | 'paymentId'>, refund: ProviderRefund): Promise<OutboxEvent[]> {
  return db.transaction(async (tx) => {
    await tx.update(refunds).set({ providerRefundId: refund.id, status: refund.status, updatedAt: new Date() }).where(eq(refunds.id, s.refundId));
    const [payment] = await tx.select().from(payments).where(eq(payments.id, s.paymentId)).for('update');
    if (!payment || refund.status !== 'succeeded') return [];
    const [{ total }] = (await tx
      .select({ total: sql<number>`coalesce(sum(${refunds.amountCents}), 0)::int` })
      .from(refunds)
      .where(and(eq(refunds.paymentId, s.paymentId), eq(refunds.status, 'succeeded')))) as [{ total: number }];
    const recorded = await recordPaymentSignal(tx, payment, { kind: 'refunded', totalRefundedCents: total });
    return recorded?.events ?? [];
  });
}

export interface RefundRetryRun {
  checked: number;
  /** Done at the provider already (its answer was lost): recorded, nothing asked again. */
  recovered: number;
  /** Not at the provider: asked for (same idempotency key). */
  requested: number;
  /** Pending at the provider when we last asked: re-read and recorded. */
  reread: number;
  failed: number;
}

/**
 * The cron's refund backstop. Every refund still `pending` in our books is
 * re-read from the provider before anything is asked again, so a refund that
 * went through while we lost the answer (a timeout, a crash before our
 * write, an idempotency key past Stripe's 24 hours) is recorded, never made
 * twice: a row without a provider id is looked for among the intent's
 * refunds (by `metadata.refund_id`, our row id) and asked for, with the same
 * idempotency key, only when the provider has none; a row the provider
 * called pending is re-read by its id. Bounded: `limit` rows a run, the
 * least recently touched first.
 */
export async function retryPendingRefunds(db: Database, provider: PaymentProvider, olderThanMs = 60_000, options: { limit?: number; ids?: readonly string[] } = {}): Promise<RefundRetryRun> {
  const stale = await db
    .select({ refundId: refunds.id, paymentId: refunds.paymentId, amountCents: refunds.amountCents, providerRefundId: refunds.providerRefundId, intentId: payments.providerPaymentId })
    .from(refunds)
    .innerJoin(payments, eq(payments.id, refunds.paymentId))
    .where(
      and(
        eq(refunds.status, 'pending'),
        sql`${refunds.createdAt} < now() - make_interval(secs => ${olderThanMs / 1000})`,
        options.ids ? inArray(refunds.id, [...options.ids]) : undefined,
      ),
    )
    .orderBy(asc(refunds.updatedAt))
    .limit(options.limit ?? 50);
  const run: RefundRetryRun = { checked: 0, recovered: 0, requested: 0, reread: 0, failed: 0 };
  for (const r of stale) {
    if (!r.intentId) continue;
    run.checked++;
    const s = { kind: 'refund' as const, refundId: r.refundId, paymentId: r.paymentId, intentId: r.intentId, amountCents: r.amountCents };
    try {
      if (r.providerRefundId) {
        await recordRefund(db, s, await provider.retrieveRefund(r.providerRefundId));
        run.reread++;
        continue;
      }
      const done = await provider.findRefund(r.intentId, r.refundId);
      if (done) {
        await recordRefund(db, s, done);
        run.recovered++;
      } else {
        await settle(db, provider, s);
        run.requested++;
      }
    } catch (error) {
      run.failed++;
      log.warn('refund retry failed', { refundId: r.refundId, error });
    }
  }
  return run;
}
