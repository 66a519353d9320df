/**
 * "Reorder" from the history: the cart filled with the same items, at
 * today's prices, where the shop still sells them and they can be ordered
 * now. What cannot be had any more is named, never silently dropped.
 */
import { apiFetch } from '../../api/client';
import type { Merchant, Order, Page, Product } from '../shared/types';
import { reorderCart, type Reorder } from './reorder-cart';

export type { Reorder } from './reorder-cart';

export async function reorder(order: Pick<Order, 'merchantId' | 'items'>): Promise<Reorder> {
  const id = encodeURIComponent(order.merchantId);
  const [merchant, catalog] = await Promise.all([apiFetch<Merchant>(`/v1/merchants/${id}`), apiFetch<Page<Product>>(`/v1/merchants/${id}/products?limit=100`)]);
  if (merchant.acceptingOrders === false) return { cart: null, missing: order.items.map((i) => i.name) };
  return reorderCart(order, merchant, catalog.items);
}
