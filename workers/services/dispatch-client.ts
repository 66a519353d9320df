/**
 * The one call from the order lifecycle into dispatch. The merchant's
 * `accept` calls it after its commit, so a driver heads to the pickup while
 * the order is prepared (docs/architecture.md, main use case, step 3). It asks
 * the CityShard that owns the pickup position (domain/shard-keys.ts) to run its
 * offer loop. Idempotent on the shard's side (a known order is not dispatched
 * twice), so the `order.preparing` outbox event calls it again as a backstop
 * (services/orders/shard-backstop.ts, ADR 0048).
 */
import { eq } from 'drizzle-orm';
import { openDatabase } from '../../db/client';
import { merchants } from '../../db/schema/index';
import { dispatchOrder, loadCityGeometry } from './city-shard-client';
import { dispatchTermsOf } from './dispatch-terms';

export interface DispatchRequest {
  id: string;
  cityId: string;
  merchantId: string;
  pickup: { lat: number; lng: number };
  dropoff: { lat: number; lng: number };
  requiresPrescription: boolean;
  payoutCents?: number | null;
}

export async function startDispatch(env: Pick<Env, 'CITY_SHARD' | 'HYPERDRIVE'>, order: DispatchRequest): Promise<void> {
  // Runs in waitUntil after the response: its own client, like any invocation.
  const db = openDatabase(env.HYPERDRIVE.connectionString);
  const [city, shop, terms] = await Promise.all([loadCityGeometry(db, order.cityId), shopOf(db, order.merchantId), dispatchTermsOf(db, order.id)]);
  if (!city) throw new Error(`startDispatch: unknown city ${order.cityId}`);
  await dispatchOrder(env, city, {
    id: order.id,
    pickup: order.pickup,
    dropoff: order.dropoff,
    ...(order.payoutCents ? { payoutCents: order.payoutCents } : {}),
    ...(shop ? { shop } : {}),
    ...(terms ?? {}),
  });
}

/** The pickup as the driver's offer names it: the shop's name and address (public on purpose, merchants.ts). */
export async function shopOf(db: ReturnType<typeof openDatabase>, merchantId: string): Promise<{ name: string; address: string } | null> {
  const [row] = await db.select({ name: merchants.name, address: merchants.address }).from(merchants).where(eq(merchants.id, merchantId));
  return row ?? null;
}
