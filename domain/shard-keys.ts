/**
 * The only place a city shard key (the CityShard Durable Object's name) is
 * built. A key is a function of the position: the city, plus a coarse cell
 * of a grid anchored on the city's centre. By default a cell is 40 km wide,
 * so a city is one shard; a dense city gets a smaller cell and splits into
 * several. Keys are self-describing — `<cityId>:<row>:<col>@<lat>,<lng>` with
 * the cell's centre — so a shard knows its origin from its own name, even on
 * its very first request. See docs/decisions/0031-shard-key.md.
 *
 * Pure module: no runtime imports (the Durable Object parses its own key).
 */
export interface LatLng {
  lat: number;
  lng: number;
}

export interface CityGeometry {
  id: string;
  center: LatLng;
  /** Radius the city serves (its cells cover at least this). */
  serviceRadiusKm: number;
  /**
   * Width of the city's cells in km (Postgres `cities.cell_km`); absent: one
   * 40 km cell, so the city is one shard.
   */
  cellKm?: number;
}

export interface ShardAddress {
  key: string;
  cityId: string;
  row: number;
  col: number;
  /** Centre of the shard's cell: the origin of its spatial index. */
  center: LatLng;
  cellKm: number;
}

export const DEFAULT_CELL_KM = 40;
const M_PER_DEG_LAT = 111_195;
const KEY_PATTERN = /^([a-z]{3}_[0-9a-z]+):(-?\d+):(-?\d+)@(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)(?:#(\d+(?:\.\d+)?))?$/;

const mPerDegLng = (lat: number) => M_PER_DEG_LAT * Math.cos((lat * Math.PI) / 180);
const round5 = (v: number) => Math.round(v * 1e5) / 1e5;

/**
 * The one place a city's cell size is read: its own (`cities.cell_km`, set to
 * split a busy city — it moves live state, so by the runbook's procedure,
 * never by an API), else one cell.
 */
export const cellKmOf = (city: Pick<CityGeometry, 'cellKm'>): number => city.cellKm ?? DEFAULT_CELL_KM;

/** A city row's geometry (`cities`: id, centre, service radius, `cell_km`); a split city carries its cell size, so every key follows it. */
export function cityGeometry(row: { id: string; lat: number; lng: number; radius: number; cellKm: number | null }): CityGeometry {
  return { id: row.id, center: { lat: row.lat, lng: row.lng }, serviceRadiusKm: row.radius, ...(row.cellKm === null ? {} : { cellKm: row.cellKm }) };
}

function address(city: CityGeometry, row: number, col: number, cellKm: number): ShardAddress {
  const cellM = cellKm * 1000;
  const center = {
    lat: round5(city.center.lat + (row * cellM) / M_PER_DEG_LAT),
    lng: round5(city.center.lng + (col * cellM) / mPerDegLng(city.center.lat)),
  };
  const suffix = cellKm === DEFAULT_CELL_KM ? '' : `#${cellKm}`;
  return { key: `${city.id}:${row}:${col}@${center.lat},${center.lng}${suffix}`, cityId: city.id, row, col, center, cellKm };
}

function cellOf(city: CityGeometry, p: LatLng, cellKm: number): { row: number; col: number } {
  const cellM = cellKm * 1000;
  const dy = (p.lat - city.center.lat) * M_PER_DEG_LAT;
  const dx = (p.lng - city.center.lng) * mPerDegLng(city.center.lat);
  // Cell (0,0) is centred on the city centre.
  return { row: Math.floor(dy / cellM + 0.5), col: Math.floor(dx / cellM + 0.5) };
}

/** The shard that owns a position of this city (a driver, a pickup). */
export function shardFor(city: CityGeometry, position: LatLng | null, cellKm = cellKmOf(city)): ShardAddress {
  const { row, col } = position ? cellOf(city, position, cellKm) : { row: 0, col: 0 };
  return address(city, row, col, cellKm);
}

/** Distance in metres from a point to the rectangle of a cell (0 inside); driver handover's hysteresis uses it too (ADR 0122). */
export function distanceToCellM(city: CityGeometry, p: LatLng, row: number, col: number, cellKm: number): number {
  const cellM = cellKm * 1000;
  const y = (p.lat - city.center.lat) * M_PER_DEG_LAT;
  const x = (p.lng - city.center.lng) * mPerDegLng(city.center.lat);
  const dx = Math.max((col - 0.5) * cellM - x, 0, x - (col + 0.5) * cellM);
  const dy = Math.max((row - 0.5) * cellM - y, 0, y - (row + 0.5) * cellM);
  return Math.hypot(dx, dy);
}

/**
 * The neighbouring shards whose cells come within `radiusM` of a position,
 * nearest cell first: an order near a border can be served by their drivers
 * too (cross-shard matching, docs/decisions/0060). The home shard is not
 * included; with one cell per city the list is empty.
 */
export function neighbourShards(city: CityGeometry, position: LatLng, radiusM: number, cellKm = cellKmOf(city)): ShardAddress[] {
  const home = cellOf(city, position, cellKm);
  const reach = Math.ceil(radiusM / (cellKm * 1000)) + 1;
  const out: { shard: ShardAddress; distanceM: number }[] = [];
  for (let row = home.row - reach; row <= home.row + reach; row++) {
    for (let col = home.col - reach; col <= home.col + reach; col++) {
      if (row === home.row && col === home.col) continue;
      const distanceM = distanceToCellM(city, position, row, col, cellKm);
      if (distanceM <= radiusM) out.push({ shard: address(city, row, col, cellKm), distanceM });
    }
  }
  // Stable: cells at the same distance keep their row-major order.
  return out.sort((a, b) => a.distanceM - b.distanceM).map((n) => n.shard);
}

/** Every shard whose cell intersects the city's service area (the operators' live view merges them). */
export function shardsOfCity(city: CityGeometry, cellKm = cellKmOf(city)): ShardAddress[] {
  return [shardFor(city, city.center, cellKm), ...neighbourShards(city, city.center, city.serviceRadiusKm * 1000, cellKm)];
}

/** Reads a key back (the Durable Object does, to learn its origin). Null when it is not a shard key. */
export function parseShardKey(key: string): ShardAddress | null {
  const m = KEY_PATTERN.exec(key);
  if (!m) return null;
  return {
    key,
    cityId: m[1]!,
    row: Number(m[2]),
    col: Number(m[3]),
    center: { lat: Number(m[4]), lng: Number(m[5]) },
    cellKm: m[6] ? Number(m[6]) : DEFAULT_CELL_KM,
  };
}

/**
 * The object the readiness probe pings before any city exists: not a shard
 * key (`parseShardKey` refuses it), so it never holds live state.
 */
export const PROBE_SHARD_NAME = 'readiness-probe';

/** The Durable Object stub of a shard (the namespace is `env.CITY_SHARD`). */
export function shardStub<S>(env: { CITY_SHARD: { getByName(name: string): S } }, shard: ShardAddress | string): S {
  return env.CITY_SHARD.getByName(typeof shard === 'string' ? shard : shard.key);
}
