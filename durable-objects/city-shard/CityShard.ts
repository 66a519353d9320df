import { DurableObject } from 'cloudflare:workers';
import { newId } from '../../db/ids';
import { shardStub } from '../../domain/shard-keys';
import { AssignmentCommits, orderCommandsOf } from './assignment-commits';
import { candidatesNear } from './cross-shard';
import { QueueEventSink, type EventSink, type ShardEvent } from './events';
import { WatcherFanout } from './fanout';
import { CALL_RETRY_MS, ShardLink, type PeerShard } from './link';
import { isVehicle, type Vehicle } from './matching';
import type { Effect, IdSource, ShardState, TimerKind } from './model';
import { driverStatus } from './model';
import { viewOf, type DispatchView } from './offers';
import {
  CLOSE,
  parseDriverMessage,
  parseWatcherMessage,
  PING_FRAME,
  PONG_FRAME,
  PROTOCOL_VERSION,
  type ServerToDriver,
} from '../../domain/protocol/city-shard';
import type { AnswerResult, HostResult, RemoteCandidate } from './remote-calls';
import {
  AnswerBodySchema,
  CandidateQuerySchema,
  DispatchRequestSchema,
  HandoverPackageSchema,
  HostRequestSchema,
  LocationBatchSchema,
  OrderStatusUpdateSchema,
  ReleaseBodySchema,
  SHARD_HEADERS,
  TripBodySchema,
  WithdrawBodySchema,
} from './rpc';
import { DriverHandover, HANDOVER_CLOSE, type HandoverPeer } from './handover-link';
import { restoreState, withOrigin } from './restore';
import { withSilenceOverrides } from './silence';
import { reduce, type IngestSummary, type ResultOf, type ShardInput } from './state';
import { driverTag, orderTag, safeClose, sendError, SocketRegistry, type Attachment } from './sockets';
import { ShardRepository, type DriverRow, type DriverStateRow, type TimerRow } from './storage';
import { dispatchLogOf, snapshotOf, trackingOf, watcherGreeting, type DispatchLog, type ShardSnapshot, type TrackingView } from './views';
import { ShardWriter } from './writer';
import { ShardMetrics, type ShardGauges } from './shard-metrics';
import { closeFor, FrameGuard, SOCKET_CAPS, tooManySockets } from '../socket-limits';
import { log } from '../../domain/log';
import { SESSION_ENDED_CLOSE, SESSION_HEADERS, socketInSessions } from '../../domain/live-sessions';

export interface ShardStats {
  drivers: number;
  schemaVersion: number;
  bootedAt: number;
  firedTimers: number;
  shardKey: string;
  jobs: number;
  openOffers: number;
  sockets: { drivers: number; watchers: number };
  /** Since this instance booted: driver frames handled and the fixes they carried. */
  ingest: { frames: number; points: number };
}

/** An undelivered outbox is retried by the alarm after this long. */
const OUTBOX_RETRY_MS = 5_000;
const SNAPSHOT_DRIVER_LIMIT = 5_000;
/** Which effects write SQLite in the step itself (the others are sockets or write-behind); every type must be listed. */
const WRITES: Record<Effect['type'], boolean> = {
  saveDriver: true, saveJob: true, saveOffer: true, note: true, setTimer: true, clearTimer: true, emit: true, purge: true,
  saveHosted: true, remoteCall: true,
  moveDriver: false, commitAssignment: false, commitRelease: false, breadcrumb: false, send: false, watchers: false, gather: false, placeRemote: false, relayTrip: false,
};
const TIMER_KINDS: ReadonlySet<string> = new Set<TimerKind>(['offer_expiry', 'dispatch_retry', 'housekeeping', 'assignment_commit', 'driver_silence', 'release_commit']);

/**
 * One Durable Object per city shard: the system of record for live state.
 * This adapter only translates runtime events (RPC, WebSocket, alarm) into
 * `reduce` calls and carries out the effects; memory is a cache rebuilt from
 * SQLite, so an eviction or hibernation loses nothing that matters (at most
 * the last FLUSH_MS of positions and breadcrumbs, which drivers resend).
 */
export class CityShard extends DurableObject<Env> {
  private readonly repo: ShardRepository;
  private state!: ShardState;
  private originKnown = false;
  private schemaVersion = 0;
  private readonly bootedAt = Date.now();
  private firedTimers = 0;
  private readonly ingest = { frames: 0, points: 0 };
  private alarmAt: number | null = null;
  private readonly writer: ShardWriter;
  private delivering = false;
  private readonly fanout: WatcherFanout;
  private sockets!: SocketRegistry;
  private readonly ids: IdSource = { offerId: () => newId('ofr') };

  /** The shard's clock; tests replace it (inside runInDurableObject) to move time. */
  clock: () => number = () => Date.now();
  /** Size and rate of what clients send (durable-objects/socket-limits.ts); the soak test lifts it. */
  frameGuard = new FrameGuard();
  /** Where dispatch events go (docs/decisions/0035); tests replace it with a recorder. */
  eventSink: EventSink;
  /** How this shard reaches another one (cross-shard matching, ADR 0060); tests wrap it. */
  peer: (shardKey: string) => PeerShard = (key) => shardStub(this.env, key) as unknown as PeerShard;
  private readonly link: ShardLink;
  private readonly commits: AssignmentCommits;
  /** Fixes ingested, fix age at relay, gauges reported to the metrics aggregator (ADR 0090). */
  private readonly shardMetrics: ShardMetrics;
  /** Driver handover between the shards of a split city (ADR 0122, handover-link.ts). */
  protected readonly handover = new DriverHandover({
    state: () => this.state,
    repo: () => this.repo,
    transaction: (fn) => this.ctx.storage.transactionSync(fn),
    clock: () => this.clock(),
    peer: (key) => this.peer(key) as unknown as HandoverPeer,
    closeDriver: (driverId) => {
      for (const ws of [...this.sockets.ofDriver(driverId)]) {
        this.sockets.remove(ws);
        safeClose(ws, HANDOVER_CLOSE.code, HANDOVER_CLOSE.reason);
      }
    },
    upserted: (d) => this.upsertDriver({ driverId: d.driverId, vehicle: d.vehicle, lat: d.position!.lat, lng: d.position!.lng, heading: d.position!.heading, speed: d.position!.speed, available: d.available, updatedAt: d.position!.at }),
  });

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
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
    this.shardMetrics = new ShardMetrics(env, (p) => ctx.waitUntil(p));
    this.commits = new AssignmentCommits({
      state: () => this.state,
      step: (input) => void this.step(input),
      port: () => orderCommandsOf(this.ctx.exports),
      shardKey: () => this.state.shardKey,
    });
    // Flushed when the current event's synchronous work is done: one send per order and event, no timer.
    this.fanout = new WatcherFanout((orderId) => this.sockets.ofOrder(orderId), (flush) => queueMicrotask(flush));
    // Pings never wake a hibernating object: the runtime answers them itself.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME));
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
  private step<I extends ShardInput>(input: I, first?: () => void): ResultOf[I['type']] {
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
      void this.deliverOutbox();
    }
    // Calls to other shards go out now; the alarm is the backstop if this instance goes away first.
    if (called) earliestTimer = Math.min(earliestTimer, now + CALL_RETRY_MS);
    this.link.after(effects, called);
    this.commits.after(effects);
    if (earliestTimer !== Infinity) void this.armAlarm(earliestTimer);
    this.shardMetrics.after(this.state.shardKey, now, () => this.gauges(now));
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

  private async armAlarm(at: number): Promise<void> {
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
    await Promise.all([this.deliverOutbox(), this.link.deliverCalls()]);
    const next = [this.repo.earliestTimer(), this.repo.nextEventAttempt(), this.repo.nextRemoteCallAttempt()].filter((t): t is number => t !== null);
    if (next.length > 0) await this.armAlarm(Math.min(...next));
  }

  // ---- the outbox of dispatch events -------------------------------------------

  private async deliverOutbox(): Promise<void> {
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (;;) {
        const rows = this.repo.dueEvents(this.clock(), 100);
        if (rows.length === 0) return;
        try {
          await this.eventSink.publish(rows.map((r) => JSON.parse(r.body) as ShardEvent));
          this.repo.deleteEvents(rows.map((r) => r.seq));
        } catch (error) {
          const retryAt = this.clock() + OUTBOX_RETRY_MS * 2 ** Math.min(6, rows[0]!.attempts);
          this.repo.deferEvents(rows.map((r) => r.seq), retryAt);
          log.warn('shard outbox: publish failed', { shard: this.state.shardKey, error });
          await this.armAlarm(retryAt);
          return;
        }
      }
    } finally {
      this.delivering = false;
    }
  }

  // ---- WebSockets (hibernation API) ------------------------------------------

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('Upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('Expected a WebSocket upgrade', { status: 426 });
    }
    const role = request.headers.get(SHARD_HEADERS.role);
    this.handover.learnCity(request.headers.get(SHARD_HEADERS.city));
    if (role === 'driver') this.handover.reconnected(request.headers.get(SHARD_HEADERS.driverId) ?? '');
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    if (role === 'driver') {
      const driverId = request.headers.get(SHARD_HEADERS.driverId);
      const vehicle = request.headers.get(SHARD_HEADERS.vehicle);
      if (!driverId) return new Response('Missing driver id', { status: 400 });
      // One live connection per driver: a reconnect replaces the previous socket.
      for (const old of [...this.sockets.ofDriver(driverId)]) {
        this.sockets.remove(old);
        safeClose(old, CLOSE.replaced, 'replaced by a newer connection');
      }
      this.ctx.acceptWebSocket(server, [driverTag(driverId), 'drivers']);
      const userId = request.headers.get(SESSION_HEADERS.userId);
      const sid = request.headers.get(SESSION_HEADERS.sessionId);
      const attachment: Attachment = {
        v: PROTOCOL_VERSION,
        role: 'driver',
        driverId,
        vehicle: isVehicle(vehicle) ? vehicle : 'car',
        ...(userId && sid ? { userId, sid } : {}),
      };
      server.serializeAttachment(attachment);
      this.sockets.add(server, attachment);
      this.step({ type: 'driver.connected', driverId, vehicle: attachment.vehicle });
    } else if (role === 'watcher') {
      const orderId = request.headers.get(SHARD_HEADERS.orderId);
      if (!orderId) return new Response('Missing order id', { status: 400 });
      if (this.sockets.ofOrder(orderId).size >= SOCKET_CAPS.watchersPerOrder) return tooManySockets(`At most ${SOCKET_CAPS.watchersPerOrder} live connections per order.`);
      this.ctx.acceptWebSocket(server, [orderTag(orderId), 'watchers']);
      const attachment: Attachment = { v: PROTOCOL_VERSION, role: 'watcher', orderId };
      server.serializeAttachment(attachment);
      this.sockets.add(server, attachment);
      for (const message of watcherGreeting(this.state, orderId, this.clock())) server.send(JSON.stringify(message));
    } else {
      return new Response('Unknown channel', { status: 400 });
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const attachment = this.sockets.attachment(ws);
    // Frames the old socket of a driver handed over still carries: the app sends them again after its reconnect.
    if (attachment?.role === 'driver' && this.handover.hasLeft(attachment.driverId)) return;
    // Drivers: 16 KiB, watchers 4 KiB (1009); faster than the channel's rate: 1008.
    const refusal = this.frameGuard.admit(ws, attachment?.role ?? 'watcher', message, Date.now());
    if (refusal) {
      closeFor(ws, refusal);
      return;
    }
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
          const going = this.handover.after(attachment.driverId);
          if (going) this.ctx.waitUntil(going);
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

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    // Always answer the close handshake (1005/1006 cannot be sent back).
    safeClose(ws, code === 1005 || code === 1006 ? CLOSE.normal : code, reason);
    this.socketGone(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.socketGone(ws);
  }

  private socketGone(ws: WebSocket): void {
    const a = this.sockets.remove(ws);
    if (a?.role === 'driver' && this.sockets.ofDriver(a.driverId).size === 0) this.step({ type: 'driver.disconnected', driverId: a.driverId });
  }

  private sendToDriver(driverId: string, message: ServerToDriver): void {
    const payload = JSON.stringify(message);
    for (const ws of this.sockets.ofDriver(driverId)) {
      try {
        ws.send(payload);
      } catch {
        // Closing socket: the driver resumes on reconnect.
      }
    }
  }

  // ---- RPC: what the Worker calls ------------------------------------------------

  /**
   * The driver's sessions ended (logout, password change, erasure): their
   * channel is closed with 4401 at once and the driver counts as gone, as if
   * the phone had dropped the connection. Returns how many sockets closed.
   */
  endDriverSessions(driverId: string, userId: string, sessions: string[] | 'all', _reason: string): number {
    let closed = 0;
    for (const ws of [...this.sockets.ofDriver(driverId)]) {
      const a = this.sockets.attachment(ws);
      if (a?.role !== 'driver' || !socketInSessions(a, userId, sessions)) continue;
      safeClose(ws, SESSION_ENDED_CLOSE.code, SESSION_ENDED_CLOSE.reason);
      this.socketGone(ws);
      closed++;
    }
    return closed;
  }

  ping(): 'pong' {
    return 'pong';
  }


  /** What the shard reports to the metrics aggregator (every GAUGE_REPORT_MS at most). */
  private gauges(now: number): ShardGauges {
    let online = 0;
    let available = 0;
    for (const d of this.state.drivers.values()) {
      const status = driverStatus(d, now, this.state.policy);
      if (status !== 'offline') online++;
      if (status === 'available') available++;
    }
    let openOffers = 0;
    for (const o of this.state.offers.values()) if (o.status === 'pending') openOffers++;
    return { driversOnline: online, driversAvailable: available, openOffers, sockets: this.sockets.counts };
  }

  stats(): ShardStats {
    return {
      drivers: this.state.drivers.size,
      schemaVersion: this.schemaVersion,
      bootedAt: this.bootedAt,
      firedTimers: this.firedTimers,
      shardKey: this.state.shardKey,
      jobs: this.state.jobs.size,
      openOffers: [...this.state.offers.values()].filter((o) => o.status === 'pending').length,
      sockets: this.sockets.counts,
      ingest: { ...this.ingest },
    };
  }

  /**
   * Starts (or, for an order already known, reports) the offer loop of an
   * order. A pickup with neighbouring shards in reach answers once their
   * candidates are ranked and the offer placed; otherwise at once, with no RPC.
   */
  dispatch(request: unknown): DispatchView | Promise<DispatchView> {
    const view = this.step({ type: 'dispatch.requested', request: DispatchRequestSchema.parse(request) });
    if (!this.link.busy(view.orderId)) return view;
    return this.link.settled(view.orderId).then(() => {
      const job = this.state.jobs.get(view.orderId);
      return job ? viewOf(job) : view;
    });
  }

  /** The order was cancelled, or its assignment could not be persisted: withdraw the offer or assignment. */
  cancelDispatch(orderId: string, reason: string): DispatchView | null {
    return this.step({ type: 'dispatch.cancelled', orderId, reason: String(reason).slice(0, 200) });
  }

  /** The orders domain reports a status change: watchers are told, a terminal one frees the driver. */
  orderStatusChanged(update: unknown): void {
    const u = OrderStatusUpdateSchema.parse(update);
    this.step({ type: 'order.status', orderId: u.orderId, status: u.status, dispatch: u.dispatch, seq: u.seq, at: u.at, driverId: u.driverId });
  }

  // ---- RPC: what other shards call (cross-shard matching, ADR 0060; cross-shard.ts) -------

  /** A neighbour's search: this shard's free drivers near its pickup (read only). */
  candidatesNear(query: unknown): RemoteCandidate[] {
    return candidatesNear(this.state, CandidateQuerySchema.parse(query), this.clock());
  }

  /** An owner asks to reserve one of this shard's drivers for its order and send the offer; refused if the driver is taken. */
  hostOffer(request: unknown): HostResult {
    return this.step({ type: 'remote.host', request: HostRequestSchema.parse(request) });
  }

  /**
   * The shard of a remote driver reports its answer; this shard, the order's
   * owner, decides. An acceptance is answered only once Postgres has the
   * assignment (ADR 0075); while it has not, the call fails and the driver's
   * shard asks again (its calls must arrive).
   */
  async remoteOfferAnswer(body: unknown): Promise<AnswerResult> {
    const answer = AnswerBodySchema.parse(body);
    const result = this.step({ type: 'remote.answer', body: answer });
    const orderId = this.state.offers.get(answer.offerId)?.orderId;
    if (result.status !== 'accepted' || !orderId) return result;
    await this.commits.commit(orderId);
    const job = this.state.jobs.get(orderId);
    if (!job || job.driverId !== answer.driverId || job.endedAt !== null) return { status: 'cancelled' };
    if (job.pendingAssignment) throw new Error('the assignment is not saved yet; ask again');
    return result;
  }

  withdrawHostedOffer(body: unknown): void {
    this.step({ type: 'remote.withdraw', body: WithdrawBodySchema.parse(body) });
  }

  releaseRemoteOrder(body: unknown): void {
    this.step({ type: 'remote.release', body: ReleaseBodySchema.parse(body) });
  }

  remoteTripPosition(body: unknown): void {
    this.step({ type: 'remote.trip', body: TripBodySchema.parse(body) });
  }

  /** POST /v1/drivers/me/locations: a batch recorded while the socket was down. */
  ingestLocations(batch: unknown): IngestSummary {
    const b = LocationBatchSchema.parse(batch);
    return this.step({ type: 'driver.locations', driverId: b.driverId, vehicle: b.vehicle, points: b.points });
  }

  dispatchLog(orderId: string): DispatchLog | null {
    const job = this.state.jobs.get(orderId) ?? this.repo.loadJob(orderId);
    if (!job) return null;
    return dispatchLogOf(this.state.shardKey, job, this.repo.offersOf([orderId]), this.repo.notesOf(orderId));
  }

  tracking(orderId: string): TrackingView | null {
    return trackingOf(this.state, orderId, this.clock());
  }

  snapshot(): ShardSnapshot {
    return snapshotOf(this.state, this.clock(), SNAPSHOT_DRIVER_LIMIT);
  }

  breadcrumbs(orderId: string): { points: [number, number, number][]; batches: number } {
    this.flush();
    return this.repo.breadcrumbsOf(orderId);
  }

  driverState(driverId: string): (Omit<DriverStateRow, 'vehicle'> & { vehicle: Vehicle }) | null {
    const d = this.state.drivers.get(driverId);
    return d ? { driverId: d.driverId, vehicle: d.vehicle, available: d.available, connected: d.connected, lastSeenAt: d.lastSeenAt, idleSince: d.idleSince, orderId: d.orderId, orderShard: d.orderShard, offerId: d.offerId, flaggedPoints: d.flaggedPoints, position: d.position } : null;
  }

  /** Operator / seed tool: places a driver directly (vehicle unknown is a car). */
  upsertDriver(driver: DriverRow & { vehicle?: Vehicle }): void {
    this.step({
      type: 'driver.upserted',
      driverId: driver.driverId,
      vehicle: driver.vehicle ?? this.state.drivers.get(driver.driverId)?.vehicle ?? 'car',
      lat: driver.lat,
      lng: driver.lng,
      heading: driver.heading,
      speed: driver.speed,
      available: driver.available,
      at: driver.updatedAt,
    });
  }

  /** A neighbouring shard hands over a driver who crossed into this shard's cell (ADR 0122). */
  acceptHandover(pkg: unknown): { adopted: boolean } {
    return this.handover.accept(HandoverPackageSchema.parse(pkg));
  }

  getDriver(driverId: string): DriverRow | null {
    const d = this.state.drivers.get(driverId);
    if (!d || !d.position) return null;
    const p = d.position;
    return { driverId, lat: p.lat, lng: p.lng, heading: p.heading, speed: p.speed, available: d.available, updatedAt: p.at };
  }

  /** Logical timers live in SQLite; the one alarm is armed for the earliest. */
  async schedule(timer: TimerRow): Promise<void> {
    this.repo.putTimer(timer);
    await this.armAlarm(timer.fireAt);
  }

  firedTimerIds(): string[] {
    return this.repo.firedTimerIds();
  }
}
