/**
 * The reconciliation sweeps' gauges for GET /metrics (faults issue; runbook,
 * "Reconciliation sweeps"): what each sweep still has to do. A gauge that
 * stays up while its sweep runs every minute means the sweep cannot finish
 * its work (read its log line); one that grows means the cron is not running.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { deadlinesFrom } from '../../domain/deadlines';
import { consumptionGauges, outboxDeadlineMs } from '../queue/redelivery';

type Line = (name: string, value: number, labels?: Record<string, string>) => string;

export async function reconciliationMetricLines(db: Pick<Database, 'execute'>, env: Pick<Env, 'RELIABILITY_DEADLINES'>, line: Line): Promise<string[]> {
  const reconcileAfter = deadlinesFrom(env.RELIABILITY_DEADLINES).paymentReconcileSeconds;
  const [outbox, orderRows, refundRows, unpaidRows] = await Promise.all([
    consumptionGauges(db, outboxDeadlineMs(env)),
    // The partial index orders_placed_at_idx holds these rows. A scheduled order still held
    // (ADR 0108) is not awaiting its merchant, and one released waits from its release.
    db.execute<{ waiting: number; escalated: number; oldest: number | null }>(sql`
      select count(*) filter (where escalated_at is null)::int as waiting,
             count(*) filter (where escalated_at is not null)::int as escalated,
             extract(epoch from now() - min(coalesce(released_at, placed_at)))::float8 as oldest
        from orders where status = 'placed' and (release_at is null or released_at is not null)`),
    db.execute<{ pending: number; oldest: number | null }>(
      sql`select count(*)::int as pending, extract(epoch from now() - min(created_at))::float8 as oldest from refunds where status = 'pending'`,
    ),
    // Unpaid orders whose intent exists, past the reconciliation deadline: what the payment sweep re-reads from Stripe.
    db.execute<{ due: number }>(sql`
      select count(*)::int as due from orders o join payments p on p.order_id = o.id
       where o.status = 'pending_payment' and p.provider_payment_id is not null
         and o.created_at < now() - make_interval(secs => ${reconcileAfter})`),
  ]);
  const orders = orderRows[0];
  const refunds = refundRows[0];
  return [
    '# HELP delivery_outbox_unconsumed Outbox events published and not yet acknowledged by the consumer: in_flight (within the deadline), overdue (the redelivery sweep sends them again), parked (dead letters not replayed).',
    '# TYPE delivery_outbox_unconsumed gauge',
    line('delivery_outbox_unconsumed', outbox.inFlight, { state: 'in_flight' }),
    line('delivery_outbox_unconsumed', outbox.overdue, { state: 'overdue' }),
    line('delivery_outbox_unconsumed', outbox.parked, { state: 'parked' }),
    '# HELP delivery_outbox_oldest_unconsumed_seconds Age since publication of the oldest event not acknowledged (parked ones aside).',
    '# TYPE delivery_outbox_oldest_unconsumed_seconds gauge',
    line('delivery_outbox_oldest_unconsumed_seconds', outbox.oldestSeconds),
    '# HELP delivery_orders_awaiting_merchant Placed orders their merchant has not accepted: waiting, or escalated (past the city\'s first deadline).',
    '# TYPE delivery_orders_awaiting_merchant gauge',
    line('delivery_orders_awaiting_merchant', Number(orders?.waiting ?? 0), { stage: 'waiting' }),
    line('delivery_orders_awaiting_merchant', Number(orders?.escalated ?? 0), { stage: 'escalated' }),
    '# HELP delivery_orders_oldest_awaiting_merchant_seconds Age since placement of the oldest order not accepted.',
    '# TYPE delivery_orders_oldest_awaiting_merchant_seconds gauge',
    line('delivery_orders_oldest_awaiting_merchant_seconds', Number(orders?.oldest ?? 0)),
    '# HELP delivery_refunds_pending Refunds asked for and not confirmed by the provider (the refund retry re-reads them).',
    '# TYPE delivery_refunds_pending gauge',
    line('delivery_refunds_pending', Number(refunds?.pending ?? 0)),
    '# HELP delivery_refunds_oldest_pending_seconds Age of the oldest pending refund.',
    '# TYPE delivery_refunds_oldest_pending_seconds gauge',
    line('delivery_refunds_oldest_pending_seconds', Number(refunds?.oldest ?? 0)),
    '# HELP delivery_payments_awaiting_reconciliation Unpaid orders with a PaymentIntent older than the reconciliation deadline (the payment sweep re-reads them from Stripe each minute).',
    '# TYPE delivery_payments_awaiting_reconciliation gauge',
    line('delivery_payments_awaiting_reconciliation', Number(unpaidRows[0]?.due ?? 0)),
  ];
}
