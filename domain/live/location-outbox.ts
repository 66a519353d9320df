/**
 * The driver's position queue: every point goes in, in order; points leave in
 * batches, over the WebSocket while it is open (`locations` frames) and
 * through POST /v1/drivers/me/locations while it is down. Points stay queued
 * (and persisted, in the browser) until one of the two took them, so going
 * through a tunnel loses nothing. Points sent on a socket that then died are
 * kept a little longer and sent again after the reconnect; the shard drops
 * what it already has as duplicates. Pure: no DOM, no timers (the caller
 * flushes), so the simulator and unit tests use the very same logic.
 * See docs/decisions/0052.
 */
import { MAX_POINTS_PER_BATCH, type LocationPoint } from '../protocol/city-shard';

export type { LocationPoint };

export interface PointStore {
  load(): LocationPoint[];
  save(points: LocationPoint[]): void;
}

export class MemoryPointStore implements PointStore {
  private points: LocationPoint[] = [];
  load(): LocationPoint[] {
    return [...this.points];
  }
  save(points: LocationPoint[]): void {
    this.points = [...points];
  }
}

/** What a failed upload means for the batch. */
export type UploadOutcome = 'sent' | 'retry' | 'drop';

export interface OutboxTransport {
  /** Sends one frame on the open socket; false when the socket is not open. */
  sendFrame(points: LocationPoint[]): boolean;
  /** Uploads one batch over HTTP. */
  postBatch(points: LocationPoint[]): Promise<UploadOutcome>;
}

export interface OutboxOptions {
  /** Oldest points are dropped past this many (about 7 h at one point per 5 s). */
  maxQueued?: number;
  /** How long points sent on the socket are kept for a resend after a reconnect. */
  resendWindowMs?: number;
  now?: () => number;
}

export interface FlushResult {
  viaSocket: number;
  viaHttp: number;
  dropped: number;
  pending: number;
}

export class LocationOutbox {
  private queue: LocationPoint[];
  private recent: { at: number; point: LocationPoint }[] = [];
  private flushing: Promise<FlushResult> | null = null;
  private lastAt: string | null = null;
  /** Points thrown away because the queue was full or the server refused them for good. */
  droppedTotal = 0;
  private readonly maxQueued: number;
  private readonly resendWindowMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: PointStore,
    private readonly transport: OutboxTransport,
    options: OutboxOptions = {},
  ) {
    this.maxQueued = options.maxQueued ?? 5_000;
    this.resendWindowMs = options.resendWindowMs ?? 30_000;
    this.now = options.now ?? (() => Date.now());
    this.queue = store.load();
    this.lastAt = this.queue.at(-1)?.at ?? null;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Queues a point; a point not newer than the last one is ignored (the shard would refuse it). */
  add(point: LocationPoint): boolean {
    if (this.lastAt !== null && Date.parse(point.at) <= Date.parse(this.lastAt)) return false;
    this.lastAt = point.at;
    this.queue.push(point);
    if (this.queue.length > this.maxQueued) {
      const excess = this.queue.length - this.maxQueued;
      this.queue.splice(0, excess);
      this.droppedTotal += excess;
    }
    this.store.save(this.queue);
    return true;
  }

  /**
   * The socket came back: what was sent on the old one in the last moments may
   * never have arrived, so it goes out again ahead of the queue.
   */
  socketReconnected(): void {
    const cutoff = this.now() - this.resendWindowMs;
    const resend = this.recent.filter((r) => r.at >= cutoff).map((r) => r.point);
    this.recent = [];
    if (resend.length === 0) return;
    const queued = new Set(this.queue.map((p) => p.at));
    this.queue = [...resend.filter((p) => !queued.has(p.at)), ...this.queue];
    this.store.save(this.queue);
  }

  /** Sends what is queued; concurrent calls share one flush, so order is kept. */
  flush(): Promise<FlushResult> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async drain(): Promise<FlushResult> {
    const result: FlushResult = { viaSocket: 0, viaHttp: 0, dropped: 0, pending: 0 };
    const cutoff = this.now() - this.resendWindowMs;
    this.recent = this.recent.filter((r) => r.at >= cutoff);
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, MAX_POINTS_PER_BATCH);
      if (this.transport.sendFrame(batch)) {
        const at = this.now();
        for (const point of batch) this.recent.push({ at, point });
        this.takeThrough(batch);
        result.viaSocket += batch.length;
        continue;
      }
      let outcome: UploadOutcome;
      try {
        outcome = await this.transport.postBatch(batch);
      } catch {
        outcome = 'retry';
      }
      if (outcome === 'retry') break;
      // Points that arrived during the upload were appended behind the batch.
      this.takeThrough(batch);
      if (outcome === 'sent') result.viaHttp += batch.length;
      else {
        result.dropped += batch.length;
        this.droppedTotal += batch.length;
      }
    }
    result.pending = this.queue.length;
    return result;
  }

  /** Removes the batch from the front (by time: the queue is ordered, and may have been trimmed meanwhile). */
  private takeThrough(batch: LocationPoint[]): void {
    const last = Date.parse(batch.at(-1)!.at);
    let n = 0;
    while (n < this.queue.length && Date.parse(this.queue[n]!.at) <= last) n++;
    this.queue.splice(0, n);
    this.store.save(this.queue);
  }
}
