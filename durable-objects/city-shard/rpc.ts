/**
 * Validation of what crosses the shard's RPC boundary from the Worker. The
 * Worker is trusted, but a shard outlives deploys, so inputs are checked.
 */
import { z } from 'zod';
import { DispatchStateSchema, LocationPointSchema, MAX_POINTS_PER_BATCH, OrderStatusSchema } from '../../domain/protocol/city-shard';

const LatLngSchema = z.object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) });
export const VehicleSchema = z.enum(['bike', 'scooter', 'car']);
const IdSchema = z.string().min(1).max(64);
/** A shard key (domain/shard-keys.ts builds them; the shard only passes them on). */
const ShardKeySchema = z.string().min(1).max(200);
/** Neighbours passed with a dispatch: the nearest cells first (workers/services/city-shard-client.ts caps them). */
export const MAX_NEIGHBOURS = 48;
const ShopSchema = z.object({ name: z.string().max(200), address: z.string().max(300) });

export const DispatchRequestSchema = z.object({
  orderId: z.string().min(1).max(64),
  pickup: LatLngSchema,
  dropoff: LatLngSchema,
  payoutCents: z.number().int().min(0).max(1_000_000),
  /** The pickup's shop as the offer names it. */
  shop: ShopSchema.optional(),
  orderStatus: OrderStatusSchema.optional(),
  /** 5 s to 2 min; the policy's 20 s when absent. */
  offerTtlMs: z.number().int().min(5_000).max(120_000).optional(),
  /** Neighbouring shards within the largest search radius of the pickup (ADR 0060); absent or empty: none. */
  neighbours: z.array(ShardKeySchema).max(MAX_NEIGHBOURS).optional(),
  /** The city's batching settings (ADR 0105); absent: the order is never stacked. */
  batching: z.object({ enabled: z.boolean(), maxAddedDetourSeconds: z.number().int().min(0).max(7_200), maxAddedDetourM: z.number().int().min(0).max(50_000) }).optional(),
  /** Delivered by then (ms since the epoch), or late; absent: unknown. */
  promisedBy: z.number().int().optional(),
  /** A scheduled order's window (ADR 0108): the offer shows it. */
  scheduledFor: z.object({ start: z.string().max(40), end: z.string().max(40) }).optional(),
});

// ---- shard to shard (cross-shard matching, ADR 0060; remote-calls.ts) ------------

export const CandidateQuerySchema = z.object({
  pickup: LatLngSchema,
  radiusM: z.number().positive().max(50_000),
  k: z.number().int().min(1).max(200),
});

export const HostRequestSchema = z.object({
  offerId: IdSchema,
  orderId: IdSchema,
  driverId: IdSchema,
  ownerShard: ShardKeySchema,
  pickup: LatLngSchema,
  dropoff: LatLngSchema,
  payoutCents: z.number().int().min(0).max(1_000_000),
  shop: ShopSchema.optional(),
  expiresAt: z.number().int(),
});

export const AnswerBodySchema = z.object({
  offerId: IdSchema,
  orderId: IdSchema,
  driverId: IdSchema,
  answer: z.enum(['accepted', 'declined', 'expired']),
  reason: z.string().max(200).nullable(),
});

export const WithdrawBodySchema = z.object({ offerId: IdSchema, orderId: IdSchema, driverId: IdSchema, reason: z.string().max(200) });

export const ReleaseBodySchema = z.object({
  orderId: IdSchema,
  driverId: IdSchema,
  cancelled: z.boolean(),
  /** The order was taken from the silent driver (ADR 0079). */
  reason: z.enum(['driver_unresponsive']).optional(),
  silentSeconds: z.number().int().nonnegative().max(86_400 * 7).optional(),
});

const PositionSchema = LatLngSchema.extend({
  heading: z.number().nullable(),
  speed: z.number().nullable(),
  accuracy: z.number().nullable(),
  at: z.number(),
});

export const TripBodySchema = z.object({
  orderId: IdSchema,
  driverId: IdSchema,
  vehicle: VehicleSchema,
  position: PositionSchema,
});

/** A driver handed over from a neighbouring shard of the same city (ADR 0122, handover.ts). */
export const HandoverPackageSchema = z.object({
  driverId: IdSchema,
  vehicle: VehicleSchema,
  available: z.boolean(),
  idleSince: z.number(),
  flaggedPoints: z.number().int().nonnegative(),
  position: PositionSchema,
  orderId: IdSchema.nullable(),
  orderShard: ShardKeySchema.nullable(),
  from: ShardKeySchema,
});

export const OrderStatusUpdateSchema = z.object({
  orderId: z.string().min(1).max(64),
  status: OrderStatusSchema,
  dispatch: DispatchStateSchema.nullable().default(null),
  /** The committed event's seq and time (ADR 0075); absent from an older Worker. */
  seq: z.number().int().min(1).optional(),
  at: z.string().max(40).optional(),
  /** The event is this driver's own step (arrived, pickup…): the driver was heard from (ADR 0079). */
  driverId: IdSchema.optional(),
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
  /** The driver's city geometry (JSON), so the shard can route a driver leaving its cell (ADR 0122). */
  city: 'X-Shard-City',
} as const;
