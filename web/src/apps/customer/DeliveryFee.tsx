/**
 * The delivery fee and ETA before checkout, from GET /v1/merchants/{id}/delivery-quote
 * to the chosen address: priced as the order will be (the city's fee schedule
 * by distance or zone, ADR 0110), so the cart and the shop page show what the
 * checkout charges, or why it would refuse (no-go or pickup-only area,
 * outside the zones, shop closed by its hours).
 */
import { useApiQuery } from '../../hooks/useApiQuery';
import { formatDistance, formatMoney } from '../shared/format';
import { localTime, opensText } from '../shared/hours';
import { useDeliveryAddress } from './stores';
import type * as Api from '../../api/schema.gen';

type DeliveryQuote = Api.DeliveryQuote;

export function DeliveryFee({ merchantId }: { merchantId: string }) {
  const [address] = useDeliveryAddress();
  if (!address) return <p className="muted" data-testid="delivery-fee">Choose a delivery address to see the delivery fee.</p>;
  return <Quote merchantId={merchantId} lat={address.location.lat} lng={address.location.lng} />;
}

function Quote({ merchantId, lat, lng }: { merchantId: string; lat: number; lng: number }) {
  const quote = useApiQuery<DeliveryQuote>(`/v1/merchants/${encodeURIComponent(merchantId)}/delivery-quote?lat=${lat}&lng=${lng}`);
  if (quote.status === 'loading') return <p className="muted">Pricing the delivery…</p>;
  if (quote.status === 'error') return <p className="muted">The delivery fee is shown at checkout.</p>;
  const q = quote.data;
  if (!q.deliverable) {
    const why =
      q.area === 'no_go'
        ? `${q.zone?.name ?? 'This area'} is not delivered to.`
        : q.area === 'pickup_only'
          ? `${q.zone?.name ?? 'This area'} is pickup-only: orders there are collected at the shop.`
          : 'Your address is outside the area this city delivers to.';
    return (
      <p className="notice notice--warn" data-testid="delivery-fee">
        {why}
      </p>
    );
  }
  const eta = localTime(q.etaAt, q.timezone);
  return (
    <>
      <p className="cart__line" data-testid="delivery-fee">
        <span>Delivery ({formatDistance(q.distanceM)})</span>
        <span>{formatMoney(q.deliveryFeeCents, q.currency)}</span>
      </p>
      <p className="muted" data-testid="delivery-eta">
        {q.openNow
          ? `Arrives in about ${q.etaMinutes} min (around ${eta})${q.busy ? ' · the shop is busy' : ''}`
          : `${opensText(q.opensAtLocal, q.timezone)} · ordering opens then`}
      </p>
    </>
  );
}
