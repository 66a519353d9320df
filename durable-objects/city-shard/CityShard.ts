import { DurableObject } from 'cloudflare:workers';
import { ShardRepository, type DriverRow, type TimerRow } from './storage';

export interface ShardStats {
  drivers: number;
  schemaVersion: number;
  bootedAt: number;
  firedTimers: number;
}

/**
 * One Durable Object per city shard: the system of record for live state.
 * This adapter only translates runtime events (RPC, WebSocket, alarm) into
 * calls on plain modules; memory is a cache rebuilt from SQLite, so an eviction
 * or hibernation loses nothing.
 */
export class CityShard extends DurableObject<Env> {
  private readonly repo: ShardRepository;
  private drivers = new Map<string, DriverRow>();
  private schemaVersion = 0;
  private readonly bootedAt = Date.now();
  private firedTimers = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.repo = new ShardRepository(ctx.storage.sql);
    // Pings never wake a hibernating object: the runtime answers them itself.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
    void ctx.blockConcurrencyWhile(async () => {
      this.schemaVersion = this.repo.migrate();
      this.drivers = new Map(this.repo.loadDrivers().map((d) => [d.driverId, d]));
    });
  }

  ping(): 'pong' {
    return 'pong';
  }

  stats(): ShardStats {
    return { drivers: this.drivers.size, schemaVersion: this.schemaVersion, bootedAt: this.bootedAt, firedTimers: this.firedTimers };
  }

  upsertDriver(driver: DriverRow): void {
    this.repo.saveDriver(driver);
    this.drivers.set(driver.driverId, driver);
  }

  getDriver(driverId: string): DriverRow | null {
    return this.drivers.get(driverId) ?? null;
  }

  /** Logical timers live in SQLite; the one alarm is armed for the earliest. */
  async schedule(timer: TimerRow): Promise<void> {
    this.repo.putTimer(timer);
    await this.armAlarm();
  }

  firedTimerIds(): string[] {
    return this.repo.firedTimerIds();
  }

  override async alarm(): Promise<void> {
    // Alarms run at least once: handlers are idempotent, and a timer row is
    // deleted only after its work is done.
    const now = Date.now();
    for (const timer of this.repo.dueTimers(now)) {
      if (this.repo.completeTimer(timer, now)) this.firedTimers++;
    }
    await this.armAlarm();
  }

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('Upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('Expected a WebSocket upgrade', { status: 426 });
    }
    const pair = new WebSocketPair();
    // Hibernation API: the runtime holds the socket while the object sleeps.
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (typeof message !== 'string') {
      ws.send(JSON.stringify({ type: 'error', code: 'binary_unsupported', detail: 'Send JSON text frames.' }));
      return;
    }
    ws.send(JSON.stringify({ type: 'error', code: 'not_implemented', detail: 'Live channels are not open yet.' }));
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    // Always answer the close handshake (1005/1006 cannot be sent back).
    ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
  }

  private async armAlarm(): Promise<void> {
    const earliest = this.repo.earliestTimer();
    if (earliest === null) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > earliest) await this.ctx.storage.setAlarm(earliest);
  }
}
