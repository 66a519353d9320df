/**
 * Local mode only: every SMS, email and push the platform would have sent,
 * with its rendered text, from GET /v1/dev/outbox (polled). Filter by order
 * or recipient. Outside local mode the API answers 404 and so does this page.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { apiFetch, toApiProblem, type ApiProblem } from '../../api/client';
import { PageHeading } from '../../components/PageHeading';
import { ProblemAlert } from '../../components/ProblemAlert';
import '../../components/app-ui.css';
import type * as Api from '../../api/schema.gen';

type DevMessage = Api.DevMessage;

const POLL_MS = 2000;
const CHANNEL_LABEL: Record<DevMessage['channel'], string> = { sms: 'SMS', email: 'Email', push: 'Push' };

function readFilters(): { orderId: string; to: string } {
  const params = new URLSearchParams(window.location.search);
  return { orderId: params.get('orderId') ?? '', to: params.get('to') ?? '' };
}

export function DevOutboxPage() {
  const [filters, setFilters] = useState(readFilters);
  const [draft, setDraft] = useState(filters);
  const [items, setItems] = useState<DevMessage[] | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const query = new URLSearchParams();
    if (filters.orderId) query.set('orderId', filters.orderId);
    if (filters.to) query.set('to', filters.to);
    const tick = async () => {
      try {
        const page = await apiFetch<{ items: DevMessage[] }>(`/v1/dev/outbox?${query.toString()}`);
        if (stopped) return;
        setItems(page.items);
        setProblem(null);
      } catch (error) {
        if (stopped) return;
        const p = toApiProblem(error);
        setProblem(p);
        if (p.status === 404) return; // not local mode: nothing to poll
      }
      timer = setTimeout(() => void tick(), POLL_MS);
    };
    void tick();
    return () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
    };
  }, [filters]);

  function apply(event: FormEvent) {
    event.preventDefault();
    const next = { orderId: draft.orderId.trim(), to: draft.to.trim() };
    const query = new URLSearchParams(Object.entries(next).filter(([, v]) => v));
    window.history.replaceState(null, '', `${window.location.pathname}${query.size ? `?${query.toString()}` : ''}`);
    setFilters(next);
  }

  return (
    <>
      <PageHeading title="Dev outbox">
        Every message the platform would have sent in this local run, as rendered for its recipient. Newest last;
        refreshed every few seconds.
      </PageHeading>
      <form className="inline-form" onSubmit={apply} aria-label="Filter messages">
        <div className="form-field">
          <label htmlFor="outbox-order">Order id</label>
          <input id="outbox-order" value={draft.orderId} onChange={(e) => setDraft({ ...draft, orderId: e.target.value })} placeholder="ord_…" />
        </div>
        <div className="form-field">
          <label htmlFor="outbox-to">Recipient</label>
          <input id="outbox-to" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} placeholder="+33… or name@example.com" />
        </div>
        <button type="submit" className="button">
          Filter
        </button>
      </form>
      {problem?.status === 404 ? (
        <ProblemAlert problem={problem} context="The dev outbox exists only in local mode (APP_ENV=local)" />
      ) : problem ? (
        <ProblemAlert problem={problem} context="Could not load the dev outbox" />
      ) : null}
      {items && items.length === 0 ? <p className="muted">No messages yet.</p> : null}
      {items && items.length > 0 ? (
        <div className="table-scroll">
          <table className="data-table">
            <caption className="visually-hidden">Messages that would have been sent</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Channel</th>
                <th scope="col">To</th>
                <th scope="col">Event</th>
                <th scope="col">Message</th>
              </tr>
            </thead>
            <tbody>
              {items.map((m) => (
                <tr key={m.id}>
                  <td>
                    <time dateTime={m.at}>{new Date(m.at).toLocaleTimeString()}</time>
                  </td>
                  <td>
                    <span className="badge">{CHANNEL_LABEL[m.channel]}</span> <span className="muted">{m.locale}</span>
                  </td>
                  <td className="token">{m.channel === 'push' ? `${m.to.slice(0, 16)}…` : m.to}</td>
                  <td>
                    {m.event}
                    {m.orderId ? (
                      <>
                        <br />
                        <a href={`?orderId=${encodeURIComponent(m.orderId)}`}>{m.orderId}</a>
                      </>
                    ) : null}
                  </td>
                  <td>
                    {m.subject ? <strong>{m.subject}</strong> : null}
                    <p style={{ whiteSpace: 'pre-wrap', margin: 0 }}>{m.body}</p>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}
