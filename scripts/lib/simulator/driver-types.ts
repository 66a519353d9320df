/** What a simulated driver hears and does (behaviour.ts is its mind, driver.ts its shell). */
import type { LatLng } from './geo';

export interface OrderInfo {
  id: string;
  status: string;
  pickup?: { location: LatLng } | undefined;
  dropoff: { location: LatLng };
  requiresPrescription?: boolean | undefined;
}

export type DriverStepName = 'arrived' | 'pickup' | 'deliver' | 'fail';

/** What reaches a driver: the live channel's messages, the time, and the answers to its own requests. */
export type DriverInput =
  /** `batch`: a stacked offer on top of the order carried (ADR 0105), with the route through both. */
  | { type: 'offer'; offerId: string; orderId: string; batch?: { withOrderId: string; stops: RouteStop[] } | undefined }
  | { type: 'offer.expired'; offerId: string }
  | { type: 'assignment'; orderId: string }
  | { type: 'assignment.cancelled'; orderId: string }
  /** On every (re)connect: the order the shard has the driver on. */
  | { type: 'session'; orderId: string | null }
  /** The answer to a `read`: the order, or the HTTP status that refused it (0: no answer). */
  | { type: 'order'; orderId: string; order: OrderInfo | null; status: number }
  /** The answer to a `step`: ok, or the HTTP status that refused it (0: no answer). */
  | { type: 'step.done'; orderId: string; step: DriverStepName; ok: boolean; status: number };

/** What a driver does; the shell carries it out and feeds the answer back. */
export type DriverCommand =
  | { type: 'answer'; offerId: string; accept: boolean; reason?: string }
  | { type: 'read'; orderId: string }
  /** `photo`: no code for this order, so a proof photo is uploaded first and its URL sent as `photoUrl`. */
  | { type: 'step'; orderId: string; step: DriverStepName; body?: Record<string, unknown>; photo?: boolean }
  /** A break: close the app (the shard sees the driver leave), and open it again later. */
  | { type: 'go_offline' }
  | { type: 'go_online' }
  /** For the stats: the driver learnt of an assignment, picked up, delivered. */
  | { type: 'note'; what: 'assigned' | 'picked_up' | 'delivered'; orderId: string };

/** One stop of a stacked route. */
export interface RouteStop {
  orderId: string;
  kind: 'pickup' | 'dropoff';
}

export type DriverPhase = 'idle' | 'assigned' | 'to_pickup' | 'at_pickup' | 'to_dropoff' | 'at_dropoff' | 'break';
