/**
 * "Reorder" from the customer's history (issue 15): the same items at
 * today's prices where the shop still sells them, the rest named.
 */
import { describe, expect, it } from 'vitest';
import { reorderCart } from '../../web/src/apps/customer/reorder-cart';
import type { Product } from '../../web/src/apps/shared/types';

const product = (id: string, name: string, priceCents: number, available = true): Product =>
  ({ id, merchantId: 'mer_1', name, description: null, priceCents, currency: 'EUR', available, requiresPrescription: false, createdAt: '', updatedAt: '' }) as Product;

const item = (productId: string | null, name: string, quantity: number) => ({ productId, name, quantity, unitPriceCents: 100, lineTotalCents: 100 * quantity, requiresPrescription: false });

describe('reorderCart', () => {
  const shop = { id: 'mer_1', name: 'Bistro' };

  it('fills the cart with the same quantities at today’s prices', () => {
    const { cart, missing } = reorderCart({ items: [item('prd_a', 'Croque', 2), item('prd_b', 'Crème brûlée', 1)] }, shop, [product('prd_a', 'Croque', 950), product('prd_b', 'Crème brûlée', 650)]);
    expect(missing).toEqual([]);
    expect(cart).toEqual({
      merchantId: 'mer_1',
      merchantName: 'Bistro',
      currency: 'EUR',
      lines: [
        { productId: 'prd_a', name: 'Croque', priceCents: 950, quantity: 2, requiresPrescription: false },
        { productId: 'prd_b', name: 'Crème brûlée', priceCents: 650, quantity: 1, requiresPrescription: false },
      ],
    });
  });

  it('leaves out and names what is sold out or gone from the catalog', () => {
    const { cart, missing } = reorderCart({ items: [item('prd_a', 'Croque', 1), item('prd_gone', 'Soupe', 1), item(null, 'Old dish', 1), item('prd_b', 'Tarte', 1)] }, shop, [product('prd_a', 'Croque', 950), product('prd_b', 'Tarte', 500, false)]);
    expect(cart?.lines.map((l) => l.productId)).toEqual(['prd_a']);
    expect(missing).toEqual(['Soupe', 'Old dish', 'Tarte']);
  });

  it('gives no cart when nothing can be had', () => {
    expect(reorderCart({ items: [item('prd_x', 'Soupe', 1)] }, shop, [])).toEqual({ cart: null, missing: ['Soupe'] });
  });
});
