/**
 * Where the feed fills a gap in one order's events (ADR 0075): the order's
 * log in Postgres, read through Hyperdrive. Needed only when a publish was
 * lost (the Worker's waitUntil, an isolate recycled) and a later event of the
 * same order arrives first; the queue's backstop republishes the rest.
 */
import { and, asc, eq, gt, lt } from 'drizzle-orm';
import { openDatabase } from '../../db/client';
import { orderStatusEvents } from '../../db/schema/index';
import { statusEventType } from '../../domain/order';
import type { FeedEventInput } from '../../domain/protocol/merchant-feed';

export async function missingEvents(connectionString: string, orderId: string, afterSeq: number, beforeSeq: number): Promise<FeedEventInput[]> {
  const rows = await openDatabase(connectionString)
    .select()
    .from(orderStatusEvents)
    .where(and(eq(orderStatusEvents.orderId, orderId), gt(orderStatusEvents.seq, afterSeq), lt(orderStatusEvents.seq, beforeSeq)))
    .orderBy(asc(orderStatusEvents.seq));
  return rows.map((r) => ({
    eventId: `log:${orderId}:${r.seq}`,
    event: r.type ?? statusEventType(r.status),
    orderId,
    status: r.status,
    dispatch: r.dispatchState ?? 'unassigned',
    at: r.at.toISOString(),
    orderSeq: r.seq,
    ...(r.snapshot ? { order: r.snapshot } : {}),
  }));
}
