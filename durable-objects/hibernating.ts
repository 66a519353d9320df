/**
 * The base of the Durable Objects that hold sockets through the hibernation
 * API (CityShard, MerchantFeed; ADR 0115). It owns the plumbing both wrote by
 * hand: pings answered by the runtime without waking the object, a plain
 * request refused with 426, the size and rate guard on every client frame
 * (socket-limits.ts), the close handshake always answered, and accepting a
 * socket with its small versioned attachment. The subclass says what a
 * connection is (`upgrade`) and what a frame means (`onMessage`).
 */
import { DurableObject } from 'cloudflare:workers';
import { FrameGuard, safeClose, type Channel } from './socket-limits';

/** RFC 6455: 1005 and 1006 describe a close, they cannot be sent back. */
const NORMAL_CLOSE = 1000;

export abstract class HibernatingObject<E = Env> extends DurableObject<E> {
  /** Size and rate of what clients send (socket-limits.ts); a soak test's subclass lifts it. */
  protected frameGuard = new FrameGuard();

  /** `ping`/`pong`: the protocol's keep-alive frames, answered by the runtime byte for byte. */
  constructor(ctx: DurableObjectState, env: E, keepAlive: { ping: string; pong: string }) {
    super(ctx, env);
    // Pings never wake a hibernating object: the runtime answers them itself.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(keepAlive.ping, keepAlive.pong));
  }

  /** The upgrade, already known to be one: accept (see `accept`) or refuse with a plain response. */
  protected abstract upgrade(request: Request): Response | Promise<Response>;
  /** Which limits a socket's frames get. */
  protected abstract channelOf(ws: WebSocket): Channel;
  /** A frame within the limits. */
  protected abstract onMessage(ws: WebSocket, message: string | ArrayBuffer): void | Promise<void>;
  /** The socket closed or failed; the close handshake is already answered. */
  protected onGone(_ws: WebSocket): void {}

  /** Accepts the server side with its tags and attachment; the 101 to return. */
  protected accept(tags: string[], attachment: unknown, greet?: (server: WebSocket) => void): Response {
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, tags);
    server.serializeAttachment(attachment);
    greet?.(server);
    return new Response(null, { status: 101, webSocket: client });
  }

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('Upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('Expected a WebSocket upgrade', { status: 426 });
    }
    return this.upgrade(request);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // Over the channel's size: 1009; faster than its rate: 1008.
    const refusal = this.frameGuard.admit(ws, this.channelOf(ws), message, Date.now());
    if (refusal) {
      safeClose(ws, refusal.code, refusal.reason);
      return;
    }
    await this.onMessage(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    // Always answer the close handshake (the runtime may have answered it already).
    safeClose(ws, code === 1005 || code === 1006 ? NORMAL_CLOSE : code, reason);
    this.onGone(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    safeClose(ws, 1011, 'socket error');
    this.onGone(ws);
  }
}
