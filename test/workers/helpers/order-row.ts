/**
 * A whole `orders` row for tests that write an order straight into Postgres
 * in a given state (a 10 € order of one line, 1.2 km, in Paris): only who is
 * involved and where it stands differ between tests.
 */
import { newId, randomBase32 } from '../../../db/ids';
import { newOrderNumber } from '../../../domain/order';
import type { NewOrder } from '../../../db/schema/index';

export interface OrderRowParts {
  cityId: string;
  merchantId: string;
  customerId: string | null;
  driverId: string | null;
  status: NewOrder['status'];
  dispatchState: NewOrder['dispatchState'];
  deliveryPin: string;
}

export function orderRow(parts: OrderRowParts, now = new Date()): NewOrder & { id: string } {
  return {
    id: newId('ord'),
    number: newOrderNumber(),
    ...parts,
    source: 'customer',
    subtotalCents: 1000,
    deliveryFeeCents: 300,
    taxCents: 130,
    totalCents: 1430,
    currency: 'EUR',
    distanceM: 1200,
    pickupLat: 48.85,
    pickupLng: 2.35,
    dropoffLat: 48.86,
    dropoffLng: 2.34,
    trackingToken: randomBase32(32),
    // As after its first event: a real order is created with seq 1, and the API documents seq ≥ 1.
    seq: 1,
    placedAt: now,
    createdAt: now,
    updatedAt: now,
  };
}
