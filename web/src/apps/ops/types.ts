import type { LatLng } from '../../api/types';

/** GET /v1/cities/{id}/live */
export interface CityLive {
  cityId: string;
  at: string;
  shards: string[];
  counts: { online: number; available: number; busy: number; offline: number };
  drivers: {
    driverId: string;
    status: 'online' | 'available' | 'busy';
    vehicle: string;
    location: LatLng | null;
    heading: number | null;
    updatedAt: string | null;
    orderId: string | null;
    offerId: string | null;
    /** A second order stacked on `orderId` (ADR 0105). */
    batchOrderId?: string;
  }[];
  truncated: boolean;
  openOffers: { offerId: string; orderId: string; driverId: string; expiresAt: string }[];
  unassignedOrders: { orderId: string; since: string; pickup: LatLng }[];
  /** Drivers gone silent with an order, and orders taken from one in the last hour (ADR 0079). */
  driverAlerts?: {
    orderId: string;
    driverId: string;
    kind: 'silent' | 'silent_after_pickup' | 'released';
    silentSince: string;
    releaseAt: string | null;
    releasedAt: string | null;
  }[];
}
