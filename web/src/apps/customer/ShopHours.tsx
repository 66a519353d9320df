/**
 * Open or closed now by the shop's opening hours (GET /v1/merchants/{id}/hours,
 * ADR 0111): "Open · until 13:30 · ready in about 15 min" or "Closed · Opens at
 * 07:00". An order while closed would be refused (422 outside-opening-hours).
 */
import { useApiQuery } from '../../hooks/useApiQuery';
import { localTime, opensText, type MerchantHours } from '../shared/hours';

export function ShopHours({ merchantId }: { merchantId: string }) {
  const hours = useApiQuery<MerchantHours>(`/v1/merchants/${encodeURIComponent(merchantId)}/hours`);
  if (hours.status === 'loading') return <p className="muted">Checking the opening hours…</p>;
  if (hours.status === 'error') return <p className="muted" data-testid="shop-open-state">Opening hours unavailable.</p>;
  const h = hours.data;
  if (!h.acceptingOrders) {
    return (
      <p data-testid="shop-open-state">
        <span className="badge badge--warn">Closed</span> This shop is not taking orders right now.
      </p>
    );
  }
  if (!h.openNow) {
    return (
      <p data-testid="shop-open-state">
        <span className="badge badge--warn">Closed</span> {opensText(h.opensAtLocal, h.timezone)}
      </p>
    );
  }
  return (
    <p data-testid="shop-open-state">
      <span className="badge">Open</span> Taking orders
      {h.closesAt ? ` · until ${localTime(h.closesAt, h.timezone)}` : ''}
      {` · ready in about ${h.prepMinutesNow} min`}
      {h.busy ? <span className="badge badge--warn"> Busy</span> : null}
    </p>
  );
}
