import { useEffect, useMemo, useState } from 'react';
import type { City } from '../../api/types';
import { LiveMap, type MapMarker } from '../../components/LiveMap';
import { ProblemAlert } from '../../components/ProblemAlert';
import { Link } from '../../router';
import { formatDuration, formatTime, orderName, shortDriverId } from '../shared/format';
import type { AppSession } from '../shared/session';
import type { Merchant, Page } from '../shared/types';
import { useSessionQuery } from '../shared/useSessionQuery';
import { AwaitingMerchantPanel } from './AwaitingMerchantPanel';
import { ScheduledOrdersPanel } from './ScheduledOrdersPanel';
import { useCityLive } from './useCityLive';

/** Flag an order nobody has taken for longer than this. */
const LATE_SECONDS = 60;

export function CityDashboard({ session, city }: { session: AppSession; city: City }) {
  const live = useCityLive(session, city.id);
  const merchants = useSessionQuery<Page<Merchant>>(session, `/v1/merchants?cityId=${encodeURIComponent(city.id)}&limit=100`);
  // Drivers by name and vehicle: the live snapshot names them by id only.
  const roster = useSessionQuery<{ items: { id: string; name: string | null; vehicle: string }[] }>(session, `/v1/ops/drivers?cityId=${encodeURIComponent(city.id)}`);
  const names = useMemo(() => new Map((roster.data?.items ?? []).map((d) => [d.id, d.name] as const)), [roster.data]);
  /** "Dana Driver", or the short id while the roster loads (or for an erased account). */
  const driverName = (id: string) => names.get(id) ?? `#${shortDriverId(id)}`;
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const snap = live.snapshot;

  const markers = useMemo(() => {
    const list: MapMarker[] = [];
    // Wait for both, so the first fit of the map frames shops and drivers together.
    if (!snap || merchants.status === 'loading') return list;
    for (const m of merchants.data?.items ?? []) list.push({ id: `m:${m.id}`, position: m.location, kind: 'merchant', label: `Shop: ${m.name}` });
    for (const d of snap?.drivers ?? []) {
      if (!d.location) continue;
      const kind = d.status === 'busy' ? 'driver-busy' : d.status === 'available' ? 'driver-available' : 'driver-online';
      // A batch shows on the map: the driver's label names both orders it carries (ADR 0105).
      const carrying = d.orderId ? (d.batchOrderId ? `, batch of 2: orders ${orderName({ id: d.orderId })} + ${orderName({ id: d.batchOrderId })}` : `, order ${orderName({ id: d.orderId })}`) : '';
      list.push({ id: `d:${d.driverId}`, position: d.location, kind, label: `Driver ${driverName(d.driverId)} (${d.vehicle}), ${d.status}${carrying}`, heading: d.heading });
    }
    for (const u of snap?.unassignedOrders ?? []) list.push({ id: `o:${u.orderId}`, position: u.pickup, kind: 'order-unassigned', label: `Unassigned order ${orderName({ id: u.orderId })}` });
    return list;
  }, [snap, merchants.data, merchants.status, names]);

  const stale = live.updatedAt !== null && now - live.updatedAt > 10_000;
  const counts = snap?.counts;

  return (
    <div className="ops">
      <p className={`connection connection--${live.problem ? 'offline' : stale ? 'pending' : live.updatedAt ? 'live' : 'pending'}`} role="status" aria-live="polite">
        <span className="connection__dot" aria-hidden="true" />
        <span>
          City snapshot: <strong>{live.problem ? `failing (${live.problem.title}), retrying` : live.updatedAt ? `updated ${formatTime(new Date(live.updatedAt).toISOString())}` : 'loading…'}</strong>
        </span>
      </p>
      {live.problem && !snap ? <ProblemAlert problem={live.problem} context="Could not load the city" /> : null}
      <ul className="stats" aria-label="Counts and rates">
        <li>
          <span className="label">Drivers online</span>
          <span className="big-number" data-testid="count-online">{counts ? counts.online + counts.available + counts.busy : '—'}</span>
        </li>
        <li>
          <span className="label">Available</span>
          <span className="big-number">{counts?.available ?? '—'}</span>
        </li>
        <li>
          <span className="label">Busy</span>
          <span className="big-number">{counts?.busy ?? '—'}</span>
        </li>
        <li>
          <span className="label">Offline</span>
          <span className="big-number">{counts?.offline ?? '—'}</span>
        </li>
        <li>
          <span className="label">Open offers</span>
          <span className="big-number">{snap?.openOffers.length ?? '—'}</span>
        </li>
        <li>
          <span className="label">Unassigned orders</span>
          <span className={`big-number${snap && snap.unassignedOrders.length > 0 ? ' text-bad' : ''}`}>{snap?.unassignedOrders.length ?? '—'}</span>
        </li>
        <li>
          <span className="label">Orders / minute</span>
          <span className="big-number">{live.ordersPerMinute !== null ? live.ordersPerMinute.toFixed(1) : '…'}</span>
        </li>
        <li>
          <span className="label">Median time to assign</span>
          <span className="big-number">{live.medianAssignmentSeconds !== null ? formatDuration(live.medianAssignmentSeconds) : '…'}</span>
        </li>
      </ul>
      <p className="muted">Rates are measured from the snapshots since this page opened.</p>
      <div className="grid-2">
        <section className="panel" aria-labelledby="city-map-title">
          <h2 id="city-map-title">{city.name} live</h2>
          <LiveMap label={`Live map of ${city.name}: ${markers.length} markers`} center={city.center} zoom={13} markers={markers} fit="once" name="city" className="live-map--tall" />
          <ul className="legend plain-list" aria-label="Map legend">
            <li><span className="dp-legend dp-legend--available" /> available</li>
            <li><span className="dp-legend dp-legend--busy" /> busy</li>
            <li><span className="dp-legend dp-legend--online" /> online, paused</li>
            <li><span className="dp-legend dp-legend--unassigned" /> unassigned order</li>
            <li><span className="dp-legend dp-legend--merchant" /> shop</li>
          </ul>
        </section>
        <div className="stack">
          <AwaitingMerchantPanel session={session} cityId={city.id} now={now} />
          <ScheduledOrdersPanel session={session} cityId={city.id} now={now} />
          <section className="panel" aria-labelledby="unassigned-title">
            <h2 id="unassigned-title">Unassigned orders</h2>
            {!snap || snap.unassignedOrders.length === 0 ? (
              <p className="muted">None: every order in dispatch has a driver or an offer.</p>
            ) : (
              <ul className="plain-list stack">
                {snap.unassignedOrders.map((u) => {
                  const waited = (now - Date.parse(u.since)) / 1000;
                  return (
                    <li key={u.orderId} className={waited > LATE_SECONDS ? 'flagged' : ''}>
                      <Link to={`/ops/orders/${u.orderId}`}>Order {orderName({ id: u.orderId })}</Link> waiting {formatDuration(waited)}
                      {waited > LATE_SECONDS ? <strong className="text-bad"> · late</strong> : null}
                    </li>
                  );
                })}
              </ul>
            )}
          </section>
          <section className="panel" aria-labelledby="silent-title">
            <h2 id="silent-title">Drivers gone silent</h2>
            {(snap?.driverAlerts ?? []).length === 0 ? (
              <p className="muted">None: every assigned driver was heard from in the last 2 minutes.</p>
            ) : (
              <ul className="plain-list stack" data-testid="driver-alerts">
                {(snap?.driverAlerts ?? []).map((a) => (
                  <li key={`${a.kind}:${a.orderId}:${a.driverId}`} className={a.kind === 'released' ? '' : 'flagged'}>
                    <Link to={`/ops/orders/${a.orderId}`}>Order {orderName({ id: a.orderId })}</Link> · driver {driverName(a.driverId)}{' '}
                    {a.kind === 'released' ? (
                      <>given to another driver at {formatTime(a.releasedAt!)} (silent since {formatTime(a.silentSince)})</>
                    ) : (
                      <>
                        silent for {formatDuration((now - Date.parse(a.silentSince)) / 1000)}
                        {a.kind === 'silent_after_pickup' ? (
                          <strong className="text-bad"> · picked up: reach the driver</strong>
                        ) : a.releaseAt ? (
                          <> · offered again in {formatDuration(Math.max(0, (Date.parse(a.releaseAt) - now) / 1000))}</>
                        ) : null}
                      </>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section className="panel" aria-labelledby="offers-title">
            <h2 id="offers-title">Open offers</h2>
            {!snap || snap.openOffers.length === 0 ? (
              <p className="muted">None right now.</p>
            ) : (
              <ul className="plain-list">
                {snap.openOffers.map((o) => (
                  <li key={o.offerId}>
                    <Link to={`/ops/orders/${o.orderId}`}>Order {orderName({ id: o.orderId })}</Link> → driver {driverName(o.driverId)}, {Math.max(0, Math.round((Date.parse(o.expiresAt) - now) / 1000))} s left
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section className="panel" aria-labelledby="busy-title">
            <h2 id="busy-title">Deliveries under way</h2>
            {(snap?.drivers ?? []).filter((d) => d.orderId).length === 0 ? (
              <p className="muted">None right now.</p>
            ) : (
              <ul className="plain-list">
                {(snap?.drivers ?? [])
                  .filter((d) => d.orderId)
                  .map((d) => (
                    <li key={d.driverId}>
                      <Link to={`/ops/orders/${d.orderId}`}>Order {orderName({ id: d.orderId! })}</Link> · driver <span data-testid="ops-driver-name">{driverName(d.driverId)}</span> ({d.vehicle})
                    </li>
                  ))}
              </ul>
            )}
          </section>
        </div>
      </div>
    </div>
  );
}
