/**
 * `data.order` of a merchant webhook: the order exactly as GET /v1/orders/{id}
 * shows it to its merchant (view.ts `presentOrder`, viewer 'merchant': the
 * customer's contact unless erased, never the delivery PIN), AS OF THE EVENT:
 * an order event carries its own snapshot (timeline.ts), so a retry sent an
 * hour later still says what happened then. Items, contact, proof and the
 * driver's profile are not part of the history and are read now (the contact
 * honours an erasure made in between).
 *
 * Payment events have no snapshot of their own: they carry the order as of
 * its latest event when the event is first handled, and that event's seq
 * (ADR 0045). Built once, at the first attempt, and stored with the delivery,
 * so every retry carries the same bytes.
 */
import { and, eq } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { drivers, orderStatusEvents, userProfiles } from '../../../db/schema/index';
import { PAYMENT_EVENT_TYPES } from '../../../domain/order';
import type { EventEnvelope } from '../events/envelope';
import { loadOrderDetail } from '../orders/repository';
import { snapshotOf, type OrderSnapshot } from '../orders/timeline';
import { openOrderCodes, presentOrder, type OrderDriverInfo, type OrderRepresentation, type ViewEnv } from '../orders/view';
import { dataKeys } from '../secrets/data-keys';

/** Where an event sits in its order's timeline: a payment event sits right after the order event whose seq it carries. */
export type TimelineKind = 'order' | 'payment';

export const kindOfEventType = (type: string): TimelineKind => ((PAYMENT_EVENT_TYPES as readonly string[]).includes(type) ? 'payment' : 'order');

export interface OrderAtEvent {
  seq: number;
  order: OrderRepresentation;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The event's own snapshot: in its payload, else (an envelope relayed without it) in the log by seq. */
async function snapshotOfEvent(db: Database, orderId: string, data: Record<string, unknown>): Promise<OrderSnapshot | undefined> {
  if (isRecord(data.snapshot) && data.snapshot.id === orderId && typeof data.snapshot.seq === 'number') return data.snapshot as unknown as OrderSnapshot;
  if (typeof data.seq !== 'number') return undefined;
  const [row] = await db
    .select({ snapshot: orderStatusEvents.snapshot })
    .from(orderStatusEvents)
    .where(and(eq(orderStatusEvents.orderId, orderId), eq(orderStatusEvents.seq, data.seq)));
  return row?.snapshot ? (row.snapshot as unknown as OrderSnapshot) : undefined;
}

/** The driver the snapshot names (who drove then, even if the order was reassigned since). */
async function driverOf(db: Database, driverId: string | null, current: OrderDriverInfo | null): Promise<OrderDriverInfo | null> {
  if (!driverId) return null;
  if (current?.id === driverId) return current;
  const [row] = await db
    .select({ id: drivers.id, vehicle: drivers.vehicle, name: userProfiles.name })
    .from(drivers)
    .leftJoin(userProfiles, eq(userProfiles.userId, drivers.userId))
    .where(eq(drivers.id, driverId));
  return row ? { id: row.id, name: row.name ?? null, vehicle: row.vehicle } : null;
}

/** The order as its merchant saw it at this event; undefined when the event is about no (existing) order. */
export async function orderAtEvent(db: Database, event: EventEnvelope, orderId: string, env: ViewEnv): Promise<OrderAtEvent | undefined> {
  const detail = await loadOrderDetail(db, orderId);
  if (!detail) return undefined;
  // An order event presents its own snapshot; a payment event (or an envelope
  // from before the timeline) the order's latest one.
  const snap = (kindOfEventType(event.type) === 'order' ? await snapshotOfEvent(db, orderId, event.data) : undefined) ?? snapshotOf(detail.order);
  const driver = await driverOf(db, snap.driverId, detail.driver);
  // The merchant never sees the PIN: only the tracking token is opened.
  const codes = await openOrderCodes(await dataKeys(env.DATA_ENCRYPTION_KEYS), detail.order, false);
  const order = presentOrder(snap, { items: detail.items, contact: detail.contact, driver, proof: detail.proof ?? null, ...codes }, 'merchant', env.PUBLIC_BASE_URL);
  return { seq: snap.seq, order };
}
