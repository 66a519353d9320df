import { useEffect, useId, useState } from 'react';
import { ProblemAlert } from '../../components/ProblemAlert';
import type { AppSession } from '../shared/session';
import { useAction, useSessionQuery } from '../shared/useSessionQuery';
import type * as Api from '../../api/schema.gen';

type Preferences = Api.NotificationPreferences;

const LABELS: { key: 'sms' | 'email' | 'push' | 'marketing'; label: string; hint: string }[] = [
  { key: 'sms', label: 'Text messages', hint: 'Order updates and your delivery code by SMS.' },
  { key: 'email', label: 'Email', hint: 'Receipts and order updates by email.' },
  { key: 'push', label: 'Push notifications', hint: 'On devices where you allowed them.' },
  { key: 'marketing', label: 'Offers and news', hint: 'Occasional offers. Off unless you turn it on.' },
];

export function Account({ session }: { session: AppSession }) {
  return (
    <div className="stack">
      <NotificationPreferences session={session} />
      <YourData session={session} />
    </div>
  );
}

function NotificationPreferences({ session }: { session: AppSession }) {
  const id = useId();
  const prefs = useSessionQuery<Preferences>(session, '/v1/me/notification-preferences');
  const [draft, setDraft] = useState<Preferences | null>(null);
  const [saved, setSaved] = useState(false);
  const { pending, problem, run } = useAction();
  useEffect(() => {
    if (prefs.data) setDraft(prefs.data);
  }, [prefs.data]);

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Notifications</h2>
      {prefs.status === 'error' && !prefs.data ? <ProblemAlert problem={prefs.problem} context="Could not load your preferences" onRetry={prefs.reload} /> : null}
      {problem ? <ProblemAlert problem={problem} context="Not saved" /> : null}
      {draft ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setSaved(false);
            void run('save', () => session.fetch<Preferences>('/v1/me/notification-preferences', { method: 'PUT', json: draft })).then((r) => {
              if (r) setSaved(true);
            });
          }}
        >
          {LABELS.map((l) => (
            <div key={l.key} className="form-field">
              <label>
                <input type="checkbox" checked={draft[l.key]} onChange={(e) => setDraft({ ...draft, [l.key]: e.target.checked })} aria-describedby={`${id}-${l.key}`} /> {l.label}
              </label>
              <p id={`${id}-${l.key}`} className="hint">
                {l.hint}
              </p>
            </div>
          ))}
          <button type="submit" className="button" disabled={pending !== null}>
            {pending ? 'Saving…' : 'Save preferences'}
          </button>
          {saved ? (
            <span role="status" className="muted">
              {' '}
              Saved.
            </span>
          ) : null}
        </form>
      ) : prefs.status === 'loading' ? (
        <p role="status">Loading…</p>
      ) : null}
    </section>
  );
}

function YourData({ session }: { session: AppSession }) {
  const id = useId();
  const { pending, problem, run } = useAction();
  const [confirm, setConfirm] = useState('');

  async function exportData() {
    const data = await run('export', () => session.fetch<unknown>('/v1/me/export'));
    if (data === undefined) return;
    const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `my-delivery-data-${new Date().toISOString().slice(0, 10)}.json`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  async function erase() {
    const done = await run('delete', () => session.fetch('/v1/me', { method: 'DELETE' }));
    if (done !== undefined) await session.signOut();
  }

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Your data</h2>
      {problem ? <ProblemAlert problem={problem} context="That did not work" /> : null}
      <p>Download everything we hold about you, as a JSON file.</p>
      <button type="button" className="button button--secondary" disabled={pending !== null} onClick={() => void exportData()}>
        {pending === 'export' ? 'Preparing…' : 'Download my data'}
      </button>
      <h3 className="section">Delete my account</h3>
      <p>
        Your personal data is erased. Orders are kept for accounting, without your name or contact details. This cannot be undone.
      </p>
      <div className="inline-form">
        <div className="form-field">
          <label htmlFor={`${id}-confirm`}>Type DELETE to confirm</label>
          <input id={`${id}-confirm`} value={confirm} onChange={(e) => setConfirm(e.target.value)} autoComplete="off" />
        </div>
        <button type="button" className="button button--danger" disabled={confirm !== 'DELETE' || pending !== null} onClick={() => void erase()}>
          Delete my account
        </button>
      </div>
    </section>
  );
}
