import { describe, expect, it } from 'vitest';
import { deliveryFeeCents, distanceMeters, priceOrder, taxCents } from '../../workers/services/orders/pricing';

const paris = { deliveryBaseFeeCents: 199, deliveryPerKmCents: 60, taxRateBps: 1000 };

describe('pricing (integer minor units)', () => {
  it('measures great-circle distances in whole metres', () => {
    expect(distanceMeters({ lat: 48.8566, lng: 2.3522 }, { lat: 48.8566, lng: 2.3522 })).toBe(0);
    // Paris (Notre-Dame) to Lyon (Bellecour): about 392 km as the crow flies.
    const d = distanceMeters({ lat: 48.853, lng: 2.3499 }, { lat: 45.7578, lng: 4.832 });
    expect(d).toBeGreaterThan(390_000);
    expect(d).toBeLessThan(394_000);
    // One degree of latitude is about 111.2 km everywhere.
    expect(distanceMeters({ lat: 10, lng: 5 }, { lat: 11, lng: 5 })).toBe(111_195);
  });

  it('charges the base fee plus the per-km rate for every started metre, rounded up', () => {
    expect(deliveryFeeCents(paris, 0)).toBe(199);
    expect(deliveryFeeCents(paris, 1)).toBe(200); // 0.06 cents rounds up to a whole cent
    expect(deliveryFeeCents(paris, 1000)).toBe(259);
    expect(deliveryFeeCents(paris, 1587)).toBe(199 + 96); // 95.22 -> 96
  });

  it('rounds tax half up in integers', () => {
    expect(taxCents(1005, 1000)).toBe(101); // 100.5 -> 101
    expect(taxCents(1004, 1000)).toBe(100); // 100.4 -> 100
    expect(taxCents(999, 1950)).toBe(195); // 194.805 -> 195
    expect(taxCents(0, 1000)).toBe(0);
    expect(taxCents(12345, 0)).toBe(0);
  });

  it('prices an order: items, delivery, tax on both, total', () => {
    const totals = priceOrder([{ unitPriceCents: 1250, quantity: 2 }, { unitPriceCents: 399, quantity: 3 }], paris, 1587);
    expect(totals).toEqual({ subtotalCents: 3697, deliveryFeeCents: 295, taxCents: 399, totalCents: 4391 });
    expect(totals.subtotalCents + totals.deliveryFeeCents + totals.taxCents).toBe(totals.totalCents);
  });

  it('refuses non-integer or negative amounts instead of rounding them', () => {
    expect(() => priceOrder([{ unitPriceCents: 9.99, quantity: 1 }], paris, 0)).toThrow(RangeError);
    expect(() => priceOrder([{ unitPriceCents: 100, quantity: 0 }], paris, 0)).toThrow(RangeError);
    expect(() => priceOrder([{ unitPriceCents: -1, quantity: 1 }], paris, 0)).toThrow(RangeError);
    expect(() => deliveryFeeCents(paris, 12.5)).toThrow(RangeError);
    expect(() => taxCents(100, 10_001)).toThrow(RangeError);
  });

  it('stays exact for the largest order the API accepts (50 lines x 99 x 9,999,999)', () => {
    const lines = Array.from({ length: 50 }, () => ({ unitPriceCents: 9_999_999, quantity: 99 }));
    const totals = priceOrder(lines, paris, 12_000);
    expect(totals.subtotalCents).toBe(49_499_995_050);
    expect(Number.isSafeInteger(totals.totalCents)).toBe(true);
  });
});
