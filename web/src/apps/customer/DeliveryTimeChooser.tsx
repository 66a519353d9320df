import { useEffect, useId, useMemo, useState } from 'react';
import { openStateAt } from '../../../../domain/opening-hours';
import { windowText } from '../../../../domain/scheduling';
import { useApiQuery } from '../../hooks/useApiQuery';
import type { MerchantHours } from '../shared/hours';
import { deliverySlots, type ScheduledWindow } from './delivery-slots';

export type { ScheduledWindow } from './delivery-slots';

/**
 * When to deliver: as soon as possible, or a 30-minute window later (up to
 * 7 days ahead). The order is paid now either way; a scheduled one goes to
 * the shop at the window's start minus its prep time.
 */
export function DeliveryTimeChooser({ merchantId, value, onChange }: { merchantId: string; value: ScheduledWindow | null; onChange: (w: ScheduledWindow | null) => void }) {
  const id = useId();
  const [now] = useState(() => new Date());
  // The shop's hours (ADR 0111): windows starting while it is closed are not offered. Until they are
  // known (or if they cannot be read) every window is offered and the API has the last word.
  const hours = useApiQuery<MerchantHours>(`/v1/merchants/${encodeURIComponent(merchantId)}/hours`);
  const shop = hours.status === 'success' ? hours.data : null;
  const days = useMemo(() => deliverySlots(now, shop ? (start) => openStateAt(shop.openingHours, shop.timezone, start).open : undefined), [now, shop]);
  const first = days[0]?.slots[0] ?? null;
  // A window chosen before the hours arrived that the shop turns out to be closed for: the first open one instead.
  useEffect(() => {
    if (value && !days.some((d) => d.slots.some((s) => s.start === value.start))) onChange(first);
  }, [days, value, first, onChange]);
  return (
    <fieldset className="form-field" data-testid="delivery-time">
      <legend>Delivery time</legend>
      <label>
        <input type="radio" name={`${id}-when`} checked={value === null} onChange={() => onChange(null)} /> As soon as possible
      </label>
      <label>
        <input type="radio" name={`${id}-when`} checked={value !== null} disabled={!first} onChange={() => onChange(first)} /> Schedule for later
      </label>
      {value ? (
        <div className="form-field">
          <label htmlFor={`${id}-slot`}>Window</label>
          <select id={`${id}-slot`} value={value.start} onChange={(e) => onChange(days.flatMap((d) => d.slots).find((s) => s.start === e.target.value) ?? null)}>
            {days.map((d) => (
              <optgroup key={d.day} label={d.day}>
                {d.slots.map((s) => (
                  <option key={s.start} value={s.start}>
                    {windowText(s)}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
          <p className="hint muted">You pay now; you can cancel free of charge until the shop starts preparing.</p>
        </div>
      ) : null}
    </fieldset>
  );
}
