/**
 * The merchant's live order feed (GET (WebSocket) /v1/merchants/{id}/live,
 * domain/protocol/merchant-feed.ts). Every message carries the
 * merchant's sequence number; each reconnect asks for `?since=<last seq>`, so
 * events that happened while the socket was down arrive first, in order.
 * When the server no longer keeps them all it says `resync` and the caller
 * reloads its list. The last seq is kept per tab (sessionStorage), so a reload
 * of the page catches up too.
 */
import { useCallback, useRef } from 'react';
import type { StatusMessage } from '../../../domain/protocol/merchant-feed';
import { useLiveChannel, type LiveChannel } from './useLiveChannel';

/**
 * A status frame. `orderSeq` (v1.1) is the order's own seq (the frame's `seq`
 * counts the merchant's events): a frame with a lower `orderSeq` than the
 * order held is behind it (live/order-seq.ts). Older servers leave it out.
 */
export type FeedStatus = StatusMessage & { orderSeq?: number };

interface MerchantFeedOptions {
  merchantId: string | null;
  /** The app whose session cookie authenticates the feed (ADR 0087). */
  getSession: () => Promise<string | null>;
  /** A status change; `live` is false while catching up after a reconnect. */
  onStatus: (message: FeedStatus, live: boolean) => void;
  /** The list must be reloaded (first connect, or missed events no longer kept). */
  onResync: () => void;
}

const seqKey = (merchantId: string) => `dp.merchantFeed.seq.${merchantId}`;

function loadSeq(merchantId: string): number | null {
  try {
    const v = window.sessionStorage.getItem(seqKey(merchantId));
    return v === null ? null : Number(v);
  } catch {
    return null;
  }
}

function saveSeq(merchantId: string, seq: number): void {
  try {
    window.sessionStorage.setItem(seqKey(merchantId), String(seq));
  } catch {
    // Catch-up then relies on the in-memory seq only.
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

export function useMerchantFeed({ merchantId, getSession, onStatus, onResync }: MerchantFeedOptions): LiveChannel {
  const seq = useRef<number | null>(merchantId ? loadSeq(merchantId) : null);
  const live = useRef(false);
  const handlers = useRef({ onStatus, onResync });
  handlers.current = { onStatus, onResync };

  const onMessage = useCallback(
    (data: string) => {
      let m: unknown;
      try {
        m = JSON.parse(data);
      } catch {
        return;
      }
      if (!isRecord(m) || typeof m.type !== 'string' || !merchantId) return;
      const at = typeof m.seq === 'number' ? m.seq : null;
      switch (m.type) {
        case 'hello':
          live.current = false;
          // A first connection has nothing to catch up: the list is loaded fresh.
          // Otherwise `hello` carries the latest seq, and the missed events follow it.
          if (seq.current !== null) return;
          handlers.current.onResync();
          break;
        case 'status':
          if (at !== null && seq.current !== null && at <= seq.current) return; // already seen
          handlers.current.onStatus(m as unknown as FeedStatus, live.current);
          break;
        case 'live':
          live.current = true;
          break;
        case 'resync':
          handlers.current.onResync();
          break;
        default:
          return;
      }
      if (at !== null && (seq.current === null || at > seq.current)) {
        seq.current = at;
        saveSeq(merchantId, at);
      }
    },
    [merchantId],
  );

  return useLiveChannel({
    path: merchantId ? `/v1/merchants/${encodeURIComponent(merchantId)}/live` : null,
    getSession,
    onMessage,
    query: () => (seq.current !== null ? { since: String(seq.current) } : {}),
  });
}
