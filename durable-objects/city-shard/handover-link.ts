/**
 * The adapter side of driver handover (ADR 0122; the decisions are pure, in
 * handover.ts). The old shard:
 *
 * 1. in one SQLite transaction removes the driver and records the package as
 *    an intent (`shard_meta` 'handovers'), so an eviction between here and
 *    the answer loses nothing: the next instance sends it again;
 * 2. calls the target's `acceptHandover` (idempotent; the target keeps the
 *    newer of what it has and what it gets);
 * 3. on the answer drops the intent and closes the driver's socket with
 *    4002: the app reconnects at once with its latest fix, which the Worker
 *    routes to the target; fixes the old socket carried after step 1 are
 *    dropped here and sent again after the reconnect (the location outbox
 *    keeps what a socket took for 30 s, domain/live/location-outbox.ts).
 *
 * A call that fails puts the driver back here, as it was. An intent left by
 * an instance evicted before the answer is sent again when the next instance
 * starts (`resumePending`); the target keeps the newer state, so a repeat
 * changes nothing.
 */
import type { CityGeometry } from '../../domain/shard-keys';
import { log } from '../../domain/log';
import { adoptDriver, decideHandover, releaseDriver, type HandoverPackage } from './handover';
import type { DriverLive, Job, ShardState } from './model';
import type { ShardRepository } from './storage';

/** Close code and reason of a socket whose driver now belongs to another shard. */
export const HANDOVER_CLOSE = { code: 4002, reason: 'moved to another shard: reconnect' } as const;
/** Frames of a driver that left are dropped this long after it left (its socket is closing). */
const LEFT_FOR_MS = 60_000;

export interface HandoverPeer {
  acceptHandover(pkg: HandoverPackage): Promise<{ adopted: boolean }>;
}

export interface HandoverHost {
  state(): ShardState;
  /** A function: the adapter builds its repository after its fields. */
  repo(): Pick<ShardRepository, 'getMeta' | 'setMeta' | 'saveJob' | 'deleteDriver'>;
  transaction(fn: () => void): void;
  clock(): number;
  peer(shardKey: string): HandoverPeer;
  /** Closes the driver's sockets on this shard (HANDOVER_CLOSE). */
  closeDriver(driverId: string): void;
  /** The same driver placed by the shard's own transition (index, unassigned orders nearby, save). */
  upserted(d: DriverLive): void;
}

interface Intent {
  target: string;
  pkg: HandoverPackage;
  sentAt: number;
}

const CITY_META = 'city';
const INTENTS_META = 'handovers';

export class DriverHandover {
  private city: CityGeometry | null | undefined;
  private readonly left = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private resumed = false;
  /** Handovers done since this instance booted, for stats and tests. */
  readonly counts = { out: 0, in: 0, deferred: 0, failed: 0 };

  constructor(private readonly host: HandoverHost) {}

  /** The Worker passes the city's geometry with each driver's upgrade; kept for the shard's own routing. */
  learnCity(header: string | null): void {
    if (!header) return;
    if (this.cityOf() !== null && JSON.stringify(this.city) === header) return;
    try {
      this.city = JSON.parse(header) as CityGeometry;
      this.host.repo().setMeta(CITY_META, header);
    } catch {
      log.warn('handover: unreadable city header', { shard: this.host.state().shardKey });
    }
  }

  private cityOf(): CityGeometry | null {
    if (this.city === undefined) {
      const raw = this.host.repo().getMeta(CITY_META);
      this.city = raw ? (JSON.parse(raw) as CityGeometry) : null;
    }
    return this.city;
  }

  /** A frame of this driver arrived on an old socket after it left: drop it (the app sends it again after reconnecting). */
  hasLeft(driverId: string): boolean {
    const until = this.left.get(driverId);
    if (until === undefined) return false;
    if (until > this.host.clock()) return true;
    this.left.delete(driverId);
    return false;
  }

  /** The driver reconnected here (the Worker routed it back): it is ours again. */
  reconnected(driverId: string): void {
    this.left.delete(driverId);
  }

  /** After a driver's frame was applied: hands the driver over when its fix left this shard's cell. */
  after(driverId: string): Promise<unknown> | null {
    if (!this.resumed) {
      // The first frame after a wake-up sends what an evicted instance left unanswered.
      this.resumed = true;
      const pending = this.resumePending();
      if (pending.length > 0) return Promise.all(pending);
    }
    if (this.inFlight.has(driverId)) return null;
    const state = this.host.state();
    const d = state.drivers.get(driverId);
    if (!d) return null;
    const decision = decideHandover(state, this.cityOf(), d);
    if (decision.kind === 'stay') return null;
    if (decision.kind === 'defer') {
      this.counts.deferred++;
      return null;
    }
    const { target, pkg } = decision;
    const intents = this.intents();
    intents[pkg.driverId] = { target, pkg, sentAt: this.host.clock() };
    let job: Job | null = null;
    this.host.transaction(() => {
      job = releaseDriver(state, pkg, target);
      this.host.repo().deleteDriver(pkg.driverId);
      if (job) this.host.repo().saveJob(job);
      this.host.repo().setMeta(INTENTS_META, JSON.stringify(intents));
    });
    this.left.set(pkg.driverId, this.host.clock() + LEFT_FOR_MS);
    return this.send(pkg.driverId, intents[pkg.driverId]!);
  }

  /**
   * Intents an earlier instance did not see answered (it was evicted between
   * removing the driver and the answer): sent again when this instance starts.
   */
  resumePending(): Promise<void>[] {
    return Object.entries(this.intents())
      .filter(([id]) => !this.inFlight.has(id))
      .map(([id, i]) => this.send(id, i));
  }

  private async send(driverId: string, intent: Intent): Promise<void> {
    this.inFlight.add(driverId);
    try {
      const { adopted } = await this.host.peer(intent.target).acceptHandover(intent.pkg);
      this.settle(driverId);
      this.counts.out++;
      if (!adopted) log.info('handover: target already had a newer state', { driverId, target: intent.target });
      this.host.closeDriver(driverId);
    } catch (error) {
      // The target refused or never saw it: the driver stays here. (Had the target
      // adopted it and only the answer been lost, the next fix outside this cell
      // hands it over again and the target keeps the newer state.)
      this.counts.failed++;
      log.warn('handover: call failed, the driver stays', { driverId, target: intent.target, error });
      this.undo(driverId, intent);
    } finally {
      this.inFlight.delete(driverId);
    }
  }

  /** The call failed: the driver is this shard's again, as it was. */
  private undo(driverId: string, intent: Intent): void {
    const intents = this.intents();
    delete intents[driverId];
    this.left.delete(driverId);
    const { driver, job, changed } = adoptDriver(this.host.state(), intent.pkg, this.host.clock());
    this.host.transaction(() => {
      if (job) this.host.repo().saveJob(job);
      this.host.repo().setMeta(INTENTS_META, JSON.stringify(intents));
    });
    if (changed) this.host.upserted(driver);
  }

  private settle(driverId: string): void {
    const intents = this.intents();
    delete intents[driverId];
    this.host.repo().setMeta(INTENTS_META, JSON.stringify(intents));
  }

  private intents(): Record<string, Intent> {
    const raw = this.host.repo().getMeta(INTENTS_META);
    return raw ? (JSON.parse(raw) as Record<string, Intent>) : {};
  }

  /** The target side: adopts the driver (idempotent), saved in one transaction. */
  accept(pkg: HandoverPackage): { adopted: boolean } {
    const state = this.host.state();
    this.left.delete(pkg.driverId);
    const { driver, job, changed } = adoptDriver(state, pkg, this.host.clock());
    if (!changed) return { adopted: false };
    if (job) this.host.transaction(() => this.host.repo().saveJob(job));
    this.counts.in++;
    // Saved (presence, position, order) by the shard's own transition, which also offers it orders waiting nearby.
    this.host.upserted(driver);
    return { adopted: true };
  }
}
