/**
 * What a verified Stripe event does to our orders and payments. One
 * transaction records the event id (processed_webhook_events, insert first),
 * moves the payment and the order, and writes their outbox rows: a
 * redelivered event hits the primary key and changes nothing; a failure rolls
 * back the id too, so Stripe's retry applies it. Order-independence comes
 * from the monotonic payment rules (lifecycle.ts) and the order state machine.
 */
import { and, eq, sql } from 'drizzle-orm';
import { pgErrorCode, type Database } from '../../../db/client';
import type { StripeEventActedOn } from '../../../domain/stripe-events';
import { statement } from '../../../db/statement';
import { orders, outbox, payments, processedWebhookEvents } from '../../../db/schema/index';
import { outboxRows } from '../outbox';
import { decideStep } from '../orders/state-machine';
import { guardedInsert } from '../orders/timeline';
import { transitionParts } from '../orders/transitions';
import type { ProviderEvent } from '../../providers/payments/index';
import type { OutboxEvent } from '../outbox';
import { applyPaymentStep } from '../orders/commands/payment-steps';
import { amountMismatch, refuseMismatchedPayment } from './amount-check';
import { paymentEvent, planSettlement, recordPaymentSignal, type Settlement } from './payments';
import { applyPaymentSignal, type PaymentSignal } from './lifecycle';

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

export interface StripeEventOutcome {
  duplicate: boolean;
  /**
   * Every outbox event the Stripe event committed (the payment's and the
   * order's), by merchant: `afterOrderCommit` publishes them to the queue and
   * gives the order events to the merchant feed.
   */
  orderEvents: { merchantId: string; events: OutboxEvent[] }[];
  /** A refund to ask for after the commit (payment captured for an order that already ended). */
  settlement: Settlement;
  /** What happened, for the log and the response. */
  effect: string;
}

interface IntentLike {
  id?: unknown;
  payment_intent?: unknown;
  metadata?: { order_id?: unknown } | null;
  last_payment_error?: { code?: unknown; decline_code?: unknown; message?: unknown } | null;
  amount_refunded?: unknown;
}

/** What each event the platform acts on means for a payment (the list: domain/stripe-events.ts). */
const SIGNALS: Readonly<Record<StripeEventActedOn, (event: ProviderEvent) => PaymentSignal | null>> = {
  'payment_intent.succeeded': () => ({ kind: 'succeeded' }),
  'payment_intent.payment_failed': () => ({ kind: 'failed' }),
  'payment_intent.canceled': () => ({ kind: 'canceled' }),
  'charge.refunded': (event) => {
    const amount = (event.object as IntentLike).amount_refunded;
    return typeof amount === 'number' && Number.isSafeInteger(amount) ? { kind: 'refunded', totalRefundedCents: amount } : null;
  },
};

function signalOf(event: ProviderEvent): PaymentSignal | null {
  return Object.hasOwn(SIGNALS, event.type) ? SIGNALS[event.type as StripeEventActedOn](event) : null;
}

/** The intent id the event is about (a PaymentIntent's own id, or a Charge's payment_intent). */
function intentIdOf(event: ProviderEvent): string | null {
  const o = event.object as IntentLike;
  const id = event.type.startsWith('charge.') ? o.payment_intent : o.id;
  return typeof id === 'string' ? id : null;
}

async function lockPayment(tx: Tx, event: ProviderEvent) {
  const intentId = intentIdOf(event);
  const orderId = (event.object as IntentLike).metadata?.order_id;
  // The intent id is written after Stripe answers; an event can arrive before that, so the order id in metadata is the fallback.
  if (intentId) {
    const [byIntent] = await tx.select().from(payments).where(eq(payments.providerPaymentId, intentId)).for('update');
    if (byIntent) return byIntent;
  }
  if (typeof orderId === 'string') {
    const [byOrder] = await tx.select().from(payments).where(eq(payments.orderId, orderId)).for('update');
    if (byOrder && (byOrder.providerPaymentId === null || byOrder.providerPaymentId === intentId)) return byOrder;
  }
  return null;
}

function failureReasonOf(event: ProviderEvent): string | null {
  const e = (event.object as IntentLike).last_payment_error;
  if (!e) return null;
  return [e.decline_code ?? e.code, e.message].filter((x) => typeof x === 'string').join(': ') || null;
}

export async function applyStripeEvent(db: Database, event: ProviderEvent): Promise<StripeEventOutcome> {
  // An event the platform does not act on (`payment_intent.created`, `charge.succeeded`, anything unknown)
  // is acknowledged without touching Postgres: recording it only served to deduplicate an effect it does
  // not have (issue 14: it cost a transaction, two per order, for each of these Stripe sends).
  if (!signalOf(event)) return { duplicate: false, orderEvents: [], settlement: { kind: 'none' }, effect: 'ignored' };
  return (await placeByPayment(db, event)) ?? applyInTransaction(db, event);
}

/** The payment of an intent, its order, and whether the event was seen (built once, db/statement.ts). */
const paymentWithOrder = statement('payment_with_order', (db) =>
  db
    .select({
      payment: payments,
      order: orders,
      seen: sql<boolean>`exists (select 1 from ${processedWebhookEvents} e where e.provider = 'stripe' and e.event_id = ${sql.placeholder('eventId')})`,
    })
    .from(payments)
    .innerJoin(orders, eq(orders.id, payments.orderId))
    .where(eq(payments.providerPaymentId, sql.placeholder('intentId'))),
);

/**
 * The common case in two round trips (issue 14): `payment_intent.succeeded`
 * for a known, open payment of the right amount whose order can be placed.
 * One read (payment, order, whether the event was seen), then one statement
 * that updates the payment only if it is still as read and the event unseen,
 * records the event, writes the payment's and the order's outbox rows and
 * places the order on its version — all or nothing: a final check divides by
 * zero (aborting the statement) unless the payment and the order both
 * changed. Anything else — a duplicate, an unknown payment, a wrong amount,
 * an order that cannot be placed, a race — returns null and takes the
 * transaction below, which decides every case with the rows locked.
 */
async function placeByPayment(db: Database, event: ProviderEvent): Promise<StripeEventOutcome | null> {
  const signal = signalOf(event);
  const intentId = intentIdOf(event);
  if (signal?.kind !== 'succeeded' || !intentId) return null;
  const [row] = await paymentWithOrder(db, { intentId, eventId: event.id });
  if (!row || row.seen || amountMismatch(event.object, row.payment)) return null;
  const next = applyPaymentSignal(row.payment, signal);
  const { order } = row;
  const decision = decideStep({ status: order.status, dispatch: order.dispatchState, merchantId: order.merchantId, customerId: order.customerId, driverId: order.driverId }, 'paid', { kind: 'stripe' });
  if (!next || next.status !== 'succeeded' || !decision.ok) return null;

  const at = new Date();
  const paid = { ...row.payment, status: next.status, refundedCents: next.refundedCents, failureReason: null, updatedAt: at };
  const paymentEvents = [paymentEvent('payment.succeeded', paid, order.merchantId)];
  const pay = db
    .update(payments)
    .set({ status: paid.status, refundedCents: paid.refundedCents, failureReason: null, updatedAt: at })
    .where(and(eq(payments.id, row.payment.id), eq(payments.status, row.payment.status), sql`not exists (select 1 from ${processedWebhookEvents} e where e.provider = 'stripe' and e.event_id = ${event.id})`))
    .returning({ id: payments.id });
  const t = transitionParts(db, { current: order, step: 'paid', next: decision.next, dispatch: decision.dispatch, actor: { type: 'stripe', id: event.id }, reason: null, at }, undefined, sql`exists (select 1 from pay)`);
  try {
    await db.execute(sql`with pay as (${pay.getSQL()}),
      seen as (${guardedInsert(processedWebhookEvents, [{ provider: 'stripe', eventId: event.id, eventType: event.type, receivedAt: at }], 'pay')}),
      pay_out as (${guardedInsert(outbox, outboxRows(paymentEvents), 'pay')}),
      ${t.ctes}
      select 1 / ((select count(*) from pay) = 1 and (select count(*) from ${sql.raw(t.guard)}) = 1)::int as applied`);
  } catch (error) {
    // 22012: the payment or the order changed since the read (nothing was written); 23505: the event was recorded meanwhile.
    const { code } = pgErrorCode(error);
    if (code === '22012' || code === '23505') return null;
    throw error;
  }
  return { duplicate: false, orderEvents: [{ merchantId: order.merchantId, events: [...paymentEvents, ...t.events] }], settlement: { kind: 'none' }, effect: 'payment succeeded, order placed' };
}

async function applyInTransaction(db: Database, event: ProviderEvent): Promise<StripeEventOutcome> {
  return db.transaction(async (tx): Promise<StripeEventOutcome> => {
    const outcome: StripeEventOutcome = { duplicate: false, orderEvents: [], settlement: { kind: 'none' }, effect: 'ignored' };
    const fresh = await tx
      .insert(processedWebhookEvents)
      .values({ provider: 'stripe', eventId: event.id, eventType: event.type })
      .onConflictDoNothing()
      .returning({ eventId: processedWebhookEvents.eventId });
    if (fresh.length === 0) return { ...outcome, duplicate: true, effect: 'duplicate' };

    const signal = signalOf(event);
    if (!signal) return outcome;
    const payment = await lockPayment(tx, event);
    if (!payment) return { ...outcome, effect: 'unknown payment' };
    const [order] = await tx.select().from(orders).where(eq(orders.id, payment.orderId)).for('update');
    if (!order) return { ...outcome, effect: 'unknown order' };

    // The money must be what the order asked for before anything moves (amount-check.ts).
    const mismatch = signal.kind === 'succeeded' ? amountMismatch(event.object, payment) : null;
    if (mismatch) {
      const refused = await refuseMismatchedPayment(tx, { payment, order, eventId: event.id, intentId: intentIdOf(event), mismatch });
      if (refused.orderEvents.length > 0) outcome.orderEvents.push({ merchantId: order.merchantId, events: refused.orderEvents });
      return { ...outcome, settlement: refused.settlement, effect: refused.effect };
    }

    const recorded = await recordPaymentSignal(tx, payment, signal, { providerPaymentId: intentIdOf(event) ?? undefined, failureReason: failureReasonOf(event) });
    const effects = [recorded ? `payment ${recorded.payment.status}` : 'payment unchanged'];

    const paymentNow = recorded?.payment ?? payment;
    // The payment's own event (succeeded, failed, refunded) is published like the order's.
    const written = [...(recorded?.events ?? [])];
    if (signal.kind === 'succeeded' && paymentNow.status === 'succeeded') {
      // Only money actually held places the order: a `succeeded` that arrives
      // after the payment was refunded (or another late event) places nothing.
      const moved = await applyPaymentStep(tx, { order, step: 'paid', eventId: event.id, reason: null });
      if (moved) {
        written.push(...moved.events);
        effects.push('order placed');
      } else if (order.status === 'cancelled' || order.status === 'rejected') {
        // Paid after the order ended (the customer cancelled while paying): give the money back.
        outcome.settlement = await planSettlement(tx, order.id, 'order_cancelled');
        effects.push(`order already ${order.status}: refund`);
      }
    } else if (signal.kind === 'canceled') {
      const moved = await applyPaymentStep(tx, { order, step: 'payment_canceled', eventId: event.id, reason: 'payment cancelled' });
      if (moved) {
        written.push(...moved.events);
        effects.push('order cancelled');
      }
    }
    if (written.length > 0) outcome.orderEvents.push({ merchantId: order.merchantId, events: written });
    return { ...outcome, effect: effects.join(', ') };
  });
}
