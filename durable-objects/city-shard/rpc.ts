/**
 * Validation of what crosses the shard's RPC boundary from the Worker. The
 * Worker is trusted, but a shard outlives deploys, so inputs are checked.
 */
import { z } from 'zod';
import { DispatchStateSchema, LocationPointSchema, MAX_POINTS_PER_BATCH, OrderStatusSchema } from './protocol';

const LatLngSchema = z.object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) });
export const VehicleSchema = z.enum(['bike', 'scooter', 'car']);

export const DispatchRequestSchema = z.object({
  orderId: z.string().min(1).max(64),
  pickup: LatLngSchema,
  dropoff: LatLngSchema,
  payoutCents: z.number().int().min(0).max(1_000_000),
  orderStatus: OrderStatusSchema.optional(),
  /** 5 s to 2 min; the policy's 20 s when absent. */
  offerTtlMs: z.number().int().min(5_000).max(120_000).optional(),
});

export const OrderStatusUpdateSchema = z.object({
  orderId: z.string().min(1).max(64),
  status: OrderStatusSchema,
  dispatch: DispatchStateSchema.nullable().default(null),
});

export const LocationBatchSchema = z.object({
  driverId: z.string().min(1).max(64),
  vehicle: VehicleSchema,
  points: z.array(LocationPointSchema).min(1).max(MAX_POINTS_PER_BATCH),
});

/** Headers the Worker sets when it forwards a WebSocket upgrade to the shard. */
export const SHARD_HEADERS = {
  role: 'X-Shard-Role',
  driverId: 'X-Driver-Id',
  vehicle: 'X-Driver-Vehicle',
  orderId: 'X-Watch-Order',
} as const;
