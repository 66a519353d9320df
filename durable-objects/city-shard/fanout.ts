/**
 * Fan-out of trip updates to the watchers of an order. Positions and ETAs are
 * coalesced per order (a newer one replaces an unsent one) and serialised
 * once for all of that order's watchers; the shard never awaits a watcher,
 * so a slow one only misses intermediate positions, and never delays the
 * drivers' ingest. Status messages are never coalesced and keep their order.
 */
import type { ServerToWatcher } from '../../domain/protocol/city-shard';

export interface WatcherSocket {
  send(data: string): void;
}

export class WatcherFanout {
  private readonly pending = new Map<string, Map<string, string>>();
  private scheduled = false;
  sent = 0;

  constructor(
    private readonly socketsOf: (orderId: string) => Iterable<WatcherSocket>,
    private readonly schedule: (flush: () => void) => void,
  ) {}

  push(orderId: string, message: ServerToWatcher, coalesce: boolean): void {
    if (!coalesce) {
      // Anything coalesced for this order goes first, so watchers see events in order.
      this.flushOrder(orderId);
      this.deliver(orderId, JSON.stringify(message));
      return;
    }
    let slots = this.pending.get(orderId);
    if (!slots) this.pending.set(orderId, (slots = new Map()));
    slots.set(message.type, JSON.stringify(message));
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    for (const orderId of [...this.pending.keys()]) this.flushOrder(orderId);
  }

  private flushOrder(orderId: string): void {
    const slots = this.pending.get(orderId);
    if (!slots) return;
    this.pending.delete(orderId);
    for (const payload of slots.values()) this.deliver(orderId, payload);
  }

  private deliver(orderId: string, payload: string): void {
    for (const ws of this.socketsOf(orderId)) {
      try {
        ws.send(payload);
        this.sent++;
      } catch {
        // A socket closing under us: its close event cleans up.
      }
    }
  }
}
