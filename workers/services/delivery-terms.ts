/**
 * The terms of a delivery from a shop to a point, now (ADR 0110, 0111): which
 * service zone the drop-off falls in, the fee the city's schedule charges,
 * whether the shop is open by its hours, its prep estimate (longer in busy
 * mode) and an ETA. GET /v1/merchants/{id}/delivery-quote shows them;
 * POST /v1/orders refuses with the problem `refusal` names, so the quote and
 * the checkout never disagree.
 */
import { openStateAt, type OpenState } from '../../domain/opening-hours';
import { coverageAt, scheduledFeeCents, scheduleReachM, type Coverage } from '../../domain/zones/service-area';
import type { LatLng } from '../../domain/zones/geometry';
import type { City, Merchant } from '../../db/schema/index';
import { etaSeconds } from '../../durable-objects/city-shard/matching';
import { Problem } from '../problem';
import { deliveryFeeCents, distanceMeters } from './orders/pricing';

export interface DeliveryTerms {
  distanceM: number;
  coverage: Coverage;
  /** Null when the drop-off is not delivered to (outside, no-go, pickup-only, past the schedule's reach). */
  deliveryFeeCents: number | null;
  hours: OpenState;
  timezone: string;
  /** The merchant's own switch, suspension and closure (hours aside). */
  acceptingOrders: boolean;
  busy: boolean;
  prepMinutes: number;
  /** Prep plus the ride by bike (the slowest vehicle) on streets, from when the order is placed. */
  etaMinutes: number;
}

export const merchantTimezone = (merchant: Pick<Merchant, 'timezone'>, city: Pick<City, 'timezone'>): string => merchant.timezone ?? city.timezone;

export const isBusy = (merchant: Pick<Merchant, 'busyUntil'>, now: Date): boolean => merchant.busyUntil !== null && merchant.busyUntil.getTime() > now.getTime();

/** The prep estimate now: the merchant's, plus the busy-mode extra while busy mode lasts. */
export const prepMinutesNow = (merchant: Pick<Merchant, 'prepMinutes' | 'busyUntil' | 'busyExtraMinutes'>, now: Date): number =>
  merchant.prepMinutes + (isBusy(merchant, now) ? merchant.busyExtraMinutes : 0);

/** `hoursAt`: when the shop must be open — now, or a scheduled order's window start (ADR 0108). */
export function deliveryTerms(city: City, merchant: Merchant, dropoff: LatLng, now: Date, hoursAt: Date = now): DeliveryTerms {
  const distanceM = distanceMeters({ lat: merchant.lat, lng: merchant.lng }, dropoff);
  const coverage = coverageAt(dropoff, city.serviceZones, {
    center: { lat: city.centerLat, lng: city.centerLng },
    radiusM: city.serviceRadiusKm * 1000,
    distanceM: distanceMeters,
  });
  const fee = coverage.kind === 'delivery' ? scheduledFeeCents(city.deliveryFeeSchedule, distanceM, coverage.zone, (m) => deliveryFeeCents(city, m)) : null;
  const timezone = merchantTimezone(merchant, city);
  const prepMinutes = prepMinutesNow(merchant, now);
  return {
    distanceM,
    coverage,
    deliveryFeeCents: fee,
    hours: openStateAt(merchant.openingHours, timezone, Number.isNaN(hoursAt.getTime()) ? now : hoursAt),
    timezone,
    acceptingOrders: merchant.open && !merchant.suspended && merchant.closedAt === null,
    busy: isBusy(merchant, now),
    prepMinutes,
    etaMinutes: prepMinutes + Math.ceil(etaSeconds(distanceM, 'bike') / 60),
  };
}

const DROPOFF = 'json.dropoff.location';
const MERCHANT = 'json.merchantId';

/**
 * Why an order on these terms is refused, as a 422 problem of its own type
 * (docs/problems.md) that also names the field, or null when it may go
 * ahead. Zones first (the address is the customer's to change), then hours.
 */
export function refusalOf(terms: DeliveryTerms, city: Pick<City, 'name' | 'deliveryFeeSchedule'>, merchant: Pick<Merchant, 'name'>): Problem | null {
  const { coverage } = terms;
  const field = (path: string, message: string) => ({ errors: [{ path, message }] });
  if (coverage.kind === 'no_go') {
    const message = `${city.name} does not deliver to ${coverage.zone.properties.name}.`;
    return new Problem(422, 'no-go-area', message, { ...field(DROPOFF, message), extensions: { zone: zoneRef(coverage.zone) } });
  }
  if (coverage.kind === 'pickup_only') {
    const message = `${coverage.zone.properties.name} is a pickup-only area: orders there are collected at the shop, not delivered.`;
    return new Problem(422, 'pickup-only-area', message, { ...field(DROPOFF, message), extensions: { zone: zoneRef(coverage.zone) } });
  }
  if (coverage.kind === 'outside') {
    const message = `The address is outside the area ${city.name} is served in.`;
    return new Problem(422, 'outside-service-area', message, field(DROPOFF, message));
  }
  if (terms.deliveryFeeCents === null) {
    const reach = scheduleReachM(city.deliveryFeeSchedule);
    const message = `The address is farther from ${merchant.name} than ${city.name} delivers${reach === null ? '' : ` (${(reach / 1000).toFixed(1)} km)`}.`;
    return new Problem(422, 'outside-service-area', message, field(DROPOFF, message));
  }
  if (!terms.hours.open) {
    const when = terms.hours.opensAtLocal;
    const message = when ? `${merchant.name} is closed; it opens at ${when.time} on ${when.date} (${terms.timezone}).` : `${merchant.name} is closed and has no opening in the next two weeks.`;
    return new Problem(422, 'outside-opening-hours', message, {
      ...field(MERCHANT, message),
      extensions: { opensAt: terms.hours.opensAt?.toISOString() ?? null, timezone: terms.timezone },
    });
  }
  return null;
}

const zoneRef = (zone: { id: string; properties: { name: string } }) => ({ id: zone.id, name: zone.properties.name });
