/**
 * Abuse limits of every live socket (ASVS V11.1.4, OWASP API4:2023): how big
 * a client frame may be, how many frames a socket may send, and how many
 * sockets one principal may hold. Shared by the CityShard (drivers and order
 * watchers) and the MerchantFeed; documented in the live routes' OpenAPI
 * descriptions and docs/security.md.
 *
 * - A frame over the size limit closes the socket with 1009 (message too big).
 * - Frames beyond the rate (a token bucket per socket) close it with 1008
 *   (policy violation). Pings that match the auto-response frame byte for byte
 *   are answered by the runtime and never counted; everything else is.
 * - Sockets beyond the per-principal cap are refused before the upgrade with
 *   429 and Retry-After, which the Worker answers as an RFC 9457 problem.
 *
 * The buckets live in memory: a hibernated object forgets them, which only
 * happens to an idle socket, so the limit still holds for a sending one.
 */
import { MAX_FRAME_BYTES } from '../domain/protocol/city-shard';

export const SOCKET_CLOSE = {
  /** RFC 6455: a frame larger than the channel allows. */
  tooBig: 1009,
  /** RFC 6455: policy violation — here, frames faster than the channel allows. */
  policy: 1008,
} as const;

export type Channel = 'driver' | 'watcher' | 'feed';

export interface FrameLimit {
  /** Largest frame, in UTF-8 bytes. */
  maxBytes: number;
  /** Sustained frames per second. */
  perSecond: number;
  /** Frames that may arrive at once before the rate applies. */
  burst: number;
}

/**
 * Drivers send a fix every second or two (batches of up to 100 fixes after a
 * gap, 16 KiB), plus availability and offer answers; watchers and the feed
 * only ever send pings. Far above what the apps and the simulator send, far
 * below what would cost the object.
 */
export const FRAME_LIMITS: Readonly<Record<Channel, FrameLimit>> = {
  driver: { maxBytes: MAX_FRAME_BYTES, perSecond: 20, burst: 60 },
  watcher: { maxBytes: 4 * 1024, perSecond: 5, burst: 20 },
  feed: { maxBytes: 4 * 1024, perSecond: 5, burst: 20 },
};

/** Sockets one principal may hold: an order's watchers (its customer, merchant and driver), a merchant's feed. */
export const SOCKET_CAPS = {
  watchersPerOrder: 20,
  feedSocketsPerMerchant: 10,
  /** What a refused upgrade is told to wait (seconds). */
  retryAfterSeconds: 30,
} as const;

/** The 429 a Durable Object answers a refused upgrade with; the Worker turns it into a problem. */
export const tooManySockets = (detail: string): Response =>
  new Response(detail, { status: 429, headers: { 'Retry-After': String(SOCKET_CAPS.retryAfterSeconds), 'Content-Type': 'text/plain' } });

/** UTF-8 size of a frame without encoding it unless it could be over the limit. */
export function frameBytesOver(message: string | ArrayBuffer, limit: number): boolean {
  if (typeof message !== 'string') return message.byteLength > limit;
  if (message.length * 3 <= limit) return false;
  if (message.length > limit) return true;
  return new TextEncoder().encode(message).byteLength > limit;
}

export interface Refusal {
  code: number;
  reason: string;
}

/** Size and rate of client frames, per socket. */
export class FrameGuard {
  private readonly buckets = new WeakMap<WebSocket, { tokens: number; at: number }>();

  constructor(readonly limits: Readonly<Record<Channel, FrameLimit>> = FRAME_LIMITS) {}

  /** Null when the frame may be handled; otherwise how to close the socket. */
  admit(ws: WebSocket, channel: Channel, message: string | ArrayBuffer, now: number): Refusal | null {
    const limit = this.limits[channel];
    if (frameBytesOver(message, limit.maxBytes)) return { code: SOCKET_CLOSE.tooBig, reason: `frame larger than ${limit.maxBytes} bytes` };
    const bucket = this.buckets.get(ws) ?? { tokens: limit.burst, at: now };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * limit.perSecond);
    bucket.at = now;
    this.buckets.set(ws, bucket);
    if (bucket.tokens < 1) return { code: SOCKET_CLOSE.policy, reason: `more than ${limit.perSecond} frames a second` };
    bucket.tokens -= 1;
    return null;
  }
}

/** Closes the socket; one already closed needs nothing (false). */
export function safeClose(ws: WebSocket, code: number, reason: string): boolean {
  try {
    ws.close(code, reason);
    return true;
  } catch {
    return false;
  }
}

/** Sends if the socket is still open; one closing concurrently is cleaned up by its close handler. */
export function trySend(ws: WebSocket, body: string): void {
  try {
    ws.send(body);
  } catch {
    // Closing.
  }
}
