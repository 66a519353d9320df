/**
 * Order pricing, on the server only, in integer minor units end to end: no
 * amount ever passes through a float. Distances are metres (integers), fees
 * are "per started metre" rounded up to the next minor unit, and tax is basis
 * points rounded half up. See docs/decisions/0021-pricing.md.
 */

export interface LatLng {
  lat: number;
  lng: number;
}

export interface CityPricing {
  deliveryBaseFeeCents: number;
  deliveryPerKmCents: number;
  /** 1000 = 10 %. Applied to items plus delivery (prices are before tax). */
  taxRateBps: number;
}

export interface PricedLine {
  unitPriceCents: number;
  quantity: number;
}

export interface OrderTotals {
  subtotalCents: number;
  deliveryFeeCents: number;
  taxCents: number;
  totalCents: number;
}

/**
 * The largest total an order may have: Stripe accepts at most eight digits
 * of minor units, and it keeps every intermediate product far below 2^53.
 */
export const MAX_ORDER_TOTAL_CENTS = 99_999_999;

const EARTH_RADIUS_M = 6_371_008.8;
const toRad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance in whole metres (haversine). */
export function distanceMeters(a: LatLng, b: LatLng): number {
  const dLat = toRad(b.lat - a.lat);
  const dLng = toRad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(toRad(a.lat)) * Math.cos(toRad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return Math.round(2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h))));
}

function assertMinorUnits(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
}

/** base + per-km rate for every started metre, rounded up to the next minor unit. */
export function deliveryFeeCents(city: CityPricing, distanceM: number): number {
  assertMinorUnits('distanceM', distanceM);
  assertMinorUnits('deliveryBaseFeeCents', city.deliveryBaseFeeCents);
  assertMinorUnits('deliveryPerKmCents', city.deliveryPerKmCents);
  return city.deliveryBaseFeeCents + Math.ceil((city.deliveryPerKmCents * distanceM) / 1000);
}

/** `amount * bps / 10000`, rounded half up, in integers only. */
export function taxCents(amountCents: number, taxRateBps: number): number {
  assertMinorUnits('amountCents', amountCents);
  if (!Number.isInteger(taxRateBps) || taxRateBps < 0 || taxRateBps > 10_000) throw new RangeError(`taxRateBps out of range: ${taxRateBps}`);
  return Math.floor((amountCents * taxRateBps + 5_000) / 10_000);
}

/** `scheduledFeeCents`: the fee the city's schedule gives (ADR 0110); absent, the base fee plus the per-km rate. */
export function priceOrder(lines: readonly PricedLine[], city: CityPricing, distanceM: number, scheduledFeeCents?: number): OrderTotals {
  let subtotalCents = 0;
  for (const line of lines) {
    assertMinorUnits('unitPriceCents', line.unitPriceCents);
    if (!Number.isInteger(line.quantity) || line.quantity < 1) throw new RangeError(`quantity must be a positive integer, got ${line.quantity}`);
    subtotalCents += line.unitPriceCents * line.quantity;
  }
  if (scheduledFeeCents !== undefined) assertMinorUnits('scheduledFeeCents', scheduledFeeCents);
  const delivery = scheduledFeeCents ?? deliveryFeeCents(city, distanceM);
  const tax = taxCents(subtotalCents + delivery, city.taxRateBps);
  return { subtotalCents, deliveryFeeCents: delivery, taxCents: tax, totalCents: subtotalCents + delivery + tax };
}
