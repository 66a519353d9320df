/**
 * Merchant webhooks: register an endpoint (the signing secret is shown once),
 * see each delivery attempt (event, status code, latency, next retry) and
 * replay one. The contract has no "list endpoints" call, so the console asks
 * for one (GET …/webhooks) and, where the server has none, remembers the
 * endpoints created from this browser.
 */
import { useEffect, useId, useState, type FormEvent } from 'react';
import { ProblemAlert } from '../../components/ProblemAlert';
import { formatDateTime, formatTime } from '../shared/format';
import type { AppSession } from '../shared/session';
import type { Page } from '../shared/types';
import { useAction, useSessionQuery } from '../shared/useSessionQuery';

export const WEBHOOK_EVENTS = [
  'order.created', 'order.placed', 'order.preparing', 'order.ready', 'order.assigned', 'order.in_delivery', 'order.delivered',
  'order.cancelled', 'order.rejected', 'order.failed', 'payment.succeeded', 'payment.failed', 'payment.refunded',
] as const;

interface Endpoint {
  id: string;
  url: string;
  events?: string[];
}

interface Delivery {
  id: string;
  eventId?: string;
  eventType?: string;
  event?: string;
  attempt?: number;
  status: string;
  statusCode: number | null;
  latencyMs: number | null;
  nextRetryAt: string | null;
  createdAt?: string;
  error?: string | null;
}

const rememberedKey = (merchantId: string) => `dp.merchant.webhooks.${merchantId}`;

function remembered(merchantId: string): Endpoint[] {
  try {
    return JSON.parse(window.localStorage.getItem(rememberedKey(merchantId)) ?? '[]') as Endpoint[];
  } catch {
    return [];
  }
}

export function Webhooks({ session, merchantId }: { session: AppSession; merchantId: string }) {
  const base = `/v1/merchants/${encodeURIComponent(merchantId)}/webhooks`;
  const listed = useSessionQuery<Page<Endpoint>>(session, base);
  const [local, setLocal] = useState<Endpoint[]>(() => remembered(merchantId));
  const { pending, problem, run } = useAction();
  const [url, setUrl] = useState('');
  const [all, setAll] = useState(true);
  const [events, setEvents] = useState<string[]>(['order.placed', 'order.delivered']);
  const [secret, setSecret] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const id = useId();

  const endpoints: Endpoint[] = listed.status === 'success' ? listed.data.items : local;
  useEffect(() => {
    if (!selected && endpoints[0]) setSelected(endpoints[0].id);
  }, [selected, endpoints]);

  async function create(event: FormEvent) {
    event.preventDefault();
    const chosen = all ? ['*'] : events;
    const result = await run('create', () => session.fetch<{ id: string; secret: string }>(base, { method: 'POST', json: { url: url.trim(), events: chosen } }));
    if (!result) return;
    setSecret(result.secret);
    const next = [...local, { id: result.id, url: url.trim(), events: chosen }];
    setLocal(next);
    try {
      window.localStorage.setItem(rememberedKey(merchantId), JSON.stringify(next));
    } catch {
      // Not remembered across reloads.
    }
    setSelected(result.id);
    setUrl('');
    listed.reload();
  }

  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Webhooks</h2>
      <p className="muted">
        Each event is POSTed to your URL, signed following Standard Webhooks (<code>Webhook-Id</code>, <code>Webhook-Timestamp</code>, <code>Webhook-Signature</code>), and retried with backoff for 24 hours.
      </p>
      {problem ? <ProblemAlert problem={problem} context="Webhooks" /> : null}
      {secret ? (
        <div className="notice notice--ok" role="status">
          <p>
            <strong>Signing secret</strong> (shown once — keep it to verify signatures):
          </p>
          <code className="secret">{secret}</code>
          <button type="button" className="link-button" onClick={() => setSecret(null)}>
            Done
          </button>
        </div>
      ) : null}
      <form className="panel" onSubmit={create}>
        <h3>Add an endpoint</h3>
        <div className="form-field">
          <label htmlFor={`${id}-url`}>URL (https)</label>
          <input id={`${id}-url`} type="url" required placeholder="https://example.com/hooks/delivery" value={url} onChange={(e) => setUrl(e.target.value)} />
        </div>
        <fieldset className="form-field">
          <legend>Events</legend>
          <label>
            <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} /> All events
          </label>
          {!all ? (
            <div className="checkbox-grid">
              {WEBHOOK_EVENTS.map((ev) => (
                <label key={ev}>
                  <input type="checkbox" checked={events.includes(ev)} onChange={(e) => setEvents((cur) => (e.target.checked ? [...cur, ev] : cur.filter((x) => x !== ev)))} /> {ev}
                </label>
              ))}
            </div>
          ) : null}
        </fieldset>
        <button type="submit" className="button" disabled={pending !== null || !url.trim() || (!all && events.length === 0)}>
          {pending === 'create' ? 'Adding…' : 'Add endpoint'}
        </button>
      </form>
      {endpoints.length === 0 ? (
        <p className="muted">No endpoint yet.</p>
      ) : (
        <div className="panel">
          <div className="form-field">
            <label htmlFor={`${id}-pick`}>Endpoint</label>
            <select id={`${id}-pick`} value={selected ?? ''} onChange={(e) => setSelected(e.target.value)}>
              {endpoints.map((ep) => (
                <option key={ep.id} value={ep.id}>
                  {ep.url}
                </option>
              ))}
            </select>
          </div>
          {selected ? <DeliveryLog session={session} base={base} webhookId={selected} /> : null}
        </div>
      )}
    </section>
  );
}

function DeliveryLog({ session, base, webhookId }: { session: AppSession; base: string; webhookId: string }) {
  const path = `${base}/${encodeURIComponent(webhookId)}/deliveries`;
  const deliveries = useSessionQuery<Page<Delivery>>(session, `${path}?limit=50`);
  const { pending, problem, run } = useAction();
  const [replayed, setReplayed] = useState<string | null>(null);

  async function replay(d: Delivery) {
    const ok = await run(d.id, () => session.fetch(`${path}/${encodeURIComponent(d.id)}/replay`, { method: 'POST' }));
    if (ok !== undefined) {
      setReplayed(d.id);
      deliveries.reload();
    }
  }

  return (
    <div>
      <div className="toolbar">
        <h3 style={{ margin: 0 }}>Delivery log</h3>
        <span className="spacer" />
        <button type="button" className="button button--secondary button--small" onClick={deliveries.reload}>
          Refresh
        </button>
      </div>
      {problem ? <ProblemAlert problem={problem} context="Replay" /> : null}
      {replayed ? <p role="status">Replay queued.</p> : null}
      {deliveries.status === 'loading' ? <p role="status">Loading…</p> : null}
      {deliveries.status === 'error' && !deliveries.data ? <ProblemAlert problem={deliveries.problem} context="Could not load deliveries" onRetry={deliveries.reload} /> : null}
      {deliveries.data ? (
        deliveries.data.items.length === 0 ? (
          <p className="muted">Nothing delivered yet.</p>
        ) : (
          <div className="table-scroll">
            <table className="data-table">
              <caption className="visually-hidden">Delivery attempts</caption>
              <thead>
                <tr>
                  <th scope="col">Event</th>
                  <th scope="col">Attempt</th>
                  <th scope="col">Result</th>
                  <th scope="col" className="num">Latency</th>
                  <th scope="col">Next retry</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {deliveries.data.items.map((d) => (
                  <tr key={d.id}>
                    <td>
                      {d.eventType ?? d.event ?? '—'}
                      <br />
                      <span className="muted">{formatDateTime(d.createdAt)}</span>
                    </td>
                    <td>{d.attempt ?? 1}</td>
                    <td>
                      {d.status}
                      {d.statusCode !== null ? ` (${d.statusCode})` : ''}
                      {d.error ? <span className="muted"> {d.error}</span> : null}
                    </td>
                    <td className="num">{d.latencyMs !== null ? `${d.latencyMs} ms` : '—'}</td>
                    <td>{d.nextRetryAt ? formatTime(d.nextRetryAt) : '—'}</td>
                    <td>
                      <button type="button" className="button button--secondary button--small" disabled={pending !== null} onClick={() => void replay(d)}>
                        Replay<span className="visually-hidden"> {d.eventType ?? d.event} delivery</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
    </div>
  );
}
