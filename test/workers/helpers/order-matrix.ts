/**
 * Objects the authorization matrix needs for the order, catalog and payment
 * routes (issue 4): orders written straight into Postgres in the status the
 * route's allowed caller needs (accept needs `placed`, pickup `ready`, …), so
 * every allowed cell is a real success, and products of a merchant.
 */
import { env } from 'cloudflare:workers';
import { newId } from '../../../db/ids';
import { orders, payments, products } from '../../../db/schema/index';
import { storeProofPhoto } from '../../../workers/services/proof-photos/store';
import type { ResolveContext } from '../authz-matrix.table';
import { db as testDb } from './commerce';
import { orderRow } from './order-row';

/** The PIN every matrix order carries, so the driver's `deliver` can prove it. */
export const MATRIX_PIN = '1234';

const STATUS_FOR_STEP: Record<string, 'placed' | 'preparing' | 'ready' | 'in_delivery'> = {
  accept: 'placed',
  reject: 'placed',
  cancel: 'placed',
  ready: 'preparing',
  arrived: 'preparing',
  pickup: 'ready',
  deliver: 'in_delivery',
  fail: 'in_delivery',
  'proof-photos': 'in_delivery',
  // An operator assigns an accepted order (ADR 0112).
  assign: 'preparing',
};

/** A fresh order of merchant A, customer and driver of the world ("own"), or of merchant B and the others ("other"). */
export async function matrixOrder(ctx: ResolveContext): Promise<string> {
  const { world, which } = ctx;
  const own = which === 'own';
  const step = ctx.route.split('/').at(-1) ?? '';
  const status = STATUS_FOR_STEP[step] ?? 'placed';
  const row = orderRow(
    {
      cityId: world.cityId,
      merchantId: (own ? world.owner : world.otherOwner).user.merchantId!,
      customerId: (own ? world.customer : world.otherCustomer).user.id,
      driverId: (own ? world.driver : world.otherDriver).user.driverId,
      status,
      dispatchState: status === 'in_delivery' ? 'picked_up' : 'assigned',
      deliveryPin: MATRIX_PIN,
    },
  );
  await testDb().insert(orders).values(row);
  const { id } = row;
  // Paid, with no intent at Stripe: a cancellation settles nothing at the provider.
  await testDb().insert(payments).values({ id: newId('pay'), orderId: id, status: 'succeeded', amountCents: 1430, currency: 'EUR' });
  return id;
}

const productsOf = new Map<string, Promise<string>>();

/** A product of the merchant (one per merchant, created on first use). */
export function matrixProduct(merchantId: string): Promise<string> {
  let id = productsOf.get(merchantId);
  if (!id) {
    id = (async () => {
      const productId = newId('prd');
      await testDb().insert(products).values({ id: productId, merchantId, name: 'Matrix dish', priceCents: 900, currency: 'EUR' });
      return productId;
    })();
    productsOf.set(merchantId, id);
  }
  return id;
}

/** A fresh product (a PATCH may change it). */
export async function freshMatrixProduct(merchantId: string): Promise<string> {
  const productId = newId('prd');
  await testDb().insert(products).values({ id: productId, merchantId, name: 'Matrix item', priceCents: 500, currency: 'EUR' });
  return productId;
}

/** What the allowed caller sends to POST /v1/orders: a customer orders at merchant A; its API key orders for an inline customer. */
export async function matrixOrderBody({ world, role }: ResolveContext) {
  const merchantId = world.owner.user.merchantId!;
  return {
    merchantId,
    items: [{ productId: await matrixProduct(merchantId), quantity: 1 }],
    dropoff: { address: '1 Rue du Test', location: { lat: 48.86, lng: 2.34 } },
    ...(role === 'merchantApiKey' ? { customer: { name: 'Matrix Guest', phone: '+33600000009' } } : {}),
  };
}

/** The bytes of a tiny JPEG (its magic number is what the upload checks). */
export const MATRIX_JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0xff, 0xd9]);

/** A proof photo of the order, stored as an upload would (object in R2, row in Postgres). */
export async function matrixProofPhoto(orderId: string): Promise<string> {
  const photo = await storeProofPhoto(testDb(), env.PROOF_PHOTOS, { orderId, driverId: null, contentType: 'image/jpeg', bytes: MATRIX_JPEG });
  return photo.id;
}
