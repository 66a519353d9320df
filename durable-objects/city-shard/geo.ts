/**
 * Small geodesy for one city: great-circle distance for what is reported, and
 * a local equirectangular projection (metres around an origin) for the index,
 * whose error stays under 0.1 % across a 40 km shard.
 */
export interface LatLng {
  lat: number;
  lng: number;
}

const EARTH_RADIUS_M = 6_371_008.8;
const RAD = Math.PI / 180;

/** Great-circle distance in metres (haversine). */
export function haversineM(aLat: number, aLng: number, bLat: number, bLng: number): number {
  const dLat = (bLat - aLat) * RAD;
  const dLng = (bLng - aLng) * RAD;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(aLat * RAD) * Math.cos(bLat * RAD) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(s)));
}

export const distanceM = (a: LatLng, b: LatLng): number => haversineM(a.lat, a.lng, b.lat, b.lng);

/** Metres per degree around an origin latitude: x grows east, y north. */
export interface Projection {
  originLat: number;
  originLng: number;
  mPerDegLat: number;
  mPerDegLng: number;
}

export function projectionAt(origin: LatLng): Projection {
  const mPerDegLat = EARTH_RADIUS_M * RAD;
  return { originLat: origin.lat, originLng: origin.lng, mPerDegLat, mPerDegLng: mPerDegLat * Math.cos(origin.lat * RAD) };
}

export const projectX = (p: Projection, lng: number): number => (lng - p.originLng) * p.mPerDegLng;
export const projectY = (p: Projection, lat: number): number => (lat - p.originLat) * p.mPerDegLat;
