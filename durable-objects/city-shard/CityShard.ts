import type { Vehicle } from './matching';
import { viewOf, type DispatchView } from './offers';
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
import { candidatesNear } from './cross-shard';
import { checkOperatorAssign, type OperatorAssignment, type OperatorAssignResult } from './operator';
import { ChatNudgeSchema } from '../../domain/protocol/city-shard';
import { ShardCore } from './shard-core';
import { openOffersOf } from './shard-metrics';
import type { IngestSummary } from './state';
import type { DriverRow, DriverStateRow } from './storage';
import { dispatchLogOf, snapshotOf, trackingOf, type DispatchLog, type ShardSnapshot, type TrackingView } from './views';
import { safeClose } from '../socket-limits';
import { SESSION_ENDED_CLOSE, socketInSessions } from '../../domain/live-sessions';

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

const SNAPSHOT_DRIVER_LIMIT = 5_000;

/** At most this many status updates per `orderStatusesChanged` call (a queue batch is at most 100 messages). */
export const MAX_STATUS_UPDATES = 500;

/**
 * One Durable Object per city shard: the system of record for live state.
 * This adapter only translates runtime events (RPC, WebSocket, alarm) into
 * `reduce` calls and carries out the effects; memory is a cache rebuilt from
 * SQLite, so an eviction or hibernation loses nothing that matters (at most
 * the last FLUSH_MS of positions and breadcrumbs, which drivers resend).
 * Its seams (clock, event sink, peers, frame guard) are protected: tests
 * reach them through a subclass (test/workers/helpers/test-city-shard.ts).
 */
export class CityShard extends ShardCore {
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

  override async fetch(request: Request): Promise<Response> {
    this.handover.learnCity(request.headers.get(SHARD_HEADERS.city));
    const driverId = request.headers.get(SHARD_HEADERS.role) === 'driver' ? request.headers.get(SHARD_HEADERS.driverId) : null;
    if (driverId) this.handover.reconnected(driverId);
    return super.fetch(request);
  }

  protected override onMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    const a = this.sockets.attachment(ws);
    const driverId = a?.role === 'driver' ? a.driverId : null;
    // Frames the old socket of a driver handed over still carries: the app sends them again after its reconnect.
    if (driverId && this.handover.hasLeft(driverId)) return;
    super.onMessage(ws, message);
    const going = driverId ? this.handover.after(driverId) : null;
    if (going) this.ctx.waitUntil(going);
  }

  /** A neighbouring shard hands over a driver who crossed into this shard's cell (ADR 0122). */
  acceptHandover(pkg: unknown): { adopted: boolean } {
    return this.handover.accept(HandoverPackageSchema.parse(pkg));
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
      this.onGone(ws);
      closed++;
    }
    return closed;
  }

  ping(): 'pong' {
    return 'pong';
  }


  stats(): ShardStats {
    return {
      drivers: this.state.drivers.size,
      schemaVersion: this.schemaVersion,
      bootedAt: this.bootedAt,
      firedTimers: this.firedTimers,
      shardKey: this.state.shardKey,
      jobs: this.state.jobs.size,
      openOffers: openOffersOf(this.state),
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

  /**
   * Several status changes in one call (the queue's backstop for a batch, ADR 0048): each applied
   * on its own, as `orderStatusChanged` would; the answer says, in order, which were (false: this
   * one was refused, the others stand).
   */
  orderStatusesChanged(updates: unknown): boolean[] {
    if (!Array.isArray(updates) || updates.length > MAX_STATUS_UPDATES) throw new TypeError(`orderStatusesChanged: a list of at most ${MAX_STATUS_UPDATES} updates`);
    return updates.map((update) => {
      try {
        this.orderStatusChanged(update);
        return true;
      } catch {
        return false;
      }
    });
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

  getDriver(driverId: string): DriverRow | null {
    const d = this.state.drivers.get(driverId);
    if (!d || !d.position) return null;
    const p = d.position;
    return { driverId, lat: p.lat, lng: p.lng, heading: p.heading, speed: p.speed, available: d.available, updatedAt: p.at };
  }

  // ---- RPC: operators and order chat (ADR 0112, 0113; operator.ts) ----------------

  /** Can the shard give this order to this driver? Asked before Postgres commits an operator's assignment. */
  operatorCheck(orderId: string, driverId: string): OperatorAssignResult {
    return checkOperatorAssign(this.state, String(orderId), String(driverId));
  }

  /** An operator's assignment Postgres committed: the previous driver drops the order, the chosen one gets it. */
  operatorAssigned(assignment: OperatorAssignment): OperatorAssignResult {
    return this.step({ type: 'operator.assigned', assignment: { orderId: String(assignment.orderId), driverId: String(assignment.driverId), at: String(assignment.at) } });
  }

  /** An operator set the driver offline: no more offers until they go online again. False: not known here. */
  operatorOffline(driverId: string, reason: string): boolean {
    return this.step({ type: 'operator.offline', driverId: String(driverId), reason: String(reason).slice(0, 200) });
  }

  /** An operator's message to a driver; false when no socket of theirs is open here. */
  messageDriver(driverId: string, text: string): boolean {
    return this.step({ type: 'operator.message', driverId: String(driverId), text: String(text).slice(0, 500) });
  }

  /** A chat message was stored: the order's watchers and its driver are nudged. */
  chatPosted(nudge: unknown, driverId: string | null): void {
    this.step({ type: 'chat.posted', nudge: ChatNudgeSchema.parse(nudge), driverId: driverId ? String(driverId) : null });
  }
}
