import { describe, expect, it } from 'vitest';
import { DEFAULT_CELL_KM, neighbourShards, parseShardKey, shardFor, shardsOfCity, shardStub, type CityGeometry } from '../../domain/shard-keys';

const PARIS: CityGeometry = { id: 'cty_0paris0000000000000', center: { lat: 48.8566, lng: 2.3522 }, serviceRadiusKm: 12 };
const M_LNG = 111_195 * Math.cos((PARIS.center.lat * Math.PI) / 180);
const at = (northM: number, eastM: number) => ({ lat: PARIS.center.lat + northM / 111_195, lng: PARIS.center.lng + eastM / M_LNG });

describe('shard keys', () => {
  it('puts a city that fits in one cell in one shard, whatever the position', () => {
    const home = shardFor(PARIS, PARIS.center);
    expect(home.key).toBe('cty_0paris0000000000000:0:0@48.8566,2.3522');
    expect(shardFor(PARIS, at(11_000, -11_000)).key).toBe(home.key);
    expect(shardFor(PARIS, null).key).toBe(home.key);
    expect(shardsOfCity(PARIS).map((s) => s.key)).toEqual([home.key]);
  });

  it('splits a dense city into cells of the given size and finds the shard of any position', () => {
    const a = shardFor(PARIS, at(0, 0), 10);
    const b = shardFor(PARIS, at(0, 6_000), 10);
    const c = shardFor(PARIS, at(-6_000, 0), 10);
    expect([a.row, a.col, b.row, b.col, c.row, c.col]).toEqual([0, 0, 0, 1, -1, 0]);
    expect(b.key).toMatch(/^cty_0paris0000000000000:0:1@48\.8566,2\.48\d*#10$/);
    // 12 km around the centre with 10 km cells: the 3 × 3 block around it (corners are within 12 km).
    expect(shardsOfCity(PARIS, 10)).toHaveLength(9);
    // The geometry may carry its cell size (tests split a city so), read by every function.
    const split = { ...PARIS, cellKm: 10 };
    expect(shardFor(split, at(0, 6_000)).key).toBe(b.key);
    expect(shardsOfCity(split).map((s) => s.key)).toEqual(shardsOfCity(PARIS, 10).map((s) => s.key));
  });

  it('names the neighbouring shards an order near a border can draw drivers from', () => {
    // 4.5 km east of the centre with 10 km cells: 500 m from the border with column 1.
    const nearBorder = at(0, 4_500);
    expect(neighbourShards(PARIS, nearBorder, 3_000, 10).map((s) => [s.row, s.col])).toEqual([[0, 1]]);
    // Near a corner, three neighbours, the nearest cell first (400 m north, 500 m east, then the diagonal).
    expect(neighbourShards(PARIS, at(4_600, 4_500), 3_000, 10).map((s) => [s.row, s.col])).toEqual([[1, 0], [0, 1], [1, 1]]);
    // Deep inside a cell, none.
    expect(neighbourShards(PARIS, at(0, 0), 3_000, 10)).toEqual([]);
    expect(neighbourShards(PARIS, at(0, 0), 3_000)).toEqual([]);
  });

  it('reads a key back, so a shard knows its origin from its own name', () => {
    const s = shardFor(PARIS, at(0, 6_000), 10);
    expect(parseShardKey(s.key)).toEqual(s);
    expect(parseShardKey(shardFor(PARIS, null).key)).toMatchObject({ cellKm: DEFAULT_CELL_KM, center: PARIS.center, row: 0, col: 0 });
    expect(parseShardKey('readiness-probe')).toBeNull();
    expect(parseShardKey('cty_x:0:0')).toBeNull();
  });

  it('builds the stub from the key, in one place', () => {
    const names: string[] = [];
    const stub = shardStub({ CITY_SHARD: { getByName: (n: string) => (names.push(n), { n }) } }, shardFor(PARIS, null));
    expect(stub).toEqual({ n: shardFor(PARIS, null).key });
    expect(names).toEqual([shardFor(PARIS, null).key]);
  });
});
