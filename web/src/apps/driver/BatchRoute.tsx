import { useEffect, useRef, useState } from 'react';
import type { LatLng } from '../../api/types';
import { formatDistance, distanceM, orderName } from '../shared/format';
import type { AppSession } from '../shared/session';
import type { Order } from '../shared/types';
import { useSessionQuery } from '../shared/useSessionQuery';
import type { BatchStop } from './useDriver';

/** A stop is done when its order has moved past it: picked up once in delivery, dropped off once ended. */
export function stopDone(stop: BatchStop, status: Order['status'] | undefined): boolean {
  if (!status) return false;
  if (stop.kind === 'pickup') return status !== 'placed' && status !== 'preparing' && status !== 'ready' && status !== 'pending_payment';
  return status === 'delivered' || status === 'failed' || status === 'cancelled' || status === 'rejected';
}

/** The first stop not done yet: its order is the one the driver acts on now. */
export function nextStop(stops: readonly BatchStop[], statuses: Readonly<Record<string, Order['status'] | undefined>>): BatchStop | null {
  return stops.find((s) => !stopDone(s, statuses[s.orderId])) ?? null;
}

/**
 * Two orders carried at once (ADR 0105): the route the offer showed, each
 * stop ticked off as its order moves on (both orders read every few
 * seconds), and which one is next. The caller shows that order's job panel.
 */
export function BatchRoute({ session, stops, here, onNext }: { session: AppSession; stops: readonly BatchStop[]; here: LatLng | null; onNext: (stop: BatchStop | null) => void }) {
  const ids = [...new Set(stops.map((s) => s.orderId))];
  const tick = useTick(3_000);
  const a = useSessionQuery<Order>(session, ids[0] ? `/v1/orders/${encodeURIComponent(ids[0])}` : null, tick);
  const b = useSessionQuery<Order>(session, ids[1] ? `/v1/orders/${encodeURIComponent(ids[1])}` : null, tick);
  const orders = [a.data, b.data].filter((o): o is Order => !!o);
  const statuses = Object.fromEntries(orders.map((o) => [o.id, o.status]));
  const next = nextStop(stops, statuses);
  useNotify(next, onNext);
  return (
    <section className="panel batch-route" aria-labelledby="batch-route-title" data-testid="batch-route">
      <h2 id="batch-route-title">Two orders on this trip</h2>
      <ol className="batch-route__stops">
        {stops.map((stop) => {
          const order = orders.find((o) => o.id === stop.orderId);
          const done = stopDone(stop, order?.status);
          const place = order ? (stop.kind === 'pickup' ? (order.pickup?.location ?? null) : order.dropoff.location) : null;
          const isNext = next === stop;
          return (
            <li key={`${stop.kind}:${stop.orderId}`} data-stop={`${stop.kind}:${stop.orderId}`} data-done={done} aria-current={isNext ? 'step' : undefined}>
              {done ? '✓ ' : isNext ? '→ ' : ''}
              {stop.kind === 'pickup' ? 'Pick up' : 'Drop off'} {order ? orderName(order) : '…'}
              {place && here && !done ? <span className="muted"> · {formatDistance(distanceM(here, place))}</span> : null}
            </li>
          );
        })}
      </ol>
    </section>
  );
}


function useTick(ms: number): number {
  const [n, setN] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setN((x) => x + 1), ms);
    return () => clearInterval(t);
  }, [ms]);
  return n;
}

function useNotify(next: BatchStop | null, onNext: (stop: BatchStop | null) => void): void {
  const key = next ? `${next.kind}:${next.orderId}` : '';
  const cb = useRef(onNext);
  cb.current = onNext;
  // Told once per change of the next stop (by its key), not on every read.
  const latest = useRef(next);
  latest.current = next;
  useEffect(() => cb.current(latest.current), [key]);
}
