/**
 * GET /v1/orders/{id}/dispatch: each offer with the candidates the shard
 * considered, their distance, ETA and score, why the chosen one won, and how
 * each offer ended. Shown to the order's merchant and to operators.
 */
import { ProblemAlert } from '../../components/ProblemAlert';
import { dispatchLabel, formatDistance, formatDuration, formatTime, shortDriverId } from './format';
import type { AppSession } from './session';
import { useSessionQuery } from './useSessionQuery';
import type * as Api from '../../api/schema.gen';

export type DispatchLog = Api.DispatchLog;

/** `ended`: the order has ended, so its dispatch state is history, not "looking for a driver" (ADR 0076). */
export function DispatchLogView({ session, orderId, refreshKey, ended = false }: { session: AppSession; orderId: string; refreshKey?: unknown; ended?: boolean }) {
  const log = useSessionQuery<DispatchLog>(session, `/v1/orders/${encodeURIComponent(orderId)}/dispatch`, refreshKey);
  if (log.status === 'loading') return <p role="status">Loading the dispatch log…</p>;
  if (log.status === 'error' && !log.data) {
    if (log.problem.status === 404) return <p className="muted">Dispatch has not started for this order yet.</p>;
    return <ProblemAlert problem={log.problem} context="Could not load the dispatch log" onRetry={log.reload} />;
  }
  const data = log.data!;
  return (
    <div className="dispatch-log" data-testid="dispatch-log">
      <p>
        State: <strong>{ended ? 'ended' : dispatchLabel(data.dispatch)}</strong>
        {data.driverId ? <> · driver <code>{shortDriverId(data.driverId)}</code></> : null}
      </p>
      {data.offers.length === 0 ? <p className="muted">No offer made yet{data.notes?.some((n) => n.kind.includes('no_driver') || n.kind.includes('none')) ? ': no driver available nearby' : ''}.</p> : null}
      <ol className="plain-list stack">
        {data.offers.map((offer, i) => (
          <li key={offer.offerId} className="panel">
            <h4 style={{ margin: 0 }}>
              Offer {i + 1} to <code>{offer.driverId ? shortDriverId(offer.driverId) : 'a driver no longer known'}</code>: {offer.status}
              {offer.outcome ? ` (${offer.outcome})` : ''}
            </h4>
            <p className="muted" style={{ margin: 0 }}>
              {formatTime(offer.offeredAt)}
              {offer.round ? ` · round ${offer.round}` : ''}
            </p>
            {offer.reason ? <p>Why this driver: {offer.reason}</p> : null}
            {offer.candidates && offer.candidates.length > 0 ? (
              <div className="table-scroll">
                <table className="data-table">
                  <caption className="visually-hidden">Candidates considered for offer {i + 1}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Driver</th>
                      <th scope="col" className="num">Distance</th>
                      <th scope="col" className="num">ETA</th>
                      <th scope="col" className="num">Score</th>
                      <th scope="col">Outcome</th>
                    </tr>
                  </thead>
                  <tbody>
                    {offer.candidates.map((c) => (
                      <tr key={c.driverId}>
                        <td>
                          <code>{shortDriverId(c.driverId)}</code> {c.vehicle ?? ''}
                        </td>
                        <td className="num">{formatDistance(c.distanceM)}</td>
                        <td className="num">{formatDuration(c.etaSeconds)}</td>
                        <td className="num">{Number.isInteger(c.score) ? c.score : c.score.toFixed(2)}</td>
                        <td>{c.rejectedBecause ?? 'chosen'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : null}
          </li>
        ))}
      </ol>
      {data.notes && data.notes.length > 0 ? (
        <details>
          <summary>Notes ({data.notes.length})</summary>
          <ul>
            {data.notes.map((n, i) => (
              <li key={i}>
                {formatTime(n.at)} — {n.kind}
                {n.detail && Object.keys(n.detail).length > 0 ? <code> {JSON.stringify(n.detail)}</code> : null}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </div>
  );
}
