/**
 * The order as the API shows it (API.md, Orders), built from rows. Who looks
 * decides what is shown: the delivery PIN only to the order's customer, and
 * only once the order is placed (the PIN is generated at placement).
 */
import type { Order, OrderContact, OrderItem } from '../../../db/schema/index';
import { trackingUrl } from './codes';
import { snapshotOf, type OrderSnapshot } from './timeline';

export type OrderViewer = 'customer' | 'merchant' | 'driver';

export interface OrderDriverInfo {
  id: string;
  name: string | null;
  vehicle: string;
}

/** How the handover was proven (the ID check stays in the database: it is not shown). */
export interface OrderProofInfo {
  method: 'pin' | 'photo';
  photoUrl: string | null;
  at: Date;
}

export interface OrderDetail {
  order: Order;
  items: OrderItem[];
  contact: OrderContact | null;
  driver: OrderDriverInfo | null;
  /** Absent where the detail was built without reading it (a freshly created order has none). */
  proof?: OrderProofInfo | null;
}

/** What a presentation adds to a snapshot: rows that are not part of the order's own history. */
export interface PresentationParts {
  items: OrderItem[];
  contact: OrderContact | null;
  driver: OrderDriverInfo | null;
  proof?: OrderProofInfo | null;
  /** The PIN and tracking token are secrets of the order row, never in a snapshot. */
  deliveryPin: string;
  trackingToken: string;
}

/**
 * The one serializer of an order (API.md, Orders; versioned by the snapshot's
 * `v`): GET /v1/orders/{id} presents the current row, a merchant webhook and
 * the merchant feed present the snapshot of their event. Who looks decides
 * what is shown: the delivery PIN only to the customer, once placed.
 */
export function presentOrder(snap: OrderSnapshot, parts: PresentationParts, viewer: OrderViewer, publicBaseUrl: string) {
  const { items, contact, driver, proof } = parts;
  const showPin = viewer === 'customer' && snap.status !== 'pending_payment';
  const erased = contact?.erasedAt ? null : contact;
  return {
    id: snap.id,
    number: snap.number,
    seq: snap.seq,
    status: snap.status,
    dispatch: snap.dispatch,
    merchantId: snap.merchantId,
    cityId: snap.cityId,
    source: snap.source,
    items: items.map((i) => ({
      productId: i.productId,
      name: i.name,
      quantity: i.quantity,
      unitPriceCents: i.unitPriceCents,
      lineTotalCents: i.lineTotalCents,
      requiresPrescription: i.requiresPrescription,
    })),
    totals: snap.totals,
    distanceM: snap.distanceM,
    pickup: snap.pickup,
    dropoff: {
      address: erased?.address ?? null,
      location: snap.dropoff.location,
      ...(erased?.instructions ? { instructions: erased.instructions } : {}),
    },
    customer: erased ? { name: erased.name, phone: erased.phone, ...(erased.email ? { email: erased.email } : {}) } : null,
    // The driver as of the event: the snapshot names who; the profile gives the name.
    ...(snap.driverId && driver && driver.id === snap.driverId ? { driver } : {}),
    ...(showPin ? { deliveryPin: parts.deliveryPin } : {}),
    ...(proof && snap.status === 'delivered' ? { deliveryProof: { method: proof.method, photoUrl: proof.photoUrl, at: proof.at.toISOString() } } : {}),
    trackingUrl: trackingUrl(publicBaseUrl, parts.trackingToken),
    paidOffPlatform: snap.paidOffPlatform,
    requiresPrescription: snap.requiresPrescription,
    ...(snap.cancelReason ? { cancelReason: snap.cancelReason } : {}),
    createdAt: snap.createdAt,
    updatedAt: snap.updatedAt,
    placedAt: snap.placedAt,
    deliveredAt: snap.deliveredAt,
  };
}

export function orderView(detail: OrderDetail, viewer: OrderViewer, publicBaseUrl: string) {
  const { order } = detail;
  return presentOrder(snapshotOf(order), { ...detail, deliveryPin: order.deliveryPin, trackingToken: order.trackingToken }, viewer, publicBaseUrl);
}

export type OrderRepresentation = ReturnType<typeof presentOrder>;
