import { newId } from '../../db/ids';
import { log } from '../../domain/log';
import { SESSION_HEADERS } from '../../domain/live-sessions';
import {
  CLOSE,
  parseDriverMessage,
  parseWatcherMessage,
  PING_FRAME,
  PONG_FRAME,
  PROTOCOL_VERSION,
  type ServerToDriver,
} from '../../domain/protocol/city-shard';
import { shardStub } from '../../domain/shard-keys';
import { HibernatingObject } from '../hibernating';
import { safeClose, SOCKET_CAPS, tooManySockets, trySend, type Channel } from '../socket-limits';
import { AssignmentCommits, orderCommandsOf } from './assignment-commits';
import { QueueEventSink, type EventSink } from './events';
import { WatcherFanout } from './fanout';
import { CALL_RETRY_MS, ShardLink, type PeerShard } from './link';
import { isVehicle } from './matching';
import type { Effect, IdSource, ShardState, TimerKind } from './model';
import { OUTBOX_RETRY_MS, ShardOutbox } from './outbox';
import { restoreState, withOrigin } from './restore';
import { SHARD_HEADERS } from './rpc';
import { gaugesOf, ShardMetrics } from './shard-metrics';
import { withSilenceOverrides } from './silence';
import { driverTag, orderTag, sendError, SocketRegistry, type Attachment } from './sockets';
import { reduce, type ResultOf, type ShardInput } from './state';
import { ShardRepository } from './storage';
import { watcherGreeting } from './views';
import { ShardWriter } from './writer';

/** Which effects write SQLite in the step itself (the others are sockets or write-behind); every type must be listed. */
const WRITES: Record<Effect['type'], boolean> = {
  saveDriver: true, saveJob: true, saveOffer: true, note: true, setTimer: true, clearTimer: true, emit: true, purge: true,
  saveHosted: true, remoteCall: true,
  moveDriver: false, commitAssignment: false, commitRelease: false, breadcrumb: false, send: false, watchers: false, gather: false, placeRemote: false, relayTrip: false,
};
const TIMER_KINDS: ReadonlySet<string> = new Set<TimerKind>(['offer_expiry', 'dispatch_retry', 'housekeeping', 'assignment_commit', 'driver_silence', 'release_commit']);

/**
 * The runtime adapter of the city shard (ADR 0115): memory rebuilt from SQLite,
 * the one `step` through which state changes, the alarm, and the driver and
 * watcher sockets. CityShard (CityShard.ts) adds the RPC surface.
 */
export abstract class ShardCore extends HibernatingObject {
  protected readonly repo: ShardRepository;
  protected state!: ShardState;
  private originKnown = false;
  protected schemaVersion = 0;
  protected readonly bootedAt = Date.now();
  protected firedTimers = 0;
  protected readonly ingest = { frames: 0, points: 0 };
  private alarmAt: number | null = null;
  private readonly writer: ShardWriter;
  private readonly outbox: ShardOutbox;
  private readonly fanout: WatcherFanout;
  protected sockets!: SocketRegistry;
  private readonly ids: IdSource = { offerId: () => newId('ofr') };

  /** The shard's clock. */
  protected clock: () => number = () => Date.now();
  /** Where dispatch events go (docs/decisions/0035). */
  protected eventSink: EventSink;
  /** How this shard reaches another one (cross-shard matching, ADR 0060). */
  protected peer: (shardKey: string) => PeerShard = (key) => shardStub(this.env, key) as unknown as PeerShard;
  protected readonly link: ShardLink;
  protected readonly commits: AssignmentCommits;
  /** Fixes ingested, fix age at relay, gauges reported to the metrics aggregator (ADR 0090). */
  private readonly shardMetrics: ShardMetrics;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { ping: PING_FRAME, pong: PONG_FRAME });
    this.repo = new ShardRepository(ctx.storage.sql);
    this.writer = new ShardWriter(this.repo, () => this.state, (fn) => ctx.storage.transactionSync(fn));
    this.eventSink = new QueueEventSink(env.DISPATCH);
    this.link = new ShardLink({
      state: () => this.state,
      step: (input, first) => this.step(input, first),
      repo: this.repo,
      clock: () => this.clock(),
      armAlarm: (at) => this.armAlarm(at),
      peer: (key) => this.peer(key),
    });
    this.outbox = new ShardOutbox({
      repo: this.repo,
      sink: () => this.eventSink,
      clock: () => this.clock(),
      armAlarm: (at) => this.armAlarm(at),
      shardKey: () => this.state.shardKey,
    });
    this.shardMetrics = new ShardMetrics(env, (p) => ctx.waitUntil(p));
    this.commits = new AssignmentCommits({
      state: () => this.state,
      step: (input) => void this.step(input),
      port: () => orderCommandsOf(this.ctx.exports),
      shardKey: () => this.state.shardKey,
    });
    // Flushed when the current event's synchronous work is done: one send per order and event, no timer.
    this.fanout = new WatcherFanout((orderId) => this.sockets.ofOrder(orderId), (flush) => queueMicrotask(flush));
    void ctx.blockConcurrencyWhile(async () => {
      this.schemaVersion = this.repo.migrate();
      this.load();
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  /** Rebuilds memory from SQLite: drivers and the index, live jobs and their offers. */
  private load(): void {
    const key = this.ctx.id.name ?? this.repo.getMeta('key') ?? this.ctx.id.toString();
    if (this.repo.getMeta('key') !== key) this.repo.setMeta('key', key);
    this.sockets = new SocketRegistry(this.ctx.getWebSockets());
    const connected = this.sockets.connectedDrivers();
    const restored = restoreState(this.repo, key, connected, Date.now());
    this.state = restored.state;
    this.state.policy = withSilenceOverrides(this.state.policy, this.env);
    this.originKnown = restored.originKnown;
  }

  // ---- the one way state changes -------------------------------------------

  /** `first` runs inside the step's transaction before its writes (the alarm completes a timer row there). */
  protected step<I extends ShardInput>(input: I, first?: () => void): ResultOf[I['type']] {
    if (!this.originKnown) this.learnOrigin(input);
    const now = this.clock();
    const { effects, result } = reduce(this.state, input, now, this.ids);
    let emitted = false;
    let called = false;
    let earliestTimer = Infinity;
    const write = () => {
      first?.();
      const r = this.writer.persist(effects, now);
      emitted = r.emitted;
      called = r.called;
      earliestTimer = r.earliestTimer;
    };
    // State writes, timers and outbox rows of one step commit together; a
    // plain position update writes nothing now (0037) and needs no transaction.
    if (first || effects.some((e) => WRITES[e.type])) this.ctx.storage.transactionSync(write);
    else write();
    for (const e of effects) {
      if (e.type === 'send') this.sendToDriver(e.driverId, e.message);
      else if (e.type === 'watchers') {
        if (e.message.type === 'location') this.shardMetrics.fixRelayed(e.message.at, now);
        this.fanout.push(e.orderId, e.message, e.coalesce);
      }
    }
    if (emitted) {
      earliestTimer = Math.min(earliestTimer, now + OUTBOX_RETRY_MS);
      void this.outbox.deliver();
    }
    // Calls to other shards go out now; the alarm is the backstop if this instance goes away first.
    if (called) earliestTimer = Math.min(earliestTimer, now + CALL_RETRY_MS);
    this.link.after(effects, called);
    this.commits.after(effects);
    if (earliestTimer !== Infinity) void this.armAlarm(earliestTimer);
    this.shardMetrics.after(this.state.shardKey, now, () => gaugesOf(this.state, now, this.sockets.counts));
    return result;
  }

  /** A shard whose name is not a shard key (tests, probes) takes its first position as origin. */
  private learnOrigin(input: ShardInput): void {
    const p = input.type === 'driver.upserted' ? input : input.type === 'driver.locations' ? input.points[0] : input.type === 'driver.message' && input.message.type === 'location' ? input.message : null;
    if (!p) return;
    this.state = withOrigin(this.state, { lat: p.lat, lng: p.lng });
    this.repo.setMeta('origin', JSON.stringify({ lat: p.lat, lng: p.lng }));
    this.originKnown = true;
  }

  /** Writes moved positions and breadcrumbs now (one row per driver / trip, not per ping). */
  flush(): { positions: number; trips: number } {
    return this.writer.flush();
  }

  // ---- timers on the one alarm -----------------------------------------------

  /** Arms the one alarm for `at` unless it is armed earlier. */
  protected async armAlarm(at: number): Promise<void> {
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }

  override async alarm(): Promise<void> {
    // Alarms run at least once: each timer's transition and the deletion of its
    // row commit together, and every transition ignores a timer already obsolete.
    this.alarmAt = null;
    for (const timer of this.repo.dueTimers(this.clock())) {
      const complete = () => {
        if (this.repo.completeTimer(timer, this.clock())) this.firedTimers++;
      };
      if (TIMER_KINDS.has(timer.kind)) this.step({ type: 'timer.fired', kind: timer.kind as TimerKind, payload: timer.payload }, complete);
      else this.ctx.storage.transactionSync(complete);
    }
    if (this.writer.pending) this.writer.flush();
    await Promise.all([this.outbox.deliver(), this.link.deliverCalls()]);
    const next = [this.repo.earliestTimer(), this.repo.nextEventAttempt(), this.repo.nextRemoteCallAttempt()].filter((t): t is number => t !== null);
    if (next.length > 0) await this.armAlarm(Math.min(...next));
  }

  // ---- WebSockets (hibernation API) ------------------------------------------

  protected upgrade(request: Request): Response {
    const role = request.headers.get(SHARD_HEADERS.role);
    if (role === 'driver') {
      const driverId = request.headers.get(SHARD_HEADERS.driverId);
      const vehicle = request.headers.get(SHARD_HEADERS.vehicle);
      if (!driverId) return new Response('Missing driver id', { status: 400 });
      // One live connection per driver: a reconnect replaces the previous socket.
      for (const old of [...this.sockets.ofDriver(driverId)]) {
        this.sockets.remove(old);
        safeClose(old, CLOSE.replaced, 'replaced by a newer connection');
      }
      const userId = request.headers.get(SESSION_HEADERS.userId);
      const sid = request.headers.get(SESSION_HEADERS.sessionId);
      const attachment: Attachment = {
        v: PROTOCOL_VERSION,
        role: 'driver',
        driverId,
        vehicle: isVehicle(vehicle) ? vehicle : 'car',
        ...(userId && sid ? { userId, sid } : {}),
      };
      const response = this.accept([driverTag(driverId), 'drivers'], attachment, (server) => this.sockets.add(server, attachment));
      this.step({ type: 'driver.connected', driverId, vehicle: attachment.vehicle });
      return response;
    } else if (role === 'watcher') {
      const orderId = request.headers.get(SHARD_HEADERS.orderId);
      if (!orderId) return new Response('Missing order id', { status: 400 });
      if (this.sockets.ofOrder(orderId).size >= SOCKET_CAPS.watchersPerOrder) return tooManySockets(`At most ${SOCKET_CAPS.watchersPerOrder} live connections per order.`);
      const attachment: Attachment = { v: PROTOCOL_VERSION, role: 'watcher', orderId };
      return this.accept([orderTag(orderId), 'watchers'], attachment, (server) => {
        this.sockets.add(server, attachment);
        for (const message of watcherGreeting(this.state, orderId, this.clock())) trySend(server, JSON.stringify(message));
      });
    }
    return new Response('Unknown channel', { status: 400 });
  }

  /** Drivers: 16 KiB, watchers 4 KiB (the base closes with 1009 above; 1008 faster than the channel's rate). */
  protected channelOf(ws: WebSocket): Channel {
    return this.sockets.attachment(ws)?.role ?? 'watcher';
  }

  protected onMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    const attachment = this.sockets.attachment(ws);
    if (typeof message !== 'string') {
      sendError(ws, 'binary_unsupported', 'Send JSON text frames.');
      return;
    }
    if (!attachment) {
      safeClose(ws, CLOSE.policy, 'unknown connection');
      return;
    }
    try {
      if (attachment.role === 'driver') {
        const parsed = parseDriverMessage(message);
        if (!parsed.ok) ws.send(JSON.stringify(parsed.error));
        else {
          const m = parsed.message;
          this.ingest.frames++;
          if (m.type === 'location') {
            this.ingest.points++;
            this.shardMetrics.fixesIngested(this.state.shardKey, 1, m.at, Date.now());
          } else if (m.type === 'locations') {
            this.ingest.points += m.points.length;
            this.shardMetrics.fixesIngested(this.state.shardKey, m.points.length, m.points.at(-1)?.at, Date.now());
          }
          this.step({ type: 'driver.message', driverId: attachment.driverId, message: m });
        }
      } else {
        const parsed = parseWatcherMessage(message);
        if (!parsed.ok) ws.send(JSON.stringify(parsed.error));
        else ws.send(PONG_FRAME);
      }
    } catch (error) {
      // A bug in one message must not take the shard (and every driver's socket) down.
      log.error('shard: message failed', { shard: this.state.shardKey, error });
      sendError(ws, 'internal', 'The message could not be processed.');
    }
  }

  protected override onGone(ws: WebSocket): void {
    const a = this.sockets.remove(ws);
    if (a?.role === 'driver' && this.sockets.ofDriver(a.driverId).size === 0) this.step({ type: 'driver.disconnected', driverId: a.driverId });
  }

  private sendToDriver(driverId: string, message: ServerToDriver): void {
    const payload = JSON.stringify(message);
    // A closing socket's driver resumes on reconnect.
    for (const ws of this.sockets.ofDriver(driverId)) trySend(ws, payload);
  }
}
