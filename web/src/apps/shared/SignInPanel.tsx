import { useId, useState, type FormEvent } from 'react';
import { ApiProblem, toApiProblem } from '../../api/client';
import { APP_LABELS, useAuth, type SignedIn } from '../../auth/AuthContext';
import { ProblemAlert } from '../../components/ProblemAlert';
import { Link } from '../../router';
import type { AppSession, Role } from './session';

interface SignInPanelProps {
  session: AppSession;
  /** Roles this app is for; another role signs in but is told to use its own app. */
  roles: Role[];
  /** e.g. "Sign in to the merchant console". */
  title: string;
  /** Demo accounts offered to a first-time visitor. */
  demoAccounts?: { label: string; email: string }[];
  demoPassword?: string;
}

/** Email + password sign-in for one app, with the demo accounts one click away. */
export function SignInPanel({ session, roles, title, demoAccounts = [], demoPassword }: SignInPanelProps) {
  const id = useId();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [elsewhere, setElsewhere] = useState<SignedIn | null>(null);
  const auth = useAuth();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setElsewhere(null);
    if (!email.trim() || !password) {
      setProblem(new ApiProblem({ type: 'about:blank', title: 'Missing details', status: 0, detail: 'Enter your email and password.' }));
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      // An account of another role is signed in to its own app instead (the identity context decides).
      const result = await auth.signIn(session.app, email.trim(), password);
      if (result.app !== session.app) setElsewhere(result);
    } catch (error) {
      setProblem(toApiProblem(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel signin" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {problem ? <ProblemAlert problem={problem} context="Could not sign in" /> : null}
      {elsewhere ? (
        <div role="alert" className="alert alert--error">
          <p className="alert__title">This is a {elsewhere.user.role} account.</p>
          <p className="alert__detail">
            It is now signed in to the <Link to={`/${elsewhere.app}`}>{APP_LABELS[elsewhere.app]}</Link>. Here, sign in with a {roles.join(' or ')} account.
          </p>
        </div>
      ) : null}
      <form onSubmit={submit} noValidate>
        <div className="form-field">
          <label htmlFor={`${id}-email`}>Email</label>
          <input id={`${id}-email`} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="form-field">
          <label htmlFor={`${id}-password`}>Password</label>
          <input id={`${id}-password`} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        <button type="submit" className="button" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="section">
        New here? <Link to="/register">Create an account</Link>
      </p>
      {demoAccounts.length > 0 && demoPassword ? (
        <div className="section">
          <h3>Try a demo account</h3>
          <p className="muted">Fills in the form; all demo accounts use the password <code>{demoPassword}</code>.</p>
          <ul className="button-row plain-list">
            {demoAccounts.map((a) => (
              <li key={a.email}>
                <button
                  type="button"
                  className="button button--secondary button--small"
                  onClick={() => {
                    setEmail(a.email);
                    setPassword(demoPassword);
                  }}
                >
                  {a.label} <span className="visually-hidden">({a.email})</span>
                </button>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}
