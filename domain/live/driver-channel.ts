/**
 * The driver's side of GET (WebSocket) /v1/drivers/me/live: availability,
 * offers and assignments in, positions out. Positions go through the
 * {@link LocationOutbox}, flushed every few seconds as one `locations` frame
 * (or a POST batch while the socket is down). On every (re)connect the shard
 * sends `session` (status, availability, current order), which is how the
 * client resumes: the wanted availability is sent again if the shard's
 * differs. Environment-neutral: the driver app and the simulator both run it.
 */
import {
  CLOSE,
  ServerToDriverSchema,
  type DriverStatus,
  type LocationPoint,
  type OfferMessage,
  type ServerToDriver,
} from '../protocol/city-shard';
import { LiveConnection, type ConnectionState } from './connection';
import { LocationOutbox, MemoryPointStore, type FlushResult, type PointStore, type UploadOutcome } from './location-outbox';

export type { OfferMessage, LocationPoint, DriverStatus };

export interface DriverSessionInfo {
  driverId: string;
  status: DriverStatus;
  available: boolean;
  orderId: string | null;
}

export type DriverEvent =
  | { type: 'state'; state: ConnectionState; attempt: number; closeCode: number | null }
  | { type: 'message'; message: ServerToDriver }
  | { type: 'flushed'; result: FlushResult };

export interface DriverChannelOptions {
  origin: string;
  /** A bearer token for the upgrade (API clients: the simulator). */
  getToken?: () => Promise<string | null>;
  /** The app whose session cookie authenticates the upgrade (the driver app, ADR 0087). */
  getSession?: () => Promise<string | null>;
  /** POST /v1/drivers/me/locations with `{ points }`. */
  uploadBatch: (points: LocationPoint[]) => Promise<UploadOutcome>;
  onEvent: (event: DriverEvent) => void;
  store?: PointStore;
  /** How often queued points leave (one frame per flush). */
  flushEveryMs?: number;
  WebSocket?: unknown;
}

export class DriverChannel {
  readonly outbox: LocationOutbox;
  private connection: LiveConnection | null = null;
  private flushTimer: ReturnType<typeof setInterval> | null = null;
  private wantAvailable = true;
  private lastPoint: LocationPoint | null = null;
  session: DriverSessionInfo | null = null;

  constructor(private readonly options: DriverChannelOptions) {
    this.outbox = new LocationOutbox(options.store ?? new MemoryPointStore(), {
      sendFrame: (points) => this.connection?.send({ type: 'locations', points }) ?? false,
      postBatch: (points) => options.uploadBatch(points),
    });
  }

  get connected(): boolean {
    return this.connection?.isOpen ?? false;
  }

  get active(): boolean {
    return this.connection !== null;
  }

  /** Goes online: opens the channel (and keeps reopening it) and starts flushing positions. */
  connect(available = true): void {
    this.wantAvailable = available;
    if (this.connection) return;
    this.connection = new LiveConnection({
      origin: this.options.origin,
      path: '/v1/drivers/me/live',
      ...(this.options.getToken ? { getToken: this.options.getToken } : {}),
      ...(this.options.getSession ? { getSession: this.options.getSession } : {}),
      // Where the driver is picks the shard of a split city.
      query: () => (this.lastPoint ? { lat: this.lastPoint.lat.toFixed(5), lng: this.lastPoint.lng.toFixed(5) } : {}),
      // Another device of the same driver took over: do not fight it.
      finalCloseCodes: [CLOSE.replaced],
      ...(this.options.WebSocket ? { WebSocket: this.options.WebSocket } : {}),
      onMessage: (data) => this.receive(data),
      onOpen: ({ reconnected }) => {
        if (reconnected) this.outbox.socketReconnected();
        void this.flush();
      },
      onState: (state, info) => this.options.onEvent({ type: 'state', state, attempt: info.attempt, closeCode: info.closeCode }),
    });
    this.flushTimer = setInterval(() => void this.flush(), this.options.flushEveryMs ?? 4_000);
  }

  /**
   * Goes offline: says so to the shard when it can, uploads what is queued
   * (waiting at most `maxWaitMs`; what is left stays queued), then closes.
   */
  async disconnect(maxWaitMs = 5_000): Promise<void> {
    this.wantAvailable = false;
    if (this.flushTimer !== null) clearInterval(this.flushTimer);
    this.flushTimer = null;
    this.connection?.send({ type: 'availability', available: false });
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.flush().catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, maxWaitMs)))]);
    clearTimeout(timer);
    this.connection?.close();
    this.connection = null;
    this.session = null;
  }

  setAvailable(available: boolean): boolean {
    this.wantAvailable = available;
    return this.connection?.send({ type: 'availability', available }) ?? false;
  }

  accept(offerId: string): boolean {
    return this.connection?.send({ type: 'offer.accept', offerId }) ?? false;
  }

  decline(offerId: string, reason?: string): boolean {
    return this.connection?.send({ type: 'offer.decline', offerId, ...(reason ? { reason } : {}) }) ?? false;
  }

  /**
   * Answers an `assignment.ping`: a ping the shard itself reads (with `v`, so
   * the runtime's automatic answer to the bare ping frame does not swallow it).
   */
  stillHere(): boolean {
    return this.connection?.send({ type: 'ping', v: 1 }) ?? false;
  }

  /** Queues a position; it leaves with the next flush. */
  report(point: LocationPoint): boolean {
    this.lastPoint = point;
    return this.outbox.add(point);
  }

  async flush(): Promise<FlushResult> {
    const result = await this.outbox.flush();
    if (result.viaHttp + result.viaSocket + result.dropped > 0) this.options.onEvent({ type: 'flushed', result });
    return result;
  }

  /** Reconnect now (the network came back). */
  reconnect(): void {
    this.connection?.reconnect();
  }

  private receive(data: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(data);
    } catch {
      return;
    }
    const parsed = ServerToDriverSchema.safeParse(raw);
    if (!parsed.success) return;
    const message = parsed.data;
    if (message.type === 'session') {
      this.session = { driverId: message.driverId, status: message.status, available: message.available, orderId: message.orderId };
      if (message.available !== this.wantAvailable) this.connection?.send({ type: 'availability', available: this.wantAvailable });
    } else if (message.type === 'assignment' && this.session) {
      this.session = { ...this.session, orderId: message.orderId, status: 'busy' };
    } else if ((message.type === 'assignment.cancelled' || message.type === 'assignment.released' || message.type === 'assignment.reassigned') && this.session?.orderId === message.orderId) {
      this.session = { ...this.session, orderId: null };
    }
    this.options.onEvent({ type: 'message', message });
  }
}

/** Offer time left in whole seconds. */
export function offerSecondsLeft(offer: OfferMessage, now = Date.now()): number {
  return Math.max(0, Math.ceil((Date.parse(offer.expiresAt) - now) / 1000));
}
