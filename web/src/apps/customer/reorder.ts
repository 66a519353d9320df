/**
 * "Reorder" from the history: the cart filled with the same items, at
 * today's prices, where the shop still sells them and they can be ordered
 * now. What cannot be had any more is named, never silently dropped.
 */
import { apiFetch } from '../../api/client';
import type { Merchant, Order, Page, Product } from '../shared/types';
import type { Cart } from './stores';

export interface Reorder {
  cart: Cart | null;
  /** Names of the items left out (gone from the catalog or sold out). */
  missing: string[];
}

/** The cart of a reorder from what the shop sells now (pure, for tests and the button alike). */
export function reorderCart(order: Pick<Order, 'items'>, merchant: Pick<Merchant, 'id' | 'name'>, catalog: readonly Product[]): Reorder {
  const byId = new Map(catalog.map((p) => [p.id, p]));
  const lines: Cart['lines'] = [];
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

export async function reorder(order: Pick<Order, 'merchantId' | 'items'>): Promise<Reorder> {
  const id = encodeURIComponent(order.merchantId);
  const [merchant, catalog] = await Promise.all([apiFetch<Merchant>(`/v1/merchants/${id}`), apiFetch<Page<Product>>(`/v1/merchants/${id}/products?limit=100`)]);
  if (merchant.acceptingOrders === false) return { cart: null, missing: order.items.map((i) => i.name) };
  return reorderCart(order, merchant, catalog.items);
}
