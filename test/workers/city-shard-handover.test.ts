/**
 * Driver handover across a split city (ADR 0122), in workerd: simulated
 * drivers connect as the Worker routes them (the shard of their position,
 * the city's geometry in the upgrade), ride east across the border between
 * two 8 km cells, and behave as the driver app does on a 4002 close: reconnect
 * at once to the shard of their latest fix and send again what the old socket
 * took since it opened (domain/live/location-outbox.ts keeps it 30 s). After
 * the ride every driver is in exactly one shard — the one whose cell holds
 * its last fix — with that fix and the availability it had, never re-sent.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { newId } from '../../db/ids';
import { shardFor, type CityGeometry, type LatLng } from '../../domain/shard-keys';
import { CENTER, Client, east } from './city-shard-helpers';

const CELL_KM = 8;
/** Enough drivers that one shard would hold a busy city's share; each rides 3.0 → 5.5 km east. */
const DRIVERS = 40;
const STEP_M = 100;
const FIXES = 26;
const HANDOVER_CLOSE = 4002;

interface Fix {
  lat: number;
  lng: number;
  at: string;
}

class SimDriver {
  private client: Client | null = null;
  private shardKey = '';
  readonly sent: Fix[] = [];
  private sinceConnect: Fix[] = [];
  reconnects = 0;
  readonly rejected: unknown[] = [];

  constructor(readonly id: string, private readonly city: CityGeometry) {}

  get shard(): string {
    return this.shardKey;
  }

  async connect(at: LatLng): Promise<void> {
    this.shardKey = shardFor(this.city, at).key;
    const res = await env.CITY_SHARD.getByName(this.shardKey).fetch('http://shard/live', {
      headers: { Upgrade: 'websocket', 'X-Shard-Role': 'driver', 'X-Driver-Id': this.id, 'X-Driver-Vehicle': 'scooter', 'X-Shard-City': JSON.stringify(this.city) },
    });
    expect(res.status).toBe(101);
    const client = new Client(res.webSocket!);
    this.client = client;
    this.sinceConnect = [];
    await client.next('session');
    void client.closed.then(({ code }) => {
      if (code === HANDOVER_CLOSE && this.client === client) void this.reconnect();
    });
  }

  private reconnecting: Promise<void> | null = null;

  /** What the app does on 4002: reconnect with its latest fix, send again what the old socket took. */
  private reconnect(): Promise<void> {
    this.reconnecting ??= (async () => {
      const resend = this.sinceConnect;
      this.reconnects++;
      await this.connect(this.sent.at(-1)!);
      if (resend.length > 0) this.frame(resend);
      this.reconnecting = null;
    })();
    return this.reconnecting;
  }

  private frame(points: Fix[]): void {
    this.sinceConnect.push(...points);
    try {
      this.client!.send({ type: 'locations', points });
    } catch {
      // The socket is closing: the reconnect sends these again.
    }
  }

  goOnline(): void {
    this.client!.send({ type: 'availability', available: true });
  }

  async fix(p: Fix): Promise<void> {
    await this.reconnecting;
    this.sent.push(p);
    this.frame([p]);
  }

  async settled(): Promise<void> {
    await this.reconnecting;
    for (const m of this.client?.all('location.rejected') ?? []) this.rejected.push(m);
  }
}

const driverState = (key: string, driverId: string) => env.CITY_SHARD.getByName(key).driverState(driverId);

describe('driver handover across shards (ADR 0122)', () => {
  it(`${DRIVERS} drivers crossing a border: no fix lost, each in exactly one shard, availability carried`, { timeout: 60_000 }, async () => {
    const city: CityGeometry = { id: newId('cty'), center: CENTER, serviceRadiusKm: 12, cellKm: CELL_KM };
    const west = shardFor(city, east(0)).key;
    const eastKey = shardFor(city, east(8_000)).key;
    expect(west).not.toBe(eastKey);
    const base = Date.now() - 600_000;
    const drivers = Array.from({ length: DRIVERS }, () => new SimDriver(newId('drv'), city));
    const pathOf = (i: number) =>
      Array.from({ length: FIXES }, (_, k): Fix => {
        // Each driver a little north of the last, all riding east 100 m per 10 s of device time.
        const p = east(3_000 + k * STEP_M);
        return { lat: p.lat + i * 0.0005, lng: p.lng, at: new Date(base + k * 10_000 + i).toISOString() };
      });

    await Promise.all(drivers.map((d, i) => d.connect(pathOf(i)[0]!)));
    for (const d of drivers) d.goOnline();
    expect(new Set(drivers.map((d) => d.shard))).toEqual(new Set([west]));

    for (let k = 0; k < FIXES; k++) await Promise.all(drivers.map((d, i) => d.fix(pathOf(i)[k]!)));
    await Promise.all(drivers.map((d) => d.settled()));

    for (const [i, d] of drivers.entries()) {
      const last = pathOf(i).at(-1)!;
      await expect
        .poll(async () => (await driverState(eastKey, d.id))?.position?.at, { timeout: 5_000 })
        .toBe(Date.parse(last.at));
      const [there, here] = await Promise.all([driverState(eastKey, d.id), driverState(west, d.id)]);
      expect(here, `${d.id} still in the west shard`).toBeNull();
      expect(there).toMatchObject({ available: true, connected: true, orderId: null, position: { lat: last.lat, lng: last.lng } });
      expect(d.reconnects).toBe(1);
      expect(d.rejected).toEqual([]);
      expect(d.shard).toBe(eastKey);
    }
    const [w, e] = await Promise.all([env.CITY_SHARD.getByName(west).stats(), env.CITY_SHARD.getByName(eastKey).stats()]);
    expect(w.drivers).toBe(0);
    expect(e.drivers).toBe(DRIVERS);
    // Every fix reached a shard at least once (a dropped one was sent again after the reconnect).
    expect(w.ingest.points + e.ingest.points).toBeGreaterThanOrEqual(DRIVERS * FIXES);
  });
});
