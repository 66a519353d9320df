/**
 * Response shapes of the API the apps read (docs/api.md, v1 and v1.1). Statuses
 * and dispatch states come from domain/order.ts, so the apps, the server,
 * the shard and the simulator agree on one list.
 */
import type { DispatchState, OrderStatus } from '../../../../domain/order';
import type { LatLng } from '../../api/types';

export type { DispatchState, OrderStatus };
export type MerchantKind = 'restaurant' | 'store' | 'pharmacy';
export type Vehicle = 'bike' | 'scooter' | 'car';

export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

export interface Merchant {
  id: string;
  cityId: string;
  name: string;
  kind: MerchantKind;
  address: string;
  location: LatLng;
  open?: boolean;
  acceptingOrders?: boolean;
  prepMinutes?: number;
}

export interface Product {
  id: string;
  merchantId: string;
  name: string;
  description?: string | null;
  priceCents: number;
  currency: string;
  available: boolean;
  requiresPrescription: boolean;
}

export interface OrderItem {
  productId: string | null;
  name: string;
  quantity: number;
  unitPriceCents: number;
  lineTotalCents: number;
  requiresPrescription?: boolean;
}

export interface Order {
  id: string;
  /** The human order number (v1.1): shown as `#` + number everywhere (format.ts orderName). */
  number: string;
  /** The seq of the order's latest event (v1.1): a newer version has a higher seq (live/order-seq.ts). */
  seq: number;
  status: OrderStatus;
  dispatch: DispatchState;
  merchantId: string;
  cityId?: string;
  items: OrderItem[];
  totals: { subtotalCents: number; deliveryFeeCents: number; taxCents: number; totalCents: number; currency: string };
  pickup?: { location: LatLng };
  dropoff: { address: string | null; location: LatLng; instructions?: string };
  customer?: { name: string | null; phone: string | null; email?: string } | null;
  driver?: { id: string; name: string | null; vehicle: string };
  eta?: number | string | null;
  deliveryPin?: string;
  /** Once delivered: how the handover was proven. */
  deliveryProof?: { method: 'pin' | 'photo'; photoUrl: string | null; at: string };
  trackingUrl: string;
  requiresPrescription?: boolean;
  cancelReason?: string;
  /** An order that ended before delivery and had been paid: the money given back (customer and merchant views). */
  refund?: OrderRefund;
  /** The driver's view: what the driver is credited for the order. */
  payoutCents?: number;
  createdAt: string;
  /** When the order last changed: for an order that ended, when it ended. */
  updatedAt?: string;
  placedAt?: string | null;
  deliveredAt?: string | null;
  /** A scheduled order (ADR 0108): its delivery window; held until `releasedAt`. */
  scheduledFor?: { start: string; end: string; releaseAt: string; releasedAt: string | null };
}

export interface OrderRefund {
  status: 'pending' | 'succeeded' | 'failed';
  amountCents: number;
  currency: string;
  updatedAt: string;
}

export interface CreatedOrder {
  order: Order;
  /** The PaymentIntent to confirm; more fields may say where (local mode: the Stripe fake). */
  payment?: { clientSecret: string; [extra: string]: unknown };
}

export interface OrderEvent {
  /** v1.1: the event's place in the order's timeline. */
  seq?: number;
  status: OrderStatus;
  at: string;
  actor?: string | null;
}

export interface Tracking {
  /** The order's number (`#` + number in every message about the order). */
  number?: string;
  status: OrderStatus;
  dispatch?: DispatchState;
  driver?: { name?: string | null; vehicle?: string; location: LatLng; heading?: number | null; updatedAt?: string } | null;
  /** Seconds, or an ISO time of arrival; both are accepted. */
  eta?: number | string | null;
  trackingUrl?: string;
  pickup?: { location: LatLng };
  dropoff?: { location: LatLng };
}

export interface PaymentSummary {
  status: string;
  amountCents: number;
  currency: string;
  refundedCents: number;
}
