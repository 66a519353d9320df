/**
 * The merchant console's busy-mode switch and hours line (ADR 0111): busy for
 * an hour lengthens the prep estimate customers see in quotes and ETAs by the
 * shop's extra minutes; "Not busy" ends it. PUT /v1/merchants/{id}/busy.
 */
import { useState } from 'react';
import { ProblemAlert } from '../../components/ProblemAlert';
import { localTime, opensText, type MerchantHours } from '../shared/hours';
import type { AppSession } from '../shared/session';
import { useAction, useSessionQuery } from '../shared/useSessionQuery';

export function BusyMode({ session, merchantId }: { session: AppSession; merchantId: string }) {
  const [refresh, setRefresh] = useState(0);
  const hours = useSessionQuery<MerchantHours>(session, `/v1/merchants/${encodeURIComponent(merchantId)}/hours`, refresh);
  const { pending, problem, run } = useAction();
  const h = hours.data;
  if (!h) return null;
  const toggle = async () => {
    const updated = await run('busy', () => session.fetch<MerchantHours>(`/v1/merchants/${encodeURIComponent(merchantId)}/busy`, { method: 'PUT', json: { busy: !h.busy, forMinutes: 60 } }));
    if (updated) setRefresh((n) => n + 1);
  };
  return (
    <div className="button-row" data-testid="busy-mode">
      <span>
        {h.openNow ? 'Open by your hours' : `Closed by your hours · ${opensText(h.opensAtLocal, h.timezone)}`} · prep shown to customers: {h.prepMinutesNow} min
        {h.busy && h.busyUntil ? ` (busy until ${localTime(h.busyUntil, h.timezone)})` : ''}
      </span>
      <button type="button" className={`button button--small${h.busy ? '' : ' button--secondary'}`} aria-pressed={h.busy} disabled={pending !== null} onClick={() => void toggle()}>
        {h.busy ? 'Busy: end it' : `Busy for an hour (+${h.busyExtraMinutes} min)`}
      </button>
      {problem ? <ProblemAlert problem={problem} context="Busy mode" /> : null}
    </div>
  );
}
