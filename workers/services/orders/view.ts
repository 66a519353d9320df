/**
 * The order as the API shows it (docs/api.md, Orders), built from rows. Who looks
 * decides what is shown: the delivery PIN only to the order's customer, and
 * only once the order is placed (the PIN is generated at placement).
 */
import type { Order, OrderContact, OrderItem } from '../../../db/schema/index';
import { dataKeys, type Keyring } from '../secrets/data-keys';
import { openDeliveryPin, openTrackingToken, trackingUrl } from './codes';
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

/**
 * The money given back on an order that ended before delivery, summed over its
 * refund rows: `pending` while any is still with the provider, `failed` when
 * none went through (operators retry), else `succeeded`.
 */
export interface OrderRefundInfo {
  status: 'pending' | 'succeeded' | 'failed';
  amountCents: number;
  currency: string;
  /** When the last refund row changed (the provider's answer). */
  updatedAt: Date;
}

export interface OrderDetail {
  order: Order;
  items: OrderItem[];
  contact: OrderContact | null;
  driver: OrderDriverInfo | null;
  /** Absent where the detail was built without reading it (a freshly created order has none). */
  proof?: OrderProofInfo | null;
  /** Read only where shown (GET /v1/orders, /v1/orders/{id}) and only for an order that ended (repository.ts `withRefunds`). */
  refund?: OrderRefundInfo | null;
}

/** What a presentation adds to a snapshot: rows that are not part of the order's own history. */
export interface PresentationParts {
  items: OrderItem[];
  contact: OrderContact | null;
  driver: OrderDriverInfo | null;
  proof?: OrderProofInfo | null;
  refund?: OrderRefundInfo | null;
  /**
   * The PIN and tracking token are secrets of the order row, never in a
   * snapshot; sealed at rest, opened by the caller (`openOrderCodes`). The
   * PIN only when the viewer may see it (null otherwise).
   */
  deliveryPin: string | null;
  trackingToken: string;
}

/** What an order view needs of the environment: where links point, and the keys the codes are sealed under. */
export type ViewEnv = Pick<Env, 'PUBLIC_BASE_URL' | 'DATA_ENCRYPTION_KEYS'>;

/** The viewer sees the PIN: the order's customer, once the order is placed. */
const seesPin = (viewer: OrderViewer, status: string) => viewer === 'customer' && status !== 'pending_payment';

/** The order's codes in clear, the PIN only when `withPin` (it stays sealed otherwise). */
export async function openOrderCodes(ring: Keyring, order: Order, withPin: boolean): Promise<Pick<PresentationParts, 'deliveryPin' | 'trackingToken'>> {
  const [deliveryPin, trackingToken] = await Promise.all([withPin ? openDeliveryPin(ring, order) : null, openTrackingToken(ring, order)]);
  return { deliveryPin, trackingToken };
}

/**
 * The one serializer of an order (docs/api.md, Orders; versioned by the snapshot's
 * `v`): GET /v1/orders/{id} presents the current row, a merchant webhook and
 * the merchant feed present the snapshot of their event. Who looks decides
 * what is shown: the delivery PIN only to the customer, once placed.
 */
export function presentOrder(snap: OrderSnapshot, parts: PresentationParts, viewer: OrderViewer, publicBaseUrl: string) {
  const { items, contact, driver, proof, refund } = parts;
  const pin = seesPin(viewer, snap.status) ? parts.deliveryPin : null;
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
    ...(pin !== null ? { deliveryPin: pin } : {}),
    ...(proof && snap.status === 'delivered' ? { deliveryProof: { method: proof.method, photoUrl: proof.photoUrl, at: proof.at.toISOString() } } : {}),
    trackingUrl: trackingUrl(publicBaseUrl, parts.trackingToken),
    paidOffPlatform: snap.paidOffPlatform,
    requiresPrescription: snap.requiresPrescription,
    ...(snap.cancelReason ? { cancelReason: snap.cancelReason } : {}),
    // Money matters of the order's parties, not of the driver.
    ...(refund && viewer !== 'driver' ? { refund: { status: refund.status, amountCents: refund.amountCents, currency: refund.currency, updatedAt: refund.updatedAt.toISOString() } } : {}),
    createdAt: snap.createdAt,
    updatedAt: snap.updatedAt,
    placedAt: snap.placedAt,
    deliveredAt: snap.deliveredAt,
    ...(snap.scheduledFor ? { scheduledFor: snap.scheduledFor } : {}),
  };
}

export async function orderView(detail: OrderDetail, viewer: OrderViewer, env: ViewEnv) {
  const { order } = detail;
  const codes = await openOrderCodes(await dataKeys(env.DATA_ENCRYPTION_KEYS), order, seesPin(viewer, order.status));
  const view = presentOrder(snapshotOf(order), { ...detail, ...codes }, viewer, env.PUBLIC_BASE_URL);
  // What the driver is credited for this order: the payout its offer showed, committed with the assignment (ADR 0100).
  return viewer === 'driver' && order.driverPayoutCents !== null ? { ...view, payoutCents: order.driverPayoutCents } : view;
}

export type OrderRepresentation = ReturnType<typeof presentOrder>;
