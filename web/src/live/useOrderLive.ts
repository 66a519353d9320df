/**
 * Live view of one order over GET (WebSocket) /v1/orders/{id}/live: status,
 * dispatch state, the driver's position and trail, and the ETA. The shard
 * greets every (re)connection with the current status, position and ETA, so
 * nothing is lost across a reconnect; `synced` counts opens so callers reload
 * the history (GET /v1/orders/{id}/events) each time the channel comes back.
 */
import { useCallback, useState } from 'react';
import { ServerToWatcherSchema } from '../../../domain/protocol/city-shard';
import type { DispatchState, OrderStatus } from '../../../domain/order';
import type { LatLng } from '../api/types';
import { acceptsSeq, maxSeq, seqOf } from './order-seq';
import { etaSince } from './eta';
import { useLiveChannel, type LiveChannel } from './useLiveChannel';

export interface DriverFix extends LatLng {
  heading?: number | undefined;
  at: string;
}

export interface OrderLiveState {
  status: OrderStatus | null;
  dispatch: DispatchState | null;
  statusAt: string | null;
  /** The highest order `seq` a status frame carried (null: none carried one). */
  seq: number | null;
  driver: DriverFix | null;
  /** Positions received, oldest first (capped). */
  trail: DriverFix[];
  etaSeconds: number | null;
  /** Seconds to the pickup while the driver is on the way there (ADR 0076). */
  pickupEtaSeconds: number | null;
  /** When the ETA holds (ms, this browser's clock: the frame's time, eta.ts), to count it down between updates. */
  etaAt: number | null;
  /** Number of times the channel opened (first open and every reconnect). */
  synced: number;
  /** Chat frames received (ADR 0113): a chat view reads its thread again when this changes. */
  chatSeq: number;
}

const TRAIL_LIMIT = 500;

const INITIAL: OrderLiveState = { status: null, dispatch: null, statusAt: null, seq: null, driver: null, trail: [], etaSeconds: null, pickupEtaSeconds: null, etaAt: null, synced: 0, chatSeq: 0 };

export function useOrderLive(orderId: string | null, getSession: () => Promise<string | null>, enabled = true): OrderLiveState & { channel: LiveChannel } {
  const [state, setState] = useState<OrderLiveState>(INITIAL);
  const [forOrder, setForOrder] = useState(orderId);
  if (forOrder !== orderId) {
    setForOrder(orderId);
    setState(INITIAL);
  }

  const onMessage = useCallback(
    (data: string) => {
      let raw: unknown;
      try {
        raw = JSON.parse(data);
      } catch {
        return;
      }
      const parsed = ServerToWatcherSchema.safeParse(raw);
      if (!parsed.success) return;
      const m = parsed.data;
      if ('orderId' in m && m.orderId !== orderId) return;
      setState((s) => {
        switch (m.type) {
          case 'status': {
            // Messages can cross a reconnect: never step back to an older version of the order.
            // With a seq on both sides, the seq decides (live/order-seq.ts); without, the time does, as before v1.1.
            const seq = seqOf(raw);
            if (!acceptsSeq(s.seq, seq)) return s;
            if ((seq === null || s.seq === null) && s.statusAt && Date.parse(m.at) < Date.parse(s.statusAt)) return s;
            return { ...s, status: m.status, dispatch: m.dispatch, statusAt: m.at, seq: maxSeq(s.seq, seq) };
          }
          case 'location': {
            if (s.driver && Date.parse(m.at) <= Date.parse(s.driver.at)) return s;
            const fix: DriverFix = { lat: m.lat, lng: m.lng, heading: m.heading, at: m.at };
            const trail = s.trail.length >= TRAIL_LIMIT ? [...s.trail.slice(1), fix] : [...s.trail, fix];
            return { ...s, driver: fix, trail };
          }
          case 'eta':
            return { ...s, etaSeconds: m.seconds, pickupEtaSeconds: m.pickupSeconds ?? null, etaAt: etaSince(m.at, Date.now()) };
          case 'chat':
            return { ...s, chatSeq: s.chatSeq + 1 };
          case 'pong':
          case 'error':
            return s;
        }
      });
    },
    [orderId],
  );

  const channel = useLiveChannel({
    path: orderId && enabled ? `/v1/orders/${encodeURIComponent(orderId)}/live` : null,
    getSession,
    onMessage,
    onOpen: () => setState((s) => ({ ...s, synced: s.synced + 1 })),
  });

  return { ...state, channel };
}
