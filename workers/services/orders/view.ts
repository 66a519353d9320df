/**
 * The order as the API shows it (API.md, Orders), built from rows. Who looks
 * decides what is shown: the delivery PIN only to the order's customer, and
 * only once the order is placed (the PIN is generated at placement).
 */
import type { Order, OrderContact, OrderItem } from '../../../db/schema/index';
import { trackingUrl } from './codes';

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

export function orderView(detail: OrderDetail, viewer: OrderViewer, publicBaseUrl: string) {
  const { order, items, contact, driver, proof } = detail;
  const showPin = viewer === 'customer' && order.status !== 'pending_payment';
  return {
    id: order.id,
    status: order.status,
    dispatch: order.dispatchState,
    merchantId: order.merchantId,
    cityId: order.cityId,
    source: order.source,
    items: items.map((i) => ({
      productId: i.productId,
      name: i.name,
      quantity: i.quantity,
      unitPriceCents: i.unitPriceCents,
      lineTotalCents: i.lineTotalCents,
      requiresPrescription: i.requiresPrescription,
    })),
    totals: {
      subtotalCents: order.subtotalCents,
      deliveryFeeCents: order.deliveryFeeCents,
      taxCents: order.taxCents,
      totalCents: order.totalCents,
      currency: order.currency,
    },
    distanceM: order.distanceM,
    pickup: { location: { lat: order.pickupLat, lng: order.pickupLng } },
    dropoff: {
      address: contact?.address ?? null,
      location: { lat: order.dropoffLat, lng: order.dropoffLng },
      ...(contact?.instructions ? { instructions: contact.instructions } : {}),
    },
    customer: contact ? { name: contact.name, phone: contact.phone, ...(contact.email ? { email: contact.email } : {}) } : null,
    ...(driver ? { driver } : {}),
    ...(showPin ? { deliveryPin: order.deliveryPin } : {}),
    ...(proof ? { deliveryProof: { method: proof.method, photoUrl: proof.photoUrl, at: proof.at.toISOString() } } : {}),
    trackingUrl: trackingUrl(publicBaseUrl, order.trackingToken),
    paidOffPlatform: order.paidOffPlatform,
    requiresPrescription: order.requiresPrescription,
    ...(order.cancelReason ? { cancelReason: order.cancelReason } : {}),
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    placedAt: order.placedAt?.toISOString() ?? null,
    deliveredAt: order.deliveredAt?.toISOString() ?? null,
  };
}

export type OrderRepresentation = ReturnType<typeof orderView>;
