/**
 * The delivery fee before checkout, from GET /v1/merchants/{id}/delivery-quote
 * to the chosen address: priced as the order will be (base fee plus the
 * city's rate per started kilometre, before tax), so the cart and the shop
 * page show what the checkout charges.
 */
import { useApiQuery } from '../../hooks/useApiQuery';
import { formatDistance, formatMoney } from '../shared/format';
import { useDeliveryAddress } from './stores';

interface DeliveryQuote {
  distanceM: number;
  deliveryFeeCents: number;
  currency: string;
  deliverable: boolean;
}

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
    return (
      <p className="notice notice--warn" data-testid="delivery-fee">
        Your address is outside the area this city delivers to.
      </p>
    );
  }
  return (
    <p className="cart__line" data-testid="delivery-fee">
      <span>Delivery ({formatDistance(q.distanceM)})</span>
      <span>{formatMoney(q.deliveryFeeCents, q.currency)}</span>
    </p>
  );
}
