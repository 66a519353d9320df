/**
 * The order as its merchant may see it, for `data.order` of a webhook: the
 * merchant is entitled to its own customer's delivery contact, never the
 * delivery PIN (only the customer sees that). Built once, at the first
 * attempt, and stored with the delivery, so every retry carries the same body.
 */
import { asc, eq } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { orderContacts, orderItems, orders, type Order } from '../../../db/schema/index';

export type OrderSnapshot = Record<string, unknown> & { id: string; merchantId: string; status: string };

/** `order.in_delivery` → `in_delivery`: the status the event announces. */
function statusAnnounced(eventType: string, current: Order['status']): string {
  const m = /^order\.(placed|preparing|ready|in_delivery|delivered|cancelled|rejected|failed)$/.exec(eventType);
  return m ? m[1]! : current;
}

export async function loadOrder(db: Database, orderId: string): Promise<Order | undefined> {
  const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
  return order;
}

export async function orderSnapshot(db: Database, order: Order, eventType: string, publicBaseUrl: string): Promise<OrderSnapshot> {
  const [items, [contact]] = await Promise.all([
    db.select().from(orderItems).where(eq(orderItems.orderId, order.id)).orderBy(asc(orderItems.id)),
    db.select().from(orderContacts).where(eq(orderContacts.orderId, order.id)),
  ]);
  return {
    id: order.id,
    status: statusAnnounced(eventType, order.status),
    dispatch: order.dispatchState,
    merchantId: order.merchantId,
    source: order.source,
    items: items.map((i) => ({ productId: i.productId, name: i.name, quantity: i.quantity, unitPriceCents: i.unitPriceCents, lineTotalCents: i.lineTotalCents })),
    totals: {
      subtotalCents: order.subtotalCents,
      deliveryFeeCents: order.deliveryFeeCents,
      taxCents: order.taxCents,
      totalCents: order.totalCents,
      currency: order.currency,
    },
    dropoff: {
      address: contact?.erasedAt ? null : (contact?.address ?? null),
      location: { lat: order.dropoffLat, lng: order.dropoffLng },
      instructions: contact?.erasedAt ? null : (contact?.instructions ?? null),
    },
    customer: contact && !contact.erasedAt ? { name: contact.name, phone: contact.phone, email: contact.email } : null,
    driverId: order.driverId,
    cancelReason: order.cancelReason,
    trackingUrl: `${publicBaseUrl.replace(/\/+$/, '')}/track/${order.trackingToken}`,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}
