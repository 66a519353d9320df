/**
 * The signed-in user(s), as GET /v1/me reports them: one card per app this
 * browser is signed in to, each with its own sign-out.
 */
import { useEffect, useState } from 'react';
import { toApiProblem, type ApiProblem } from '../../api/client';
import { sessionFor, type AppName } from '../../apps/shared/session';
import { APP_LABELS, useAuth, type SignedIn } from '../../auth/AuthContext';
import { PageHeading } from '../../components/PageHeading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { Link } from '../../router';
import '../../components/app-ui.css';
import type * as Api from '../../api/schema.gen';

/** GET /v1/me. */
type Me = Api.User;

const ROLE_NAMES: Record<string, string> = { customer: 'Customer', merchant: 'Merchant', driver: 'Driver', ops: 'Operator', admin: 'Administrator' };

function MeCard({ entry, onSignOut }: { entry: SignedIn; onSignOut: (app: AppName) => void }) {
  const [me, setMe] = useState<Me | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);

  useEffect(() => {
    let live = true;
    sessionFor(entry.app)
      .fetch<Me>('/v1/me')
      .then((data) => live && setMe(data))
      .catch((error: unknown) => live && setProblem(toApiProblem(error)));
    return () => {
      live = false;
    };
  }, [entry.app, entry.user.id]);

  const headingId = `me-${entry.app}`;
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>{APP_LABELS[entry.app]}</h2>
      {problem ? <ProblemAlert problem={problem} context="Could not load your account" /> : null}
      {!me && !problem ? (
        <p className="muted" role="status">
          Loading…
        </p>
      ) : null}
      {me ? (
        <dl className="facts">
          <dt>Name</dt>
          <dd>{me.name}</dd>
          <dt>Email</dt>
          <dd>{me.email}</dd>
          <dt>Role</dt>
          <dd>
            {ROLE_NAMES[me.role] ?? me.role}
            {me.merchantRole ? ` (${me.merchantRole})` : ''}
          </dd>
          {me.merchantId ? (
            <>
              <dt>Business</dt>
              <dd>
                <code>{me.merchantId}</code>
              </dd>
            </>
          ) : null}
          {me.driverId ? (
            <>
              <dt>Driver id</dt>
              <dd>
                <code>{me.driverId}</code>
              </dd>
            </>
          ) : null}
          {me.phone ? (
            <>
              <dt>Phone</dt>
              <dd>{me.phone}</dd>
            </>
          ) : null}
          <dt>Member since</dt>
          <dd>
            <time dateTime={me.createdAt}>{new Date(me.createdAt).toLocaleDateString()}</time>
          </dd>
        </dl>
      ) : null}
      <div className="button-row">
        <Link to={`/${entry.app}`} className="button">
          Open the {APP_LABELS[entry.app].toLowerCase()}
        </Link>
        <button type="button" className="button button--secondary" onClick={() => onSignOut(entry.app)}>
          Sign out<span className="visually-hidden"> of the {APP_LABELS[entry.app].toLowerCase()}</span>
        </button>
      </div>
    </section>
  );
}

export function AccountPage() {
  const { signedIn, signOut } = useAuth();
  const [notice, setNotice] = useState<string | null>(() => {
    const params = new URLSearchParams(window.location.search);
    const app = (params.get('welcome') ?? params.get('signedin')) as AppName | null;
    if (!app || !(app in APP_LABELS)) return null;
    return params.has('welcome') ? `Your account is ready. You are signed in to the ${APP_LABELS[app].toLowerCase()}.` : `You are signed in to the ${APP_LABELS[app].toLowerCase()}.`;
  });

  async function handleSignOut(app: AppName) {
    await signOut(app);
    setNotice(`You are signed out of the ${APP_LABELS[app].toLowerCase()}.`);
  }

  return (
    <div className="auth-page">
      <PageHeading title="Your account" />
      <div role="status" className="status-message">
        {notice ? <p className="alert alert--ok">{notice}</p> : null}
      </div>
      {signedIn.length === 0 ? (
        <section className="panel">
          <p>You are not signed in.</p>
          <div className="button-row">
            <Link to="/signin" className="button">
              Sign in
            </Link>
            <Link to="/register" className="button button--secondary">
              Create an account
            </Link>
          </div>
        </section>
      ) : (
        signedIn.map((entry) => <MeCard key={entry.app} entry={entry} onSignOut={(app) => void handleSignOut(app)} />)
      )}
    </div>
  );
}
