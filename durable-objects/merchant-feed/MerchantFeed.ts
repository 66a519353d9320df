import { DurableObject } from 'cloudflare:workers';
import { DEFAULT_RETENTION, parseSince, planCatchUp } from './backlog';
import { ClientMessageSchema, FEED_PROTOCOL_VERSION, FeedEventInputSchema, PING, PONG, type FeedEventInput, type ServerMessage, type StatusMessage } from '../../domain/protocol/merchant-feed';
import { missingEvents } from './order-log';
import { FeedRepository } from './storage';
import { closeFor, FrameGuard, SOCKET_CAPS, tooManySockets } from '../socket-limits';
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
export class MerchantFeed extends DurableObject<Env> {
  private readonly repo: FeedRepository;
  /** A cache only: lost on eviction, when the next publish asks storage again. */
  private alarmArmed = false;
  /** Publishes one at a time: a gap's fill awaits Postgres, and nothing may overtake it. */
  private publishing: Promise<unknown> = Promise.resolve();
  /** Size and rate of what clients send (durable-objects/socket-limits.ts). */
  frameGuard = new FrameGuard();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.repo = new FeedRepository(ctx.storage.sql);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
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

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('Upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('Expected a WebSocket upgrade', { status: 426 });
    }
    const url = new URL(request.url);
    const merchantId = request.headers.get('X-Merchant-Id') ?? '';
    // One merchant's screens and integrations, not an unbounded number (the Worker answers 429 as a problem).
    if (this.ctx.getWebSockets().length >= SOCKET_CAPS.feedSocketsPerMerchant) {
      return tooManySockets(`At most ${SOCKET_CAPS.feedSocketsPerMerchant} live feed connections per merchant.`);
    }
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server);
    const userId = request.headers.get(SESSION_HEADERS.userId) ?? undefined;
    const sid = request.headers.get(SESSION_HEADERS.sessionId) ?? undefined;
    server.serializeAttachment({ v: 1, merchantId, connectedAt: Date.now(), ...(userId && sid ? { userId, sid } : {}) } satisfies SocketAttachment);

    // Catch-up runs with no await between reading the backlog and accepting the
    // socket, so no publish can slip in between: nothing missed, nothing twice.
    const latestSeq = this.repo.latestSeq();
    this.trySend(server, { type: 'hello', v: FEED_PROTOCOL_VERSION, merchantId, seq: latestSeq });
    const plan = planCatchUp(parseSince(url.searchParams.get('since')), { oldestSeq: this.repo.oldestSeq(), latestSeq });
    if (plan.kind === 'replay') {
      for (const body of this.repo.eventsAfter(plan.after, DEFAULT_RETENTION.maxEvents)) this.trySendRaw(server, body);
    } else if (plan.kind === 'resync') {
      this.trySend(server, { type: 'resync', seq: latestSeq, reason: plan.reason });
    }
    this.trySend(server, { type: 'live', seq: latestSeq });
    return new Response(null, { status: 101, webSocket: client });
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
      try {
        ws.close(SESSION_ENDED_CLOSE.code, SESSION_ENDED_CLOSE.reason);
        closed++;
      } catch {
        // Already closing.
      }
    }
    return closed;
  }

  /** RPC when the business closes (ADR 0089): every socket, API keys' included, closes with 4401. */
  closeAll(_reason: string): number {
    let closed = 0;
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.close(SESSION_ENDED_CLOSE.code, 'business closed');
        closed++;
      } catch {
        // Already closing.
      }
    }
    return closed;
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // Over 4 KiB: 1009; faster than the feed's rate: 1008.
    const refusal = this.frameGuard.admit(ws, 'feed', message, Date.now());
    if (refusal) {
      closeFor(ws, refusal);
      return;
    }
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

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // Already closed (the runtime may have answered the close frame itself).
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    try {
      ws.close(1011, 'socket error');
    } catch {
      // Already gone.
    }
  }

  override async alarm(): Promise<void> {
    // Idempotent: pruning twice removes nothing more.
    this.repo.prune(DEFAULT_RETENTION, Date.now());
    this.alarmArmed = this.repo.count() > 0;
    if (this.alarmArmed) await this.ctx.storage.setAlarm(Date.now() + PRUNE_INTERVAL_MS);
  }

  private trySend(ws: WebSocket, message: ServerMessage): void {
    this.trySendRaw(ws, JSON.stringify(message));
  }

  private trySendRaw(ws: WebSocket, body: string): void {
    try {
      ws.send(body);
    } catch {
      // A socket closing concurrently; its close handler cleans up.
    }
  }
}
