/**
 * The CityShard the workerd suites run (test/support/worker-entry.ts exports
 * it under the production name): the production class plus the seams tests
 * turn (ADR 0115). Production code never sees these setters or RPCs.
 */
import { env } from 'cloudflare:workers';
import { CityShard } from '../../durable-objects/city-shard/CityShard';
import type { EventSink } from '../../durable-objects/city-shard/events';
import type { PeerShard } from '../../durable-objects/city-shard/link';
import type { TimerRow } from '../../durable-objects/city-shard/storage';
import type { FrameGuard } from '../../durable-objects/socket-limits';

export class TestCityShard extends CityShard {
  /** Moves the shard's clock (inside runInDurableObject; until the next eviction). */
  setClock(clock: () => number): void {
    this.clock = clock;
  }

  get sink(): EventSink {
    return this.eventSink;
  }

  /** Replaces where dispatch events go (a recorder). */
  setEventSink(sink: EventSink): void {
    this.eventSink = sink;
  }

  /** Wraps how this shard reaches another one (the real way is passed in). */
  wrapPeer(wrap: (real: (shardKey: string) => PeerShard) => (shardKey: string) => PeerShard): void {
    this.peer = wrap(this.peer);
  }

  /** Replaces the size and rate guard of client frames (the soak test lifts it). */
  setFrameGuard(guard: FrameGuard): void {
    this.frameGuard = guard;
  }

  /** RPC: puts a logical timer in SQLite and arms the one alarm for it. */
  async schedule(timer: TimerRow): Promise<void> {
    this.repo.putTimer(timer);
    await this.armAlarm(timer.fireAt);
  }

  /** RPC: the timers the alarm completed. */
  firedTimerIds(): string[] {
    return this.repo.firedTimerIds();
  }
}

/** The CITY_SHARD binding as the suites see it: its objects are TestCityShards (worker-entry.ts). */
export const testShards = (): DurableObjectNamespace<TestCityShard> => env.CITY_SHARD as unknown as DurableObjectNamespace<TestCityShard>;
