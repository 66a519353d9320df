import { useEffect, useMemo, useState } from 'react';
import { ConnectionStatus } from '../../components/ConnectionStatus';
import { LiveMap, type MapMarker } from '../../components/LiveMap';
import { AppFrame } from '../shared/AppFrame';
import type { AppSession } from '../shared/session';
import { BatchRoute } from './BatchRoute';
import { Earnings } from './Earnings';
import { JobPanel } from './JobPanel';
import { OfferCard } from './OfferCard';
import { installDriverPwa } from './pwa';
import { useDriver } from './useDriver';
import './driver.css';

/** The driver app (mobile first, installable): online/offline, offers, the current delivery, earnings. */
export function DriverApp() {
  useEffect(() => installDriverPwa(), []);
  return (
    <AppFrame app="driver" title="Driver app" intro="Go online to receive delivery offers near you." roles={['driver']}>
      {({ session }) => <DriverHome session={session} />}
    </AppFrame>
  );
}

function DriverHome({ session }: { session: AppSession }) {
  const { state, goOnline, goOffline, accept, decline, finishedOrder, answerPing } = useDriver(session);
  const { geo } = state;
  const here = geo.last;
  const markers = useMemo<MapMarker[]>(() => {
    const list: MapMarker[] = here ? [{ id: 'me', position: here, kind: 'me', label: 'You are here', heading: here.heading ?? null }] : [];
    // An open offer shows where it would take the driver.
    for (const o of state.offers) {
      list.push({ id: `pickup:${o.offerId}`, position: o.pickup, kind: 'merchant', label: 'Offer: pickup' });
      list.push({ id: `dropoff:${o.offerId}`, position: o.dropoff, kind: 'dropoff', label: 'Offer: drop-off' });
    }
    return list;
  }, [here, state.offers]);
  const available = state.session?.available ?? state.online;
  // Two orders carried (ADR 0105): the route says which one is next; its panel is the one on top.
  const [nextOrderId, setNextOrderId] = useState<string | null>(null);
  const stacked = state.stacked;
  const active = stacked && state.orderId ? (nextOrderId === stacked.orderId ? stacked.orderId : state.orderId) : state.orderId;
  const other = stacked && state.orderId ? (active === state.orderId ? stacked.orderId : state.orderId) : null;

  return (
    <div className={`driver${state.offers.length > 0 || state.orderId ? ' driver--acting' : ''}`}>
      <section className="panel driver__status" aria-label="Your status">
        <div className="toolbar" style={{ marginBottom: 0 }}>
          <button
            type="button"
            className={`button button--big ${state.online ? 'button--secondary' : ''}`}
            aria-pressed={state.online}
            onClick={() => (state.online ? void goOffline() : goOnline())}
          >
            {state.online ? 'Go offline' : 'Go online'}
          </button>
          <p style={{ margin: 0 }} data-testid="driver-state">
            You are <strong>{!state.online ? 'offline' : state.orderId ? 'on a delivery' : available ? 'online, waiting for offers' : 'online (paused)'}</strong>
          </p>
        </div>
        {state.online ? (
          <>
            <ConnectionStatus
              state={state.connection}
              attempt={state.attempt}
              online={state.networkOnline}
              subject="Connection"
              whileDown={state.pending > 0 ? `${state.pending} positions saved, sent when back.` : 'Positions are saved and sent when back.'}
            />
            <p className="muted" role="status" style={{ margin: 0 }}>
              {geo.status === 'ok' ? 'Sharing your position' : geo.status === 'waiting' ? 'Waiting for your position…' : geo.message}
              {state.pending > 0 ? ` · ${state.pending} queued` : ''}
              {state.sentViaHttp > 0 ? ` · ${state.sentViaHttp} sent after reconnecting` : ''}
            </p>
          </>
        ) : null}
        {state.ping && state.ping.orderId === state.orderId ? (
          <div className="notice notice--warn" role="alert" style={{ marginTop: 'var(--space-3)' }} data-testid="driver-ping">
            <p style={{ margin: 0 }}>
              We have not heard from you for a while.
              {state.ping.releaseAt ? ` Confirm you are still on this delivery, or it goes to another driver at ${new Date(state.ping.releaseAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}.` : ' Confirm you are still on this delivery.'}
            </p>
            <button type="button" className="button" onClick={answerPing}>
              I am still here
            </button>
          </div>
        ) : null}
        {state.notice ? (
          <p className="notice notice--warn" role="alert" style={{ marginTop: 'var(--space-3)' }}>
            {state.notice}
          </p>
        ) : null}
      </section>

      {state.offers.map((offer) => (
        <OfferCard key={offer.offerId} offer={offer} currency="EUR" here={here} onAccept={() => accept(offer.offerId)} onDecline={() => decline(offer.offerId, 'declined in the app')} />
      ))}

      {stacked ? <BatchRoute session={session} stops={stacked.stops} here={here} onNext={(stop) => setNextOrderId(stop?.orderId ?? null)} /> : null}

      {active ? <JobPanel key={active} session={session} orderId={active} here={here} onFinished={() => finishedOrder(active)} /> : null}

      {other ? (
        <details className="panel driver__other-job" data-testid="driver-other-job">
          <summary>The other order on this trip</summary>
          <JobPanel key={other} session={session} orderId={other} here={here} onFinished={() => finishedOrder(other)} />
        </details>
      ) : null}

      {state.orderId ? null : (
        <section className="panel" aria-labelledby="driver-map-title">
          <h2 id="driver-map-title">Map</h2>
          {here ? (
            <LiveMap label="Your position" center={here} zoom={15} markers={markers} fit="follow" name="driver" className="live-map--short" />
          ) : (
            <p className="muted">Your position shows here once you are online.</p>
          )}
        </section>
      )}

      <section className="panel" aria-labelledby="earnings-title">
        <h2 id="earnings-title">Today</h2>
        <Earnings session={session} refreshKey={state.orderId} />
      </section>
    </div>
  );
}
