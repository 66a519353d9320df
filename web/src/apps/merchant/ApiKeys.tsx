import { useId, useState, type FormEvent } from 'react';
import { ProblemAlert } from '../../components/ProblemAlert';
import { formatDateTime } from '../shared/format';
import type { AppSession } from '../shared/session';
import type { ApiKey, CreatedApiKey, Page } from '../shared/types';
import { useAction, useSessionQuery } from '../shared/useSessionQuery';

export function ApiKeys({ session, merchantId }: { session: AppSession; merchantId: string }) {
  const base = `/v1/merchants/${encodeURIComponent(merchantId)}/api-keys`;
  const keys = useSessionQuery<Page<ApiKey>>(session, `${base}?limit=100`);
  const { pending, problem, run } = useAction();
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ key: string; name: string | null } | null>(null);
  const id = useId();

  async function create(event: FormEvent) {
    event.preventDefault();
    const result = await run('create', () => session.fetch<CreatedApiKey>(base, { method: 'POST', json: name.trim() ? { name: name.trim() } : {} }));
    // `key` is absent only on an Idempotency-Key replay, which this form never sends.
    if (result?.key) {
      setCreated({ key: result.key, name: result.name });
      setName('');
      keys.reload();
    }
  }

  async function revoke(key: ApiKey) {
    if (!window.confirm(`Revoke the key ${key.prefix}…? Servers using it stop working at once.`)) return;
    await run(key.id, () => session.fetch(`${base}/${encodeURIComponent(key.id)}`, { method: 'DELETE' }));
    keys.reload();
  }

  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>API keys</h2>
      <p className="muted">Your servers create orders with an API key (Authorization: Bearer &lt;key&gt;). Only the account owner manages keys.</p>
      {problem ? <ProblemAlert problem={problem} context="API keys" /> : null}
      {created ? (
        <div className="notice notice--ok" role="status">
          <p>
            <strong>Copy this key now:</strong> it is shown only once.
          </p>
          <code className="secret" data-testid="new-api-key">
            {created.key}
          </code>
          <button type="button" className="button button--secondary button--small" onClick={() => void navigator.clipboard?.writeText(created.key)}>
            Copy
          </button>{' '}
          <button type="button" className="link-button" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      ) : null}
      <form className="panel inline-form" onSubmit={create}>
        <div className="form-field">
          <label htmlFor={`${id}-name`}>Name (optional)</label>
          <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Website checkout" />
        </div>
        <button type="submit" className="button" disabled={pending !== null}>
          {pending === 'create' ? 'Creating…' : 'Create a key'}
        </button>
      </form>
      {keys.status === 'error' && !keys.data ? <ProblemAlert problem={keys.problem} context="Could not list the keys" onRetry={keys.reload} /> : null}
      {keys.data ? (
        keys.data.items.length === 0 ? (
          <p className="muted">No keys yet.</p>
        ) : (
          <div className="table-scroll">
            <table className="data-table">
              <caption className="visually-hidden">API keys</caption>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Name</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.data.items.map((k) => (
                  <tr key={k.id}>
                    <td>
                      <code>{k.prefix}…</code>
                    </td>
                    <td>{k.name ?? '—'}</td>
                    <td>{formatDateTime(k.createdAt)}</td>
                    <td>{k.lastUsedAt ? formatDateTime(k.lastUsedAt) : 'never'}</td>
                    <td>
                      {k.revokedAt ? (
                        <span className="muted">Revoked {formatDateTime(k.revokedAt)}</span>
                      ) : (
                        <button type="button" className="button button--secondary button--small" disabled={pending === k.id} onClick={() => void revoke(k)}>
                          Revoke<span className="visually-hidden"> key {k.prefix}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
    </section>
  );
}
