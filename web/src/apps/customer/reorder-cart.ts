/**
 * The cart of a "Reorder" from the history (pure: no browser API, so unit
 * tests import it): the same items at today's prices where the shop still
 * sells them and they can be ordered now; what cannot be had is named.
 */
import type { Merchant, Order, Product } from '../shared/types';

/** The cart's shape (stores.ts `Cart`), restated so this module needs no browser store. */
export interface ReorderedCart {
  merchantId: string;
  merchantName: string;
  currency: string;
  lines: { productId: string; name: string; priceCents: number; quantity: number; requiresPrescription?: boolean }[];
}

export interface Reorder {
  cart: ReorderedCart | null;
  /** Names of the items left out (gone from the catalog or sold out). */
  missing: string[];
}

/** The cart of a reorder from what the shop sells now (pure, for tests and the button alike). */
export function reorderCart(order: Pick<Order, 'items'>, merchant: Pick<Merchant, 'id' | 'name'>, catalog: readonly Product[]): Reorder {
  const byId = new Map(catalog.map((p) => [p.id, p]));
  const lines: ReorderedCart['lines'] = [];
  const missing: string[] = [];
  for (const item of order.items) {
    const product = item.productId ? byId.get(item.productId) : undefined;
    if (!product || !product.available) {
      missing.push(item.name);
      continue;
    }
    lines.push({ productId: product.id, name: product.name, priceCents: product.priceCents, quantity: item.quantity, requiresPrescription: product.requiresPrescription });
  }
  const currency = lines.length > 0 ? byId.get(lines[0]!.productId)!.currency : 'EUR';
  return { cart: lines.length > 0 ? { merchantId: merchant.id, merchantName: merchant.name, currency, lines } : null, missing };
}
