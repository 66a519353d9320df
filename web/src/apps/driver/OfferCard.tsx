import { useEffect, useRef, useState } from 'react';
import type { LatLng } from '../../api/types';
import { offerSecondsLeft, type OfferMessage } from '../../../../domain/live/driver-channel';
import { distanceM, formatDistance, formatMoney } from '../shared/format';
import { clockText, describeWindow } from '../../../../domain/scheduling';

interface OfferCardProps {
  offer: OfferMessage;
  currency: string;
  here: LatLng | null;
  onAccept: () => void;
  onDecline: () => void;
}

/** A dispatch offer: the shop and its address, how far, the payout (what the driver is credited), and the seconds left to answer. */
export function OfferCard({ offer, currency, here, onAccept, onDecline }: OfferCardProps) {
  const [left, setLeft] = useState(() => offerSecondsLeft(offer));
  const [answered, setAnswered] = useState(false);
  const [total] = useState(() => Math.max(1, offerSecondsLeft(offer)));
  const acceptRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const timer = setInterval(() => setLeft(offerSecondsLeft(offer)), 250);
    return () => clearInterval(timer);
  }, [offer]);
  // The offer is the one thing to act on: put the keyboard there.
  useEffect(() => acceptRef.current?.focus(), [offer.offerId]);
  const toPickup = here ? distanceM(here, offer.pickup) : null;
  const trip = distanceM(offer.pickup, offer.dropoff);
  const expired = left <= 0;
  const batch = offer.batch;
  // What will be credited: a stacked offer's total is both orders' pay (ADR 0105).
  const pay = batch ? batch.totalPayoutCents : offer.payoutCents;

  return (
    <section className="panel offer" aria-labelledby={`offer-${offer.offerId}`} data-offer-id={offer.offerId} role="alertdialog" aria-describedby={`offer-${offer.offerId}-desc`}>
      <h2 id={`offer-${offer.offerId}`}>{batch ? 'Add a second order to your trip' : 'New delivery offer'}</h2>
      {batch ? <StackedRoute offer={offer} currency={currency} /> : null}
      {offer.shop ? (
        <p className="offer__pickup" data-testid="offer-shop">
          Pickup at <strong>{offer.shop.name}</strong>, {offer.shop.address}
        </p>
      ) : null}
      {offer.scheduledFor ? (
        <p className="offer__pickup" data-testid="offer-scheduled">
          <span className="badge">{describeWindow(offer.scheduledFor)}</span> · ready about {clockText(offer.scheduledFor.start)}
        </p>
      ) : null}
      <p id={`offer-${offer.offerId}-desc`} className="offer__facts">
        <span className="big-number" data-testid="offer-pay">{formatMoney(pay, currency)}</span>
        {batch ? <span>for both orders (this one {formatMoney(offer.payoutCents, currency)}) · </span> : null}
        {toPickup !== null ? <span>{formatDistance(toPickup)} to pickup · </span> : null}
        <span>{formatDistance(trip)} delivery</span>
      </p>
      <div className="offer__countdown">
        <progress max={total} value={left} aria-label="Time left to answer" />
        <span aria-live={left <= 5 ? 'assertive' : 'off'}>{expired ? 'Expired' : `${left} s left`}</span>
      </div>
      <div className="button-row driver__next" data-testid="driver-next-action">
        <p className="driver__next-label">
          {batch ? 'Two orders' : 'Offer'} {formatMoney(pay, currency)}
          {offer.shop ? ` · pickup at ${offer.shop.name}` : ''} · {expired ? 'expired' : `${left} s`}
        </p>
        <button
          ref={acceptRef}
          type="button"
          className="button button--big"
          disabled={expired || answered}
          onClick={() => {
            setAnswered(true);
            onAccept();
          }}
        >
          {answered ? 'Accepting…' : 'Accept'}
        </button>
        <button type="button" className="button button--secondary button--big" disabled={expired || answered} onClick={onDecline}>
          Decline
        </button>
      </div>
    </section>
  );
}

/** A stacked offer: the order carried and this one, and the route through both, pickups first. */
function StackedRoute({ offer, currency }: { offer: OfferMessage; currency: string }) {
  const batch = offer.batch!;
  const name = (orderId: string) => (orderId === offer.orderId ? (offer.shop?.name ?? 'the new order') : (batch.with?.shop?.name ?? 'your current order'));
  return (
    <div className="offer__batch" data-testid="offer-batch">
      <p style={{ margin: 0 }}>
        You carry an order from <strong>{batch.with?.shop?.name ?? 'a shop'}</strong>
        {batch.with ? ` (${formatMoney(batch.with.payoutCents, currency)})` : ''}. This one is from <strong>{offer.shop?.name ?? 'a nearby shop'}</strong>, heading the same way.
      </p>
      <ol className="offer__stops">
        {batch.stops.map((s) => (
          <li key={`${s.kind}:${s.orderId}`}>
            {s.kind === 'pickup' ? 'Pick up at' : 'Drop off for'} {name(s.orderId)}
          </li>
        ))}
      </ol>
    </div>
  );
}
