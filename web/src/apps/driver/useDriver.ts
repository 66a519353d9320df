/**
 * The driver app's live state: the {@link DriverChannel} (socket, offers,
 * assignment, position outbox persisted in localStorage) plus the browser's
 * Geolocation API feeding it while the driver is online.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { toApiProblem } from '../../api/client';
import type { ConnectionState } from '../../../../domain/live/connection';
import { DriverChannel, type DriverSessionInfo, type LocationPoint, type OfferMessage } from '../../../../domain/live/driver-channel';
import type { PointStore, UploadOutcome } from '../../../../domain/live/location-outbox';
import type { AppSession } from '../shared/session';

/** One stop of a stacked route (the offer's `batch.stops`). */
export type BatchStop = NonNullable<OfferMessage['batch']>['stops'][number];

const STORE_KEY = 'dp.driver.outbox';

/** Queued positions survive a reload or a crash of the tab (a PWA is killed often). */
class LocalPointStore implements PointStore {
  load(): LocationPoint[] {
    try {
      return JSON.parse(window.localStorage.getItem(STORE_KEY) ?? '[]') as LocationPoint[];
    } catch {
      return [];
    }
  }
  save(points: LocationPoint[]): void {
    try {
      window.localStorage.setItem(STORE_KEY, JSON.stringify(points));
    } catch {
      // Full or unavailable: the queue lives in memory only.
    }
  }
}

export interface GeoState {
  status: 'idle' | 'waiting' | 'ok' | 'denied' | 'unavailable';
  last: LocationPoint | null;
  message?: string;
}

export interface DriverState {
  online: boolean;
  connection: ConnectionState;
  attempt: number;
  session: DriverSessionInfo | null;
  offers: OfferMessage[];
  orderId: string | null;
  /** A second order stacked on `orderId` (ADR 0105), and the route the accepted offer showed. */
  stacked: { orderId: string; stops: BatchStop[] } | null;
  /** Points waiting to be sent. */
  pending: number;
  /** The shard has not heard from this driver and asks whether they are still there (ADR 0079). */
  ping: { orderId: string; releaseAt: string | null } | null;
  sentViaHttp: number;
  notice: string | null;
  /** Chat frames received (ADR 0113): the job's chat reads its threads again when this changes. */
  chatSeq: number;
  geo: GeoState;
  networkOnline: boolean;
}

function toPoint(pos: GeolocationPosition): LocationPoint {
  const c = pos.coords;
  const p: LocationPoint = { lat: c.latitude, lng: c.longitude, at: new Date(pos.timestamp || Date.now()).toISOString() };
  if (c.heading !== null && Number.isFinite(c.heading) && c.heading >= 0 && c.heading <= 360) p.heading = c.heading;
  if (c.speed !== null && Number.isFinite(c.speed) && c.speed >= 0) p.speed = Math.min(c.speed, 100);
  if (Number.isFinite(c.accuracy) && c.accuracy >= 0) p.accuracy = Math.min(c.accuracy, 100_000);
  return p;
}

const ONLINE_KEY = 'dp.driver.online';
const STILL_HERE_MS = 15_000;

export function useDriver(session: AppSession) {
  const [state, setState] = useState<DriverState>(() => ({
    online: false,
    connection: 'closed',
    attempt: 0,
    session: null,
    offers: [],
    orderId: null,
    stacked: null,
    pending: 0,
    ping: null,
    sentViaHttp: 0,
    notice: null,
    chatSeq: 0,
    geo: { status: 'idle', last: null },
    networkOnline: navigator.onLine,
  }));
  const channelRef = useRef<DriverChannel | null>(null);
  const watchRef = useRef<number | null>(null);
  const lastFix = useRef<{ point: LocationPoint; reportedAt: number } | null>(null);
  const stillHere = useRef<ReturnType<typeof setInterval> | null>(null);

  const channel = useCallback((): DriverChannel => {
    if (channelRef.current) return channelRef.current;
    const upload = async (points: LocationPoint[]): Promise<UploadOutcome> => {
      try {
        await session.fetch('/v1/drivers/me/locations', { method: 'POST', json: { points } });
        return 'sent';
      } catch (error) {
        const status = toApiProblem(error).status;
        // Refused for good (malformed, too old): dropping it unblocks the queue.
        return status === 400 || status === 409 || status === 413 || status === 422 ? 'drop' : 'retry';
      }
    };
    const ch = new DriverChannel({
      origin: window.location.origin,
      getSession: () => session.live(),
      uploadBatch: upload,
      store: new LocalPointStore(),
      onEvent: (event) => {
        if (event.type === 'state') {
          setState((s) => ({
            ...s,
            connection: event.state,
            attempt: event.attempt,
            notice: event.state === 'closed' && event.closeCode === 4001 ? 'You went online on another device; this one is now offline.' : s.notice,
            ...(event.state === 'closed' && event.closeCode === 4001 ? { online: false } : {}),
          }));
        } else if (event.type === 'flushed') {
          setState((s) => ({ ...s, pending: event.result.pending, sentViaHttp: s.sentViaHttp + event.result.viaHttp }));
        } else {
          const m = event.message;
          setState((s) => {
            switch (m.type) {
              case 'session':
                return {
                  ...s,
                  session: ch.session,
                  orderId: m.orderId,
                  // The shard names the order carried first and the one stacked on it (so a reload finds both);
                  // from an older shard without `stacked`: kept until the carried one ended and the stacked one is it.
                  stacked: m.stacked !== undefined ? m.stacked : s.stacked && m.orderId && m.orderId !== s.stacked.orderId ? s.stacked : null,
                  offers: s.offers.filter((o) => Date.parse(o.expiresAt) > Date.now()),
                };
              case 'offer':
                navigator.vibrate?.([200, 100, 200]);
                return { ...s, offers: [...s.offers.filter((o) => o.offerId !== m.offerId), m] };
              case 'offer.expired':
                return { ...s, offers: s.offers.filter((o) => o.offerId !== m.offerId) };
              case 'assignment': {
                // A stacked order rides along with the one carried: the route comes from its offer.
                const batch = s.offers.find((o) => o.orderId === m.orderId)?.batch;
                if (s.orderId && s.orderId !== m.orderId && batch?.withOrderId === s.orderId) {
                  return { ...s, stacked: { orderId: m.orderId, stops: batch.stops }, offers: [], session: ch.session, notice: null, ping: null };
                }
                return { ...s, orderId: m.orderId, offers: [], session: ch.session, notice: null, ping: null };
              }
              case 'assignment.ping':
                navigator.vibrate?.([300, 100, 300]);
                return { ...s, ping: { orderId: m.orderId, releaseAt: m.releaseAt } };
              case 'assignment.released':
                return {
                  ...s,
                  orderId: s.orderId === m.orderId ? null : s.orderId,
                  ping: null,
                  session: ch.session,
                  notice: `The order was taken away and given to another driver: we had not heard from you for ${Math.max(1, Math.round(m.silentSeconds / 60))} min. Go online again when you are ready for offers.`,
                };
              case 'assignment.cancelled':
                return { ...s, orderId: s.orderId === m.orderId ? null : s.orderId, session: ch.session, notice: 'The order was cancelled: you are free for another one.' };
              case 'assignment.reassigned':
                return {
                  ...s,
                  orderId: s.orderId === m.orderId ? null : s.orderId,
                  stacked: s.stacked?.orderId === m.orderId ? null : s.stacked,
                  ping: null,
                  session: ch.session,
                  notice: 'An operator gave this order to another driver: you are free for another one.',
                };
              case 'ops.message':
                navigator.vibrate?.([200, 100, 200]);
                return { ...s, notice: `Operations: ${m.text}` };
              case 'chat':
                return { ...s, chatSeq: s.chatSeq + 1 };
              case 'error':
                return { ...s, notice: m.detail };
              case 'location.rejected':
              case 'pong':
                return s;
            }
          });
        }
      },
    });
    channelRef.current = ch;
    setState((s) => ({ ...s, pending: ch.outbox.pending }));
    return ch;
  }, [session]);

  const startGeolocation = useCallback(() => {
    if (watchRef.current !== null) return;
    // A parked phone reports no new fix (the position does not change), and the
    // shard takes a driver silent for 45 s as gone: say "still here" every 15 s.
    stillHere.current ??= setInterval(() => {
      const last = lastFix.current;
      if (!last || Date.now() - last.reportedAt < STILL_HERE_MS) return;
      const point = { ...last.point, at: new Date().toISOString() };
      lastFix.current = { point, reportedAt: Date.now() };
      channelRef.current?.report(point);
    }, STILL_HERE_MS / 3);
    if (!('geolocation' in navigator)) {
      setState((s) => ({ ...s, geo: { status: 'unavailable', last: null, message: 'This device cannot share its position.' } }));
      return;
    }
    setState((s) => ({ ...s, geo: { ...s.geo, status: s.geo.last ? 'ok' : 'waiting' } }));
    watchRef.current = navigator.geolocation.watchPosition(
      (pos) => {
        const point = toPoint(pos);
        const ch = channelRef.current;
        if (ch) ch.report(point);
        lastFix.current = { point, reportedAt: Date.now() };
        setState((s) => ({ ...s, geo: { status: 'ok', last: point }, pending: ch?.outbox.pending ?? s.pending }));
      },
      (error) => {
        const denied = error.code === error.PERMISSION_DENIED;
        setState((s) => ({
          ...s,
          geo: { status: denied ? 'denied' : 'unavailable', last: s.geo.last, message: denied ? 'Location access is blocked. Allow it in the browser settings to receive offers.' : 'No position yet (no GPS signal).' },
        }));
      },
      { enableHighAccuracy: true, maximumAge: 5_000, timeout: 30_000 },
    );
  }, []);

  const stopGeolocation = useCallback(() => {
    if (watchRef.current !== null) navigator.geolocation.clearWatch(watchRef.current);
    watchRef.current = null;
    if (stillHere.current !== null) clearInterval(stillHere.current);
    stillHere.current = null;
    lastFix.current = null;
  }, []);

  const goOnline = useCallback(() => {
    channel().connect(true);
    startGeolocation();
    try {
      window.localStorage.setItem(ONLINE_KEY, '1');
    } catch {
      // Not remembered.
    }
    setState((s) => ({ ...s, online: true, notice: null }));
  }, [channel, startGeolocation]);

  const goOffline = useCallback(async () => {
    stopGeolocation();
    try {
      window.localStorage.removeItem(ONLINE_KEY);
    } catch {
      // Nothing to forget.
    }
    setState((s) => ({ ...s, online: false, offers: [] }));
    await channelRef.current?.disconnect();
    setState((s) => ({ ...s, connection: 'closed', session: null, pending: channelRef.current?.outbox.pending ?? 0 }));
  }, [stopGeolocation]);

  // A driver who was online stays online across a reload of the app.
  useEffect(() => {
    let wasOnline: boolean;
    try {
      wasOnline = window.localStorage.getItem(ONLINE_KEY) === '1';
    } catch {
      wasOnline = false;
    }
    if (wasOnline) goOnline();
    const back = () => {
      setState((s) => ({ ...s, networkOnline: true }));
      channelRef.current?.reconnect();
      void channelRef.current?.flush();
    };
    const gone = () => {
      setState((s) => ({ ...s, networkOnline: false }));
      // The device says it has no network: the socket is as good as dead, so stop
      // writing into it (frames would be lost) and let the outbox keep the fixes.
      channelRef.current?.reconnect();
    };
    window.addEventListener('online', back);
    window.addEventListener('offline', gone);
    return () => {
      window.removeEventListener('online', back);
      window.removeEventListener('offline', gone);
      stopGeolocation();
      const ch = channelRef.current;
      channelRef.current = null;
      void ch?.disconnect();
    };
  }, [goOnline, stopGeolocation]);

  const accept = useCallback((offerId: string) => {
    const sent = channelRef.current?.accept(offerId) ?? false;
    if (!sent) setState((s) => ({ ...s, notice: 'Not connected: the offer could not be accepted. Reconnecting…' }));
    return sent;
  }, []);

  const decline = useCallback((offerId: string, reason?: string) => {
    channelRef.current?.decline(offerId, reason);
    setState((s) => ({ ...s, offers: s.offers.filter((o) => o.offerId !== offerId) }));
  }, []);

  /** An order ended: with a stacked one the driver goes on to it. */
  const finishedOrder = useCallback((orderId?: string) => {
    setState((s) => {
      if (s.stacked && orderId === s.stacked.orderId) return { ...s, stacked: null };
      if (s.stacked && (orderId === undefined || orderId === s.orderId)) return { ...s, orderId: s.stacked.orderId, stacked: null };
      return { ...s, orderId: null };
    });
  }, []);

  /** The driver answers the shard's "are you still there?". */
  const answerPing = useCallback(() => {
    const sent = channelRef.current?.stillHere() ?? false;
    setState((s) => ({ ...s, ping: sent ? null : s.ping, notice: sent ? s.notice : 'Not connected: reconnecting… Your position will count as soon as it is sent.' }));
  }, []);

  return { state, goOnline, goOffline, accept, decline, finishedOrder, answerPing };
}
