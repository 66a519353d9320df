/**
 * Helpers for the CityShard tests in workerd: unique shard keys (through
 * domain/shard-keys.ts), WebSocket clients that queue what they receive, and
 * a hand on the object's clock and event sink.
 */
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { expect } from 'vitest';
import { newId } from '../../db/ids';
import type { TestCityShard } from '../support/test-city-shard';
import { substituteOrderCommands, type AssignmentRequest, type OrderCommandsPort, type ReleaseRequest } from '../../durable-objects/city-shard/assignment-commits';
import type { ShardEvent } from '../../durable-objects/city-shard/events';
import { shardFor, type CityGeometry } from '../../domain/shard-keys';

export const CENTER = { lat: 48.8566, lng: 2.3522 };
const M_LNG = 111_195 * Math.cos((CENTER.lat * Math.PI) / 180);
/** A point `m` metres east of the centre. */
export const east = (m: number) => ({ lat: CENTER.lat, lng: CENTER.lng + m / M_LNG });

/**
 * The shard alone: its test orders and drivers are not in Postgres, so the
 * orders domain's commit of an assignment (ADR 0075) is answered here, as it
 * would be for an open order. Tests that need a refusal or a failure set their own.
 */
export const committed: AssignmentRequest[] = [];
/** Releases of silent drivers the shard asked for (ADR 0079). */
export const releases: ReleaseRequest[] = [];
export const acceptingOrders: OrderCommandsPort = {
  async commitAssignment(request) {
    committed.push(request);
    return { kind: 'assigned', reason: null };
  },
  async releaseAssignment(request) {
    releases.push(request);
    return { kind: 'released', reason: null };
  },
};

/** A fresh city (its own shard): object names are unique per test. Its orders are the shard's alone (see above). */
export function freshShard() {
  substituteOrderCommands(acceptingOrders);
  const city: CityGeometry = { id: newId('cty'), center: CENTER, serviceRadiusKm: 12 };
  const key = shardFor(city, null).key;
  return { city, key, stub: env.CITY_SHARD.getByName(key) };
}

export type Stub = ReturnType<typeof freshShard>['stub'];

export interface Message {
  type: string;
  [field: string]: unknown;
}

export class Client {
  readonly received: Message[] = [];
  private cursor = 0;
  private wake: (() => void) | null = null;
  readonly closed: Promise<{ code: number; reason: string }>;
  /** When the close arrived (Date.now()), so a test can time it however late it looks. */
  closedAt: number | null = null;

  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener('message', (e) => {
      this.received.push(JSON.parse(e.data as string) as Message);
      this.wake?.();
    });
    this.closed = new Promise((resolve) =>
      ws.addEventListener('close', (e) => {
        this.closedAt = Date.now();
        resolve({ code: e.code, reason: e.reason });
      }),
    );
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The next message (of a type, when given) not consumed yet; earlier ones of other types are skipped. */
  async next(type?: string, timeoutMs = 3_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.received.length) {
        const m = this.received[this.cursor++]!;
        if (!type || m.type === type) return m;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no '${type ?? 'any'}' message within ${timeoutMs} ms; got ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** The next message of a type that also satisfies `match` (others of that type are skipped). */
  async nextWhere(type: string, match: (m: Message) => boolean, timeoutMs = 3_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await this.next(type, Math.max(1, deadline - Date.now()));
      if (match(m)) return m;
    }
  }

  /** Every message of a type received so far. */
  all(type: string): Message[] {
    return this.received.filter((m) => m.type === type);
  }

  close(code = 1000): void {
    this.ws.close(code, 'bye');
  }
}

async function upgrade(stub: Stub, headers: Record<string, string>): Promise<Client> {
  const res = await stub.fetch('http://shard/live', { headers: { Upgrade: 'websocket', ...headers } });
  expect(res.status).toBe(101);
  return new Client(res.webSocket!);
}

export const connectDriver = (stub: Stub, driverId: string, vehicle = 'scooter') =>
  upgrade(stub, { 'X-Shard-Role': 'driver', 'X-Driver-Id': driverId, 'X-Driver-Vehicle': vehicle });

export const watchOrder = (stub: Stub, orderId: string) => upgrade(stub, { 'X-Shard-Role': 'watcher', 'X-Watch-Order': orderId });

/** A driver connected, available and placed `m` metres east of the centre. */
export async function onlineDriver(stub: Stub, driverId: string, m: number, vehicle = 'scooter'): Promise<Client> {
  const c = await connectDriver(stub, driverId, vehicle);
  await c.next('session');
  c.send({ type: 'availability', available: true });
  await c.next('session');
  c.send({ type: 'location', ...east(m), at: new Date().toISOString() });
  // The location has no answer: wait until the shard holds it.
  await expect.poll(async () => (await stub.driverState(driverId))?.position !== null, { timeout: 2_000 }).toBe(true);
  return c;
}

/** Moves the object's clock (until its next eviction). */
export const shiftClock = (stub: Stub, ms: number) =>
  runInDurableObject(stub, (instance: TestCityShard) => {
    instance.setClock(() => Date.now() + ms);
  });

/** Records what the shard publishes for Postgres (until its next eviction). */
export async function recordEvents(stub: Stub): Promise<ShardEvent[]> {
  const events: ShardEvent[] = [];
  await runInDurableObject(stub, (instance: TestCityShard) => {
    instance.setEventSink({ publish: async (batch) => void events.push(...batch) });
  });
  return events;
}

export const order = (orderId: string, pickupM = 0) => ({ orderId, pickup: east(pickupM), dropoff: east(pickupM + 2_000), payoutCents: 650 });
