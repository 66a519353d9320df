/**
 * A city's service zones and delivery fee schedule (ADR 0110), as stored on
 * the city (cities.service_zones, cities.delivery_fee_schedule) and set by
 * operators through PUT /v1/ops/cities/{id}/zones.
 *
 * The zones are a GeoJSON FeatureCollection; each feature's `kind` says what
 * the area is:
 * - `delivery`: drop-offs here are delivered (optionally at the zone's own fee);
 * - `pickup_only`: no delivery to here (customers collect at the shop);
 * - `no_go`: never delivered to, whatever other zone covers it (a no-go area
 *   cut out of a delivery zone wins).
 * A city without zones keeps the older rule: a circle of `serviceRadiusKm`
 * around its centre.
 */
import { inGeometry, type LatLng, type ZoneGeometry } from './geometry';

export const ZONE_KINDS = ['delivery', 'pickup_only', 'no_go'] as const;
export type ZoneKind = (typeof ZONE_KINDS)[number];

export interface ZoneFeature {
  type: 'Feature';
  /** Stable within the city, e.g. "centre"; orders and quotes name it. */
  id: string;
  properties: {
    name: string;
    kind: ZoneKind;
    /** The delivery fee into this zone when the schedule is by zone (integer minor units). */
    feeCents?: number | undefined;
  };
  geometry: ZoneGeometry;
}

export interface ServiceZones {
  type: 'FeatureCollection';
  features: ZoneFeature[];
}

/**
 * How the delivery fee is computed:
 * - `distance`: by straight-line distance from the shop, in bands; the first
 *   band whose `upToM` is at least the distance applies; past the last band
 *   the city does not deliver from that shop.
 * - `zone`: the fee of the delivery zone the drop-off lies in (`feeCents` on
 *   the feature), or `defaultFeeCents` when the zone gives none.
 * A city with no schedule prices as before: base fee plus a rate per started
 * kilometre (services/orders/pricing.ts).
 */
export type FeeSchedule =
  | { type: 'distance'; bands: { upToM: number; feeCents: number }[] }
  | { type: 'zone'; defaultFeeCents: number };

export type Coverage =
  | { kind: 'delivery'; zone: ZoneFeature | null }
  | { kind: 'pickup_only'; zone: ZoneFeature }
  | { kind: 'no_go'; zone: ZoneFeature }
  | { kind: 'outside' };

export interface RadiusArea {
  center: LatLng;
  radiusM: number;
  distanceM: (a: LatLng, b: LatLng) => number;
}

/**
 * Which area a drop-off falls in. No-go wins over everything, then the first
 * delivery zone (in the collection's order), then pickup-only; a point in no
 * zone is outside. Without zones, the radius decides.
 */
export function coverageAt(point: LatLng, zones: ServiceZones | null, radius: RadiusArea): Coverage {
  if (!zones || zones.features.length === 0) {
    return radius.distanceM(radius.center, point) <= radius.radiusM ? { kind: 'delivery', zone: null } : { kind: 'outside' };
  }
  const covering = zones.features.filter((f) => inGeometry(point, f.geometry));
  const of = (kind: ZoneKind) => covering.find((f) => f.properties.kind === kind);
  const noGo = of('no_go');
  if (noGo) return { kind: 'no_go', zone: noGo };
  const delivery = of('delivery');
  if (delivery) return { kind: 'delivery', zone: delivery };
  const pickup = of('pickup_only');
  if (pickup) return { kind: 'pickup_only', zone: pickup };
  return { kind: 'outside' };
}

/**
 * The fee under a schedule, or null when the schedule does not deliver that
 * far (past the last distance band). `legacy` prices a city without one.
 */
export function scheduledFeeCents(schedule: FeeSchedule | null, distanceM: number, zone: ZoneFeature | null, legacy: (distanceM: number) => number): number | null {
  if (!schedule) return legacy(distanceM);
  if (schedule.type === 'zone') return zone?.properties.feeCents ?? schedule.defaultFeeCents;
  const band = [...schedule.bands].sort((a, b) => a.upToM - b.upToM).find((b) => distanceM <= b.upToM);
  return band ? band.feeCents : null;
}

/** The greatest distance a distance schedule delivers, for the words of a refusal. */
export function scheduleReachM(schedule: FeeSchedule | null): number | null {
  if (!schedule || schedule.type !== 'distance' || schedule.bands.length === 0) return null;
  return Math.max(...schedule.bands.map((b) => b.upToM));
}
