import { DEFAULT_RETENTION, parseSince, planCatchUp } from './backlog';
import { ClientMessageSchema, FEED_PROTOCOL_VERSION, FeedEventInputSchema, PING, PONG, type FeedEventInput, type ServerMessage, type StatusMessage } from '../../domain/protocol/merchant-feed';
import { missingEvents } from './order-log';
import { FeedRepository } from './storage';
import { HibernatingObject } from '../hibernating';
import { safeClose, SOCKET_CAPS, tooManySockets, trySend, type Channel } from '../socket-limits';
import { log } from '../../domain/log';
import { SESSION_ENDED_CLOSE, SESSION_HEADERS, socketInSessions } from '../../domain/live-sessions';

/** How often the alarm prunes events past the retention window. */
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

interface SocketAttachment {
  v: 1;
  merchantId: string;
  connectedAt: number;
  /** The signed-in user and session that opened it (absent for an API key): ended sessions close it (ADR 0082). */
  userId?: string;
  sid?: string;
}

function attachmentOf(ws: WebSocket): SocketAttachment | null {
  try {
    const a = ws.deserializeAttachment() as SocketAttachment | null;
    return a && a.v === 1 ? a : null;
  } catch {
    return null;
  }
}

export interface FeedStats {
  events: number;
  latestSeq: number;
  oldestSeq: number | null;
  sockets: number;
}

/**
 * One per merchant (named by the merchant id): the merchant's live order feed
 * (docs/decisions/0025-merchant-live-feed.md). The Worker publishes each
 * order change right after its commit; the object numbers it, keeps it in
 * SQLite for catch-up and sends it to every connected socket. Sockets use the
 * hibernation API, so an idle merchant screen costs nothing; pings are
 * answered by the runtime without waking the object.
 */
export class MerchantFeed extends HibernatingObject {
  private readonly repo: FeedRepository;
  /** A cache only: lost on eviction, when the next publish asks storage again. */
  private alarmArmed = false;
  /** Publishes one at a time: a gap's fill awaits Postgres, and nothing may overtake it. */
  private publishing: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { ping: PING, pong: PONG });
    this.repo = new FeedRepository(ctx.storage.sql);
    void ctx.blockConcurrencyWhile(async () => {
      this.repo.migrate();
    });
  }

  /**
   * RPC from the Worker after a commit, and from the queue's backstop.
   * Duplicates (same eventId, or an order seq already sent) are ignored, so a
   * relay may republish; one order's events go out in seq order, a gap filled
   * from the order's log first (ADR 0075).
   */
  publish(events: FeedEventInput[]): Promise<{ seqs: number[] }> {
    const run = this.publishing.then(() => this.publishInOrder(events.map((e) => FeedEventInputSchema.parse(e))));
    this.publishing = run.catch(() => undefined);
    return run;
  }

  private async publishInOrder(events: FeedEventInput[]): Promise<{ seqs: number[] }> {
    const now = Date.now();
    const messages: StatusMessage[] = [];
    const ordered = [...events].sort((a, b) => (a.orderId === b.orderId ? (a.orderSeq ?? 0) - (b.orderSeq ?? 0) : 0));
    for (const e of ordered) {
      const head = e.orderSeq === undefined ? 0 : this.repo.orderHead(e.orderId);
      if (head > 0 && e.orderSeq! > head + 1) {
        try {
          for (const missing of await missingEvents(this.env.HYPERDRIVE.connectionString, e.orderId, head, e.orderSeq!)) {
            const m = this.repo.append(missing, now);
            if (m) messages.push(m);
          }
        } catch (error) {
          // The newer event still goes out: its snapshot is the whole order; a client reloads on a gap.
          log.warn('merchant feed: gap not filled from the order log', { orderId: e.orderId, after: head, before: e.orderSeq, error });
        }
      }
      const m = this.repo.append(e, now);
      if (m) messages.push(m);
    }
    for (const ws of this.ctx.getWebSockets()) {
      for (const message of messages) this.trySend(ws, message);
    }
    if (messages.length > 0 && !this.alarmArmed) {
      if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now + PRUNE_INTERVAL_MS);
      this.alarmArmed = true;
    }
    return { seqs: messages.map((m) => m.seq) };
  }

  stats(): FeedStats {
    return { events: this.repo.count(), latestSeq: this.repo.latestSeq(), oldestSeq: this.repo.oldestSeq(), sockets: this.ctx.getWebSockets().length };
  }

  protected upgrade(request: Request): Response {
    const url = new URL(request.url);
    const merchantId = request.headers.get('X-Merchant-Id') ?? '';
    // One merchant's screens and integrations, not an unbounded number (the Worker answers 429 as a problem).
    if (this.ctx.getWebSockets().length >= SOCKET_CAPS.feedSocketsPerMerchant) {
      return tooManySockets(`At most ${SOCKET_CAPS.feedSocketsPerMerchant} live feed connections per merchant.`);
    }
    const userId = request.headers.get(SESSION_HEADERS.userId) ?? undefined;
    const sid = request.headers.get(SESSION_HEADERS.sessionId) ?? undefined;
    const attachment: SocketAttachment = { v: 1, merchantId, connectedAt: Date.now(), ...(userId && sid ? { userId, sid } : {}) };
    // Catch-up runs with no await between reading the backlog and accepting the
    // socket, so no publish can slip in between: nothing missed, nothing twice.
    return this.accept([], attachment, (server) => {
      const latestSeq = this.repo.latestSeq();
      this.trySend(server, { type: 'hello', v: FEED_PROTOCOL_VERSION, merchantId, seq: latestSeq });
      const plan = planCatchUp(parseSince(url.searchParams.get('since')), { oldestSeq: this.repo.oldestSeq(), latestSeq });
      if (plan.kind === 'replay') {
        for (const body of this.repo.eventsAfter(plan.after, DEFAULT_RETENTION.maxEvents)) trySend(server, body);
      } else if (plan.kind === 'resync') {
        this.trySend(server, { type: 'resync', seq: latestSeq, reason: plan.reason });
      }
      this.trySend(server, { type: 'live', seq: latestSeq });
    });
  }

  /**
   * RPC from the Worker when sessions end (logout, password change, erasure,
   * removal from the staff): their sockets are closed with 4401 at once.
   * Returns how many were closed.
   */
  endSessions(userId: string, sessions: string[] | 'all', _reason: string): number {
    let closed = 0;
    for (const ws of this.ctx.getWebSockets()) {
      const a = attachmentOf(ws);
      if (!a || !socketInSessions(a, userId, sessions)) continue;
      if (safeClose(ws, SESSION_ENDED_CLOSE.code, SESSION_ENDED_CLOSE.reason)) closed++;
    }
    return closed;
  }

  /** RPC when the business closes (ADR 0089): every socket, API keys' included, closes with 4401. */
  closeAll(_reason: string): number {
    let closed = 0;
    for (const ws of this.ctx.getWebSockets()) {
      if (safeClose(ws, SESSION_ENDED_CLOSE.code, 'business closed')) closed++;
    }
    return closed;
  }

  /** Over 4 KiB: 1009; faster than the feed's rate: 1008 (the base closes). */
  protected channelOf(): Channel {
    return 'feed';
  }

  protected onMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    // Only pings are expected, and the runtime answers those; anything else is a client bug.
    let parsed: unknown;
    try {
      parsed = JSON.parse(typeof message === 'string' ? message : new TextDecoder().decode(message));
    } catch {
      parsed = undefined;
    }
    if (!ClientMessageSchema.safeParse(parsed).success) {
      this.trySend(ws, { type: 'error', code: 'unsupported_message', detail: 'This channel only sends; clients may send {"type":"ping"}.' });
    }
  }

  override async alarm(): Promise<void> {
    // Idempotent: pruning twice removes nothing more.
    this.repo.prune(DEFAULT_RETENTION, Date.now());
    this.alarmArmed = this.repo.count() > 0;
    if (this.alarmArmed) await this.ctx.storage.setAlarm(Date.now() + PRUNE_INTERVAL_MS);
  }

  private trySend(ws: WebSocket, message: ServerMessage): void {
    trySend(ws, JSON.stringify(message));
  }
}
