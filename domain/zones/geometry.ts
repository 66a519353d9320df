/**
 * Point-in-polygon for a city's service zones, on GeoJSON geometry (RFC 7946:
 * positions are [longitude, latitude], a polygon is an outer ring followed by
 * holes). Planar ray casting on degrees: zones span a few kilometres, where
 * the error against the sphere is far below a street's width. Pure, no
 * runtime: the Worker, the simulator and the unit tests share it.
 */

export type Position = [lng: number, lat: number];
export type Ring = Position[];

export interface PolygonGeometry {
  type: 'Polygon';
  coordinates: Ring[];
}

export interface MultiPolygonGeometry {
  type: 'MultiPolygon';
  coordinates: Ring[][];
}

export type ZoneGeometry = PolygonGeometry | MultiPolygonGeometry;

export interface LatLng {
  lat: number;
  lng: number;
}

/**
 * Whether the point lies inside the ring (even-odd rule). A point exactly on
 * an edge or a vertex counts as inside, so a zone's border is served by it
 * and two zones sharing an edge leave no gap between them.
 */
export function inRing(point: LatLng, ring: readonly Position[]): boolean {
  const x = point.lng;
  const y = point.lat;
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (onSegment(x, y, xi, yi, xj, yj)) return true;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function onSegment(x: number, y: number, x1: number, y1: number, x2: number, y2: number): boolean {
  const cross = (x - x1) * (y2 - y1) - (y - y1) * (x2 - x1);
  if (Math.abs(cross) > 1e-12) return false;
  return x >= Math.min(x1, x2) && x <= Math.max(x1, x2) && y >= Math.min(y1, y2) && y <= Math.max(y1, y2);
}

/** Inside the outer ring and not strictly inside a hole (a hole's border belongs to the polygon). */
function inPolygon(point: LatLng, rings: readonly Ring[]): boolean {
  const [outer, ...holes] = rings;
  if (!outer || !inRing(point, outer)) return false;
  return !holes.some((hole) => inRing(point, hole) && !onRingBorder(point, hole));
}

function onRingBorder(point: LatLng, ring: readonly Position[]): boolean {
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (onSegment(point.lng, point.lat, xi, yi, xj, yj)) return true;
  }
  return false;
}

export function inGeometry(point: LatLng, geometry: ZoneGeometry): boolean {
  return geometry.type === 'Polygon'
    ? inPolygon(point, geometry.coordinates)
    : geometry.coordinates.some((polygon) => inPolygon(point, polygon));
}

/**
 * What makes a ring usable: at least four positions, closed (the last equals
 * the first, as RFC 7946 requires), every position a finite longitude and
 * latitude in range. Returns the problem in words, or null.
 */
export function ringProblem(ring: readonly Position[]): string | null {
  if (ring.length < 4) return 'a ring needs at least four positions (a triangle, closed)';
  for (const p of ring) {
    if (p.length < 2 || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) return 'every position is [longitude, latitude]';
    if (Math.abs(p[0]) > 180 || Math.abs(p[1]) > 90) return 'a position is out of range (longitude ±180, latitude ±90)';
  }
  const [first, last] = [ring[0]!, ring[ring.length - 1]!];
  if (first[0] !== last[0] || first[1] !== last[1]) return 'a ring must be closed: its last position equals its first';
  return null;
}
