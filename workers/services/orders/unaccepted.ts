/**
 * Orders their merchant never accepts (minute cron; faults issue, ADR 0080).
 * A customer paid and waits; a merchant whose tablet is off, or who missed
 * the push, leaves the order in `placed` for good. Each city sets two
 * deadlines, measured from placement (cities.merchant_escalate_after_seconds,
 * default 5 min; cities.merchant_auto_cancel_after_seconds, default 15 min):
 * - past the first, the order is escalated (commands/escalate.ts): the
 *   `order.escalated` event tells the merchant again on every channel,
 *   and operators see it (GET /metrics, the order's history);
 * - past the second, it is cancelled through the normal cancel command, by
 *   the platform (actor `system`, reason `merchant_unresponsive`): a captured
 *   payment is refunded, the customer and the merchant are told as for any
 *   cancellation. An order past the second deadline that was never escalated
 *   (the cron was down) is cancelled directly: the customer waited enough.
 * A merchant who accepts or rejects meanwhile wins the race (the commands'
 * conditional updates): the sweep's step is refused and counted as skipped.
 * Bounded: at most `limit` orders a run, oldest placement first.
 * A scheduled order (ADR 0108) is not awaiting its merchant while held, and
 * its deadlines count from its release (`released_at`), not its placement.
 */
import { and, asc, eq, inArray, isNotNull, isNull, or, sql, type AnyColumn } from 'drizzle-orm';
import { openDatabase, type Database } from '../../../db/client';
import { cities, merchants, orders } from '../../../db/schema/index';
import { log } from '../../../domain/log';
import { MERCHANT_UNRESPONSIVE } from '../../../domain/order';
import { Problem } from '../../problem';
import { cancelOrder, escalateOrder, type CommandContext } from './commands/index';

export interface UnacceptedRun {
  escalated: number;
  cancelled: number;
  /** The merchant answered (or another sweep acted) first. */
  skipped: number;
  failed: number;
}

export interface UnacceptedOptions {
  now?: Date;
  limit?: number;
  /** Only these orders (tests, which share the database with other files). */
  ids?: readonly string[];
}

const SYSTEM = { step: { kind: 'system' as const }, event: { type: 'system' as const, id: null } };

/** When the merchant was first asked: the release of a scheduled order, else the placement. */
const askedAt = sql`coalesce(${orders.releasedAt}, ${orders.placedAt})`;

/** Asked at least `seconds` before `now`. */
const placedBefore = (now: Date, seconds: AnyColumn) => sql`${askedAt} <= ${now.toISOString()}::timestamptz - make_interval(secs => ${seconds})`;

/** Not a scheduled order still held. */
const notHeld = or(isNull(orders.releaseAt), isNotNull(orders.releasedAt));

/** The placed orders past their first deadline that still need something done, oldest first. */
export async function dueUnacceptedOrders(db: Pick<Database, 'select'>, options: UnacceptedOptions = {}) {
  const now = options.now ?? new Date();
  const cancelDue = placedBefore(now, cities.merchantAutoCancelAfterSeconds);
  return db
    .select({ id: orders.id, cancel: sql<boolean>`${cancelDue}` })
    .from(orders)
    .innerJoin(cities, eq(cities.id, orders.cityId))
    .where(
      and(
        eq(orders.status, 'placed'),
        notHeld,
        placedBefore(now, cities.merchantEscalateAfterSeconds),
        or(isNull(orders.escalatedAt), cancelDue),
        options.ids ? inArray(orders.id, [...options.ids]) : undefined,
      ),
    )
    .orderBy(asc(orders.placedAt))
    .limit(options.limit ?? 50);
}

/** What operators see (GET /v1/ops/orders/awaiting-merchant): placed orders, escalated first, then the oldest placement. */
export async function listAwaitingMerchant(db: Pick<Database, 'select'>, options: { cityId?: string; escalatedOnly?: boolean; limit: number }) {
  return db
    .select({
      orderId: orders.id,
      number: orders.number,
      cityId: orders.cityId,
      merchantId: orders.merchantId,
      merchantName: merchants.name,
      placedAt: orders.placedAt,
      /** Since when the merchant has been asked: the release of a scheduled order (ADR 0108), else the placement. */
      askedAt: sql<Date | null>`${askedAt}`.mapWith(orders.placedAt),
      escalatedAt: orders.escalatedAt,
      autoCancelAt: sql<Date>`${askedAt} + make_interval(secs => ${cities.merchantAutoCancelAfterSeconds})`.mapWith(orders.placedAt),
    })
    .from(orders)
    .innerJoin(cities, eq(cities.id, orders.cityId))
    .innerJoin(merchants, eq(merchants.id, orders.merchantId))
    .where(
      and(
        eq(orders.status, 'placed'),
        notHeld,
        options.cityId ? eq(orders.cityId, options.cityId) : undefined,
        options.escalatedOnly ? isNotNull(orders.escalatedAt) : undefined,
      ),
    )
    .orderBy(sql`${orders.escalatedAt} is null`, asc(orders.placedAt))
    .limit(options.limit);
}

export async function sweepUnacceptedOrders(cx: CommandContext, options: UnacceptedOptions = {}): Promise<UnacceptedRun> {
  const run: UnacceptedRun = { escalated: 0, cancelled: 0, skipped: 0, failed: 0 };
  for (const order of await dueUnacceptedOrders(cx.db, options)) {
    try {
      if (order.cancel) {
        await cancelOrder(cx, { orderId: order.id, actor: SYSTEM, reason: MERCHANT_UNRESPONSIVE });
        run.cancelled++;
      } else if ((await escalateOrder(cx, { orderId: order.id })).kind === 'escalated') run.escalated++;
      else run.skipped++;
    } catch (error) {
      // A 409: the merchant accepted or rejected it between our read and our step.
      if (error instanceof Problem && error.status === 409) run.skipped++;
      else {
        run.failed++;
        log.warn('unaccepted orders: step failed; the next minute tries again', { orderId: order.id, error });
      }
    }
  }
  return run;
}

/** The cron's entry: one client for the run, a log line when it did anything. */
export async function sweepUnacceptedOrdersNow(env: Env, ctx: CommandContext['ctx']): Promise<UnacceptedRun> {
  const db = openDatabase(env.HYPERDRIVE.connectionString, { max: 2 });
  const run = await sweepUnacceptedOrders({ db, env, ctx });
  if (run.escalated + run.cancelled + run.skipped + run.failed > 0) log.info('unaccepted orders', { ...run });
  return run;
}
