/**
 * The adapter's side of cross-shard matching (docs/decisions/0060): it
 * carries out the effects that talk to other shards and steps their answers
 * back in. No runtime imports: the CityShard gives it a way to reach a peer
 * (a Durable Object stub in production, a wrapper in tests), its step
 * function, its repository and its alarm.
 *
 * - `gather`: asks every neighbour of the job, in parallel and with a
 *   deadline, for its free drivers near the pickup; steps `dispatch.gathered`.
 * - `placeRemote`: asks the driver's shard to reserve the driver and send the
 *   offer; steps `remote.placed` (a failed call is an `unknown` outcome).
 * - `remoteCall`: rows in `remote_calls`, written in the deciding step, sent
 *   now and retried from the alarm until the peer answers (each is idempotent
 *   there). An answer's reply is stepped in the same transaction that
 *   deletes its row.
 * - `relayTrip`: the latest position of a driver on another shard's order, at
 *   most one call per order a second (best effort: the next one replaces it).
 * Every await leaves the object, so each step re-reads the state it needs.
 */
import type { Effect, ShardState } from './model';
import type { AnswerBody, AnswerResult, CandidateQuery, HostRequest, HostResult, ReleaseBody, RemoteCandidate, TripBody, WithdrawBody } from './remote-calls';
import type { ResultOf, ShardInput } from './state';
import type { RemoteCallRow, ShardRepository } from './storage';
import { log } from '../../domain/log';

/** What a shard calls on another: the CityShard RPC methods of the same names. */
export interface PeerShard {
  candidatesNear(query: CandidateQuery): Promise<RemoteCandidate[]>;
  hostOffer(request: HostRequest): Promise<HostResult>;
  remoteOfferAnswer(body: AnswerBody): Promise<AnswerResult>;
  withdrawHostedOffer(body: WithdrawBody): Promise<void>;
  releaseRemoteOrder(body: ReleaseBody): Promise<void>;
  remoteTripPosition(body: TripBody): Promise<void>;
}

export interface LinkHost {
  state(): ShardState;
  step<I extends ShardInput>(input: I, first?: () => void): ResultOf[I['type']];
  readonly repo: ShardRepository;
  clock(): number;
  armAlarm(at: number): Promise<void>;
  peer(shardKey: string): PeerShard;
}

/** A neighbour slower than this is left out of the search (and noted in the decision log). */
export const GATHER_TIMEOUT_MS = 1_500;
const PLACE_TIMEOUT_MS = 3_000;
const CALL_TIMEOUT_MS = 5_000;
/** First retry of a call that must arrive, doubling up to 2^7 times this. */
export const CALL_RETRY_MS = 2_000;
/** About 14 hours of retries: a peer gone that long is a re-sharding, not an outage. */
const MAX_CALL_ATTEMPTS = 200;
const RELAY_MS = 1_000;
/** A dispatch RPC waits for at most this many gather / placement rounds before answering with the current view. */
const MAX_SETTLE_ROUNDS = 4;

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class ShardLink {
  /** Gathers and placements in flight, by order (a dispatch RPC waits for its own). */
  private readonly inflight = new Map<string, Promise<void>>();
  private calling = false;
  private readonly relays = new Map<string, Extract<Effect, { type: 'relayTrip' }>>();
  private relayTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly host: LinkHost) {}

  /** Carries out a step's effects that talk to other shards (after the step committed). */
  after(effects: readonly Effect[], called: boolean): void {
    for (const e of effects) {
      if (e.type === 'gather') this.track(e.orderId, this.gather(e.orderId, e.seq));
      else if (e.type === 'placeRemote') {
        const orderId = this.host.state().offers.get(e.offerId)?.orderId;
        if (orderId) this.track(orderId, this.place(e.offerId));
      } else if (e.type === 'relayTrip') this.relay(e);
    }
    if (called) void this.deliverCalls();
  }

  /** Resolves once the order has no gather or placement in flight (a few rounds at most). */
  async settled(orderId: string): Promise<void> {
    for (let round = 0; round < MAX_SETTLE_ROUNDS; round++) {
      const pending = this.inflight.get(orderId);
      if (!pending) return;
      await pending;
    }
  }

  busy(orderId: string): boolean {
    return this.inflight.has(orderId);
  }

  private track(orderId: string, work: Promise<void>): void {
    const done = work
      .catch((error: unknown) => log.error('shard link: step failed', { shard: this.host.state().shardKey, orderId, error }))
      .finally(() => {
        if (this.inflight.get(orderId) === done) this.inflight.delete(orderId);
      });
    this.inflight.set(orderId, done);
  }

  private async gather(orderId: string, seq: number): Promise<void> {
    const state = this.host.state();
    const job = state.jobs.get(orderId);
    if (!job?.neighbours?.length) return;
    const keys = job.neighbours;
    const query: CandidateQuery = {
      pickup: job.pickup,
      radiusM: state.policy.radiiM[state.policy.radiiM.length - 1] ?? 0,
      k: state.policy.candidatesPerSearch + Object.keys(job.excluded).length,
    };
    const answers = await Promise.allSettled(keys.map((key) => withTimeout(this.host.peer(key).candidatesNear(query), GATHER_TIMEOUT_MS, key)));
    const remote: RemoteCandidate[] = [];
    const unanswered: string[] = [];
    answers.forEach((a, i) => {
      const key = keys[i]!;
      // The shard is the one asked, whatever the answer says.
      if (a.status === 'fulfilled') for (const c of a.value) remote.push({ driverId: c.driverId, vehicle: c.vehicle, position: { lat: c.position.lat, lng: c.position.lng }, idleSince: c.idleSince, shardKey: key });
      else unanswered.push(key);
    });
    if (unanswered.length > 0) log.warn('shard link: neighbours did not answer', { shard: state.shardKey, orderId, unanswered });
    this.host.step({ type: 'dispatch.gathered', orderId, seq, remote, unanswered });
  }

  private async place(offerId: string): Promise<void> {
    const state = this.host.state();
    const offer = state.offers.get(offerId);
    const job = offer ? state.jobs.get(offer.orderId) : undefined;
    if (!offer?.driverShard || !job || offer.status !== 'pending') return;
    const request: HostRequest = {
      offerId,
      orderId: job.orderId,
      driverId: offer.driverId,
      ownerShard: state.shardKey,
      pickup: job.pickup,
      dropoff: job.dropoff,
      payoutCents: job.payoutCents,
      ...(job.shop ? { shop: job.shop } : {}),
      expiresAt: offer.expiresAt,
    };
    let result: HostResult;
    let unknown = false;
    try {
      result = await withTimeout(this.host.peer(offer.driverShard).hostOffer(request), PLACE_TIMEOUT_MS, offer.driverShard);
    } catch (error) {
      result = { placed: false, reason: `no answer (${String(error).slice(0, 120)})` };
      unknown = true;
    }
    this.host.step({ type: 'remote.placed', offerId, result, unknown });
  }

  /** Sends the calls that are due; a failed one waits for the alarm, with backoff. */
  async deliverCalls(): Promise<void> {
    if (this.calling) return;
    this.calling = true;
    try {
      for (;;) {
        const rows = this.host.repo.dueRemoteCalls(this.host.clock(), 20);
        if (rows.length === 0) return;
        await Promise.all(rows.map((row) => this.deliver(row)));
      }
    } finally {
      this.calling = false;
    }
  }

  private async deliver(row: RemoteCallRow): Promise<void> {
    const { call } = row;
    const repo = this.host.repo;
    try {
      const peer = this.host.peer(call.shardKey);
      switch (call.kind) {
        case 'answer': {
          const reply = await withTimeout(peer.remoteOfferAnswer(call.body), CALL_TIMEOUT_MS, call.shardKey);
          this.host.step({ type: 'remote.answered', offerId: call.body.offerId, status: reply.status }, () => repo.deleteRemoteCall(row.seq));
          return;
        }
        case 'withdraw':
          await withTimeout(peer.withdrawHostedOffer(call.body), CALL_TIMEOUT_MS, call.shardKey);
          break;
        case 'release':
          await withTimeout(peer.releaseRemoteOrder(call.body), CALL_TIMEOUT_MS, call.shardKey);
          break;
      }
      repo.deleteRemoteCall(row.seq);
    } catch (error) {
      const shard = this.host.state().shardKey;
      if (row.attempts + 1 >= MAX_CALL_ATTEMPTS) {
        log.error('shard link: call dropped', { shard, call, error });
        repo.deleteRemoteCall(row.seq);
        return;
      }
      const retryAt = this.host.clock() + CALL_RETRY_MS * 2 ** Math.min(7, row.attempts);
      repo.deferRemoteCall(row.seq, retryAt);
      log.warn('shard link: call failed', { shard, id: call.id, to: call.shardKey, attempts: row.attempts + 1, error });
      await this.host.armAlarm(retryAt);
    }
  }

  private relay(e: Extract<Effect, { type: 'relayTrip' }>): void {
    this.relays.set(e.orderId, e);
    if (this.relayTimer === null) this.flushRelays();
  }

  /** Sends the latest position per order now, then at most once per RELAY_MS while positions keep coming. */
  private flushRelays(): void {
    const batch = [...this.relays.values()];
    this.relays.clear();
    for (const r of batch) {
      const body: TripBody = { orderId: r.orderId, driverId: r.driverId, vehicle: r.vehicle, position: r.position };
      this.host
        .peer(r.shardKey)
        .remoteTripPosition(body)
        .catch((error: unknown) => log.warn('shard link: trip relay failed', { to: r.shardKey, orderId: r.orderId, error }));
    }
    this.relayTimer = setTimeout(() => {
      this.relayTimer = null;
      if (this.relays.size > 0) this.flushRelays();
    }, RELAY_MS);
  }
}
