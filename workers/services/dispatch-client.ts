/**
 * The one call from the order lifecycle into dispatch. The merchant's
 * `accept` calls it after its commit, so a driver heads to the pickup while
 * the order is prepared (docs/architecture.md, main use case, step 3).
 *
 * PLACEHOLDER: today it does nothing and the order's dispatch state stays
 * `unassigned`. The city-shard work replaces the body with the RPC to the
 * CityShard that owns the pickup position (see workers/shards.ts), keeping
 * this signature so the order routes do not change. It must be idempotent:
 * the `order.preparing` outbox event is the durable backstop that may call
 * it again for the same order.
 */
export interface DispatchRequest {
  id: string;
  cityId: string;
  merchantId: string;
  pickup: { lat: number; lng: number };
  dropoff: { lat: number; lng: number };
  requiresPrescription: boolean;
}

export async function startDispatch(_env: Env, _order: DispatchRequest): Promise<void> {
  // Intentionally empty until dispatch lands (see the header).
}
