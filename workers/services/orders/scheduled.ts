/**
 * The minute cron's release of scheduled orders (ADR 0108). A held order
 * (placed, `release_at` set, `released_at` null) is released once its
 * release time has come: the `order.released` event puts it on the
 * merchant's board and tells the customer. Bounded (at most `limit` a run,
 * earliest release first, from the partial index `orders_release_due_idx`);
 * idempotent (the command's conditional UPDATE); a missed run only delays:
 * the next one takes every order whose time has passed. An order paid after
 * its release time is released by the next run.
 */
import { and, asc, eq, inArray, isNotNull, isNull, lte } from 'drizzle-orm';
import { openDatabase, type Database } from '../../../db/client';
import { merchants, orders } from '../../../db/schema/index';
import { log } from '../../../domain/log';
import { releaseScheduledOrder } from './commands/release-scheduled';
import type { CommandContext } from './commands/index';

export const RELEASE_BATCH = 100;

export interface ReleaseRun {
  released: number;
  /** Cancelled, or released by another run, between the read and the step. */
  skipped: number;
  failed: number;
}

export interface ReleaseOptions {
  now?: Date;
  limit?: number;
  /** Only these orders (tests, which share the database with other files). */
  ids?: readonly string[];
}

/** The held orders due at `now`, earliest release first (domain/scheduling.ts `dueReleases`, in SQL). */
export function dueScheduledOrders(db: Pick<Database, 'select'>, options: ReleaseOptions = {}) {
  const now = options.now ?? new Date();
  return db
    .select({ id: orders.id, releaseAt: orders.releaseAt })
    .from(orders)
    .where(
      and(
        isNotNull(orders.releaseAt),
        isNull(orders.releasedAt),
        lte(orders.releaseAt, now),
        eq(orders.status, 'placed'),
        options.ids ? inArray(orders.id, [...options.ids]) : undefined,
      ),
    )
    .orderBy(asc(orders.releaseAt), asc(orders.id))
    .limit(options.limit ?? RELEASE_BATCH);
}

export async function releaseDueOrders(cx: CommandContext, options: ReleaseOptions = {}): Promise<ReleaseRun> {
  const run: ReleaseRun = { released: 0, skipped: 0, failed: 0 };
  const now = options.now ?? new Date();
  for (const order of await dueScheduledOrders(cx.db, { ...options, now })) {
    try {
      if ((await releaseScheduledOrder(cx, { orderId: order.id, now })).kind === 'released') run.released++;
      else run.skipped++;
    } catch (error) {
      run.failed++;
      log.warn('scheduled release: step failed; the next minute tries again', { orderId: order.id, error });
    }
  }
  return run;
}

/** What operators see (GET /v1/ops/orders/scheduled): held orders, next release first. */
export function listHeldOrders(db: Pick<Database, 'select'>, options: { cityId?: string; limit: number }) {
  return db
    .select({
      orderId: orders.id,
      number: orders.number,
      cityId: orders.cityId,
      merchantId: orders.merchantId,
      merchantName: merchants.name,
      start: orders.scheduledStart,
      end: orders.scheduledEnd,
      releaseAt: orders.releaseAt,
    })
    .from(orders)
    .innerJoin(merchants, eq(merchants.id, orders.merchantId))
    .where(and(isNotNull(orders.releaseAt), isNull(orders.releasedAt), eq(orders.status, 'placed'), options.cityId ? eq(orders.cityId, options.cityId) : undefined))
    .orderBy(asc(orders.releaseAt), asc(orders.id))
    .limit(options.limit);
}

/** The cron's entry: one client for the run, a log line when it did anything. */
export async function releaseDueOrdersNow(env: Env, ctx: CommandContext['ctx']): Promise<ReleaseRun> {
  const db = openDatabase(env.HYPERDRIVE.connectionString, { max: 2 });
  const run = await releaseDueOrders({ db, env, ctx });
  if (run.released + run.skipped + run.failed > 0) log.info('scheduled releases', { ...run });
  return run;
}
