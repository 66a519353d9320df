/**
 * One live channel (docs/api.md "Drivers and live channels") over partysocket:
 * reconnects with backoff, asks for fresh credentials and fresh query
 * parameters (e.g. the merchant feed's `since`) on every attempt, detects a
 * dead connection with a heartbeat, and reports its state so the UI can show
 * it. Environment-neutral (browser and Node 22), so the simulator drives its
 * drivers through exactly the code the driver app uses. See docs/decisions/0051.
 */
import { PartySocket } from 'partysocket';
import { PING_FRAME } from '../protocol/city-shard';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface LiveConnectionOptions {
  /** Origin of the API, e.g. http://127.0.0.1:8787 (ws/wss is derived from it). */
  origin: string;
  /** Channel path, e.g. /v1/drivers/me/live. */
  path: string;
  /** Called before each attempt: the token goes into `?access_token=` (RFC 6750). API clients (the simulator). */
  getToken?: () => Promise<string | null> | string | null;
  /**
   * Called before each attempt (the web apps): the app whose session cookie
   * authenticates the upgrade, sent as `?session=` (ADR 0087); null: none.
   */
  getSession?: () => Promise<string | null> | string | null;
  /** Extra query parameters, computed before each attempt. */
  query?: () => Record<string, string | undefined>;
  onMessage: (data: string) => void;
  /** `reconnected` is false for the first open. */
  onOpen?: (info: { reconnected: boolean }) => void;
  onState?: (state: ConnectionState, info: { attempt: number; closeCode: number | null }) => void;
  /** Close codes after which retrying is pointless (e.g. replaced by another device). */
  finalCloseCodes?: readonly number[];
  /** A WebSocket implementation (Node < 22 or tests); the global one by default. */
  WebSocket?: unknown;
  heartbeatMs?: number;
}

/** How long a heartbeat waits for any frame before the connection is declared dead. */
const HEARTBEAT_GRACE_MS = 10_000;

export class LiveConnection {
  readonly socket: PartySocket;
  private state: ConnectionState = 'connecting';
  private opens = 0;
  private lastFrameAt = 0;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private closeCode: number | null = null;
  private stopped = false;

  constructor(private readonly options: LiveConnectionOptions) {
    const origin = new URL(options.origin);
    this.socket = new PartySocket({
      host: origin.host,
      protocol: origin.protocol === 'https:' ? 'wss' : 'ws',
      basePath: options.path.replace(/^\/+/, ''),
      query: async () => {
        const token = options.getToken ? await options.getToken() : null;
        const session = options.getSession ? await options.getSession() : null;
        return { ...(options.query?.() ?? {}), ...(token ? { access_token: token } : {}), ...(session ? { session } : {}) };
      },
      minReconnectionDelay: 500,
      maxReconnectionDelay: 10_000,
      reconnectionDelayGrowFactor: 1.6,
      connectionTimeout: 8_000,
      // What must survive a reconnect is queued by the callers (location outbox) or
      // recovered from the server (session, greeting, catch-up), never replayed blindly.
      maxEnqueuedMessages: 0,
      ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
    });
    this.socket.addEventListener('open', () => {
      this.opens++;
      this.lastFrameAt = Date.now();
      this.setState('open');
      options.onOpen?.({ reconnected: this.opens > 1 });
    });
    this.socket.addEventListener('message', (event: MessageEvent) => {
      this.lastFrameAt = Date.now();
      if (typeof event.data === 'string') options.onMessage(event.data);
    });
    this.socket.addEventListener('close', (event) => {
      const code = (event as { code?: number }).code ?? null;
      this.closeCode = code;
      if (this.stopped) return this.setState('closed');
      if (code !== null && options.finalCloseCodes?.includes(code)) {
        this.stopped = true;
        this.socket.close();
        return this.setState('closed');
      }
      this.setState('reconnecting');
    });
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs ?? 20_000);
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  get isOpen(): boolean {
    return this.socket.readyState === 1;
  }

  /** Sends a message if the socket is open; false means it was not sent (nothing is queued). */
  send(message: object | string): boolean {
    if (!this.isOpen) return false;
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
    return true;
  }

  /** Reconnects now (e.g. the browser came back online). */
  reconnect(): void {
    if (this.stopped) return;
    this.socket.reconnect();
  }

  close(): void {
    this.stopped = true;
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.socket.close(1000, 'client closed');
    this.setState('closed');
  }

  private beat(): void {
    if (!this.isOpen) return;
    // A half-open TCP connection never fires `close`: no frame for too long means dead.
    if (Date.now() - this.lastFrameAt > (this.options.heartbeatMs ?? 20_000) + HEARTBEAT_GRACE_MS) {
      this.socket.reconnect(4000, 'heartbeat timeout');
      return;
    }
    this.socket.send(PING_FRAME);
  }

  private setState(state: ConnectionState): void {
    if (this.state === state && state !== 'reconnecting') return;
    this.state = state;
    this.options.onState?.(state, { attempt: this.socket.retryCount, closeCode: this.closeCode });
  }
}
