/**
 * The shard's sockets: tags, attachments and the small acts done on them.
 * Attachments are small and versioned (ids only: the state lives in SQLite).
 */
import type { Vehicle } from './matching';
import { PROTOCOL_VERSION } from '../../domain/protocol/city-shard';

export type Attachment =
  /** `userId`/`sid`: the session that opened the channel; its end closes it (ADR 0082). Absent on sockets opened before. */
  | { v: 1; role: 'driver'; driverId: string; vehicle: Vehicle; userId?: string; sid?: string }
  | { v: 1; role: 'watcher'; orderId: string };

export const driverTag = (driverId: string) => `driver:${driverId}`;
export const orderTag = (orderId: string) => `order:${orderId}`;

export function attachmentOf(ws: WebSocket): Attachment | null {
  try {
    const a = ws.deserializeAttachment() as Attachment | null;
    return a && a.v === PROTOCOL_VERSION ? a : null;
  } catch {
    return null;
  }
}

export function sendError(ws: WebSocket, code: string, detail: string): void {
  try {
    ws.send(JSON.stringify({ type: 'error', code, detail }));
  } catch {
    // The socket is gone.
  }
}

/**
 * The shard's sockets by driver and by order, kept in memory so the hot path
 * never asks the runtime for them (`getWebSockets(tag)` builds a new array of
 * every matching socket on each call). Rebuilt from `getWebSockets()` when the
 * object wakes; attachments are read once per socket.
 */
export class SocketRegistry {
  private readonly attachments = new WeakMap<WebSocket, Attachment>();
  private readonly drivers = new Map<string, Set<WebSocket>>();
  private readonly watchers = new Map<string, Set<WebSocket>>();
  private watcherCount = 0;
  private driverCount = 0;

  constructor(all: Iterable<WebSocket>) {
    for (const ws of all) {
      const a = attachmentOf(ws);
      if (a) this.add(ws, a);
    }
  }

  add(ws: WebSocket, a: Attachment): void {
    this.attachments.set(ws, a);
    const [map, key] = a.role === 'driver' ? [this.drivers, a.driverId] : [this.watchers, a.orderId];
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    if (set.has(ws)) return;
    set.add(ws);
    if (a.role === 'driver') this.driverCount++;
    else this.watcherCount++;
  }

  remove(ws: WebSocket): Attachment | null {
    const a = this.attachment(ws);
    if (!a) return null;
    const [map, key] = a.role === 'driver' ? [this.drivers, a.driverId] : [this.watchers, a.orderId];
    const set = map.get(key);
    if (set?.delete(ws)) {
      if (a.role === 'driver') this.driverCount--;
      else this.watcherCount--;
      if (set.size === 0) map.delete(key);
    }
    return a;
  }

  attachment(ws: WebSocket): Attachment | null {
    return this.attachments.get(ws) ?? attachmentOf(ws);
  }

  ofDriver(driverId: string): ReadonlySet<WebSocket> {
    return this.drivers.get(driverId) ?? EMPTY;
  }

  ofOrder(orderId: string): ReadonlySet<WebSocket> {
    return this.watchers.get(orderId) ?? EMPTY;
  }

  connectedDrivers(): Set<string> {
    return new Set(this.drivers.keys());
  }

  get counts(): { drivers: number; watchers: number } {
    return { drivers: this.driverCount, watchers: this.watcherCount };
  }
}

const EMPTY: ReadonlySet<WebSocket> = new Set();
