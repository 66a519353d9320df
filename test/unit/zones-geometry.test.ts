/**
 * The service-zone geometry and rules (domain/zones, ADR 0110): point in
 * polygon with holes and multipolygons, borders, which zone wins, and the
 * fee schedule by distance bands or by zone.
 */
import { describe, expect, it } from 'vitest';
import { inGeometry, ringProblem, type Position, type ZoneGeometry } from '../../domain/zones/geometry';
import { coverageAt, scheduledFeeCents, type ServiceZones, type ZoneFeature } from '../../domain/zones/service-area';

const square = (x0: number, y0: number, x1: number, y1: number): Position[] => [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]];
const at = (lng: number, lat: number) => ({ lat, lng });

describe('point in polygon', () => {
  const withHole: ZoneGeometry = { type: 'Polygon', coordinates: [square(0, 0, 10, 10), square(4, 4, 6, 6)] };

  it('is inside the outer ring and outside its hole', () => {
    expect(inGeometry(at(2, 2), withHole)).toBe(true);
    expect(inGeometry(at(5, 5), withHole)).toBe(false);
    expect(inGeometry(at(11, 5), withHole)).toBe(false);
    expect(inGeometry(at(5, -0.0001), withHole)).toBe(false);
  });

  it('counts the outer border and a hole’s border as inside', () => {
    expect(inGeometry(at(0, 5), withHole)).toBe(true);
    expect(inGeometry(at(10, 10), withHole)).toBe(true);
    expect(inGeometry(at(4, 5), withHole)).toBe(true);
  });

  it('handles a concave ring (a U shape): the notch is outside', () => {
    const u: ZoneGeometry = { type: 'Polygon', coordinates: [[[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]] };
    expect(inGeometry(at(1.5, 2), u)).toBe(false);
    expect(inGeometry(at(0.5, 2), u)).toBe(true);
    expect(inGeometry(at(2.5, 2), u)).toBe(true);
    expect(inGeometry(at(1.5, 0.5), u)).toBe(true);
  });

  it('is in a multipolygon when in any of its polygons', () => {
    const two: ZoneGeometry = { type: 'MultiPolygon', coordinates: [[square(0, 0, 1, 1)], [square(5, 5, 6, 6)]] };
    expect(inGeometry(at(5.5, 5.5), two)).toBe(true);
    expect(inGeometry(at(3, 3), two)).toBe(false);
  });

  it('works on real coordinates across the prime meridian', () => {
    const london: ZoneGeometry = { type: 'Polygon', coordinates: [square(-0.2, 51.45, 0.1, 51.56)] };
    expect(inGeometry(at(-0.1276, 51.5072), london)).toBe(true);
    expect(inGeometry(at(0.2, 51.5072), london)).toBe(false);
  });

  it('names what is wrong with a ring', () => {
    expect(ringProblem(square(0, 0, 1, 1))).toBeNull();
    expect(ringProblem([[0, 0], [1, 0], [0, 0]])).toMatch(/four positions/);
    expect(ringProblem([[0, 0], [1, 0], [1, 1], [0, 1]])).toMatch(/closed/);
    expect(ringProblem([[0, 0], [200, 0], [1, 1], [0, 0]])).toMatch(/out of range/);
  });
});

const zone = (id: string, kind: ZoneFeature['properties']['kind'], ring: Position[], feeCents?: number): ZoneFeature => ({
  type: 'Feature',
  id,
  properties: { name: id, kind, ...(feeCents === undefined ? {} : { feeCents }) },
  geometry: { type: 'Polygon', coordinates: [ring] },
});

describe('coverage', () => {
  const zones: ServiceZones = {
    type: 'FeatureCollection',
    features: [
      zone('centre', 'delivery', square(0, 0, 10, 10), 199),
      zone('outer', 'delivery', square(-5, -5, 15, 15), 399),
      zone('stadium', 'no_go', square(2, 2, 3, 3)),
      zone('island', 'pickup_only', square(20, 20, 25, 25)),
    ],
  };
  const radius = { center: at(0, 0), radiusM: 1000, distanceM: () => 0 };

  it('gives the first delivery zone covering the point', () => {
    expect(coverageAt(at(5, 5), zones, radius)).toMatchObject({ kind: 'delivery', zone: { id: 'centre' } });
    expect(coverageAt(at(12, 12), zones, radius)).toMatchObject({ kind: 'delivery', zone: { id: 'outer' } });
  });

  it('lets a no-go area win over the delivery zone around it', () => {
    expect(coverageAt(at(2.5, 2.5), zones, radius)).toMatchObject({ kind: 'no_go', zone: { id: 'stadium' } });
  });

  it('knows pickup-only areas and the outside', () => {
    expect(coverageAt(at(22, 22), zones, radius)).toMatchObject({ kind: 'pickup_only', zone: { id: 'island' } });
    expect(coverageAt(at(40, 40), zones, radius)).toEqual({ kind: 'outside' });
  });

  it('falls back to the radius without zones', () => {
    const distanceM = (_a: unknown, b: { lat: number }) => b.lat * 1000;
    expect(coverageAt(at(0, 0.5), null, { ...radius, distanceM })).toEqual({ kind: 'delivery', zone: null });
    expect(coverageAt(at(0, 2), null, { ...radius, distanceM })).toEqual({ kind: 'outside' });
  });
});

describe('fee schedule', () => {
  const legacy = (m: number) => 100 + Math.ceil(m / 10);
  const centre = zone('centre', 'delivery', square(0, 0, 1, 1), 249);
  const plain = zone('plain', 'delivery', square(0, 0, 1, 1));

  it('prices by the first band that reaches the distance, bands in any order', () => {
    const schedule = { type: 'distance' as const, bands: [{ upToM: 5000, feeCents: 399 }, { upToM: 2000, feeCents: 199 }] };
    expect(scheduledFeeCents(schedule, 0, null, legacy)).toBe(199);
    expect(scheduledFeeCents(schedule, 2000, null, legacy)).toBe(199);
    expect(scheduledFeeCents(schedule, 2001, null, legacy)).toBe(399);
    expect(scheduledFeeCents(schedule, 5001, null, legacy)).toBeNull();
  });

  it('prices by zone, with the default for a zone without its own fee', () => {
    const schedule = { type: 'zone' as const, defaultFeeCents: 299 };
    expect(scheduledFeeCents(schedule, 9999, centre, legacy)).toBe(249);
    expect(scheduledFeeCents(schedule, 10, plain, legacy)).toBe(299);
  });

  it('keeps the per-km price without a schedule', () => {
    expect(scheduledFeeCents(null, 1500, centre, legacy)).toBe(250);
  });
});
