/**
 * Sign-in. The account decides where it lands: a merchant's session becomes
 * the merchant console's, a driver's the driver app's, and so on.
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { toApiProblem, type ApiProblem } from '../../api/client';
import { useAuth } from '../../auth/AuthContext';
import { fieldErrorsOf, type FieldErrors } from '../../auth/field-errors';
import { PageHeading } from '../../components/PageHeading';
import { Link, navigate } from '../../router';
import { ErrorSummary, InputField } from './Field';
import '../../components/app-ui.css';

export function SignInPage() {
  const id = useId();
  const { signIn } = useAuth();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const summaryRef = useRef<HTMLDivElement>(null);
  const [summaryShown, setSummaryShown] = useState(0);

  useEffect(() => {
    if (summaryShown > 0) summaryRef.current?.focus();
  }, [summaryShown]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    const local: FieldErrors = {};
    if (!email.trim()) local.email = 'Enter your email address.';
    if (!password) local.password = 'Enter your password.';
    setErrors(local);
    if (Object.keys(local).length > 0) {
      setSummaryShown((n) => n + 1);
      return;
    }
    setBusy(true);
    try {
      const result = await signIn(email.trim(), password);
      navigate(`/account?signedin=${result.app}`);
    } catch (error) {
      const p = toApiProblem(error);
      setProblem(p);
      setErrors(fieldErrorsOf(p));
      setSummaryShown((n) => n + 1);
    } finally {
      setBusy(false);
    }
  }

  const summaryTitle = !problem
    ? 'Please correct the following:'
    : problem.status === 401
      ? 'The email or password is incorrect.'
      : problem.status === 429
        ? 'Too many sign-in attempts. Wait a little and try again.'
        : problem.title;
  const fieldIds = { email: `${id}-email`, password: `${id}-password` };

  return (
    <div className="auth-page">
      <PageHeading title="Sign in">Welcome back. New here? <Link to="/register">Create an account</Link>.</PageHeading>
      {problem || Object.keys(errors).length > 0 ? (
        <ErrorSummary
          id={`${id}-summary`}
          ref={summaryRef}
          title={summaryTitle}
          errors={problem && problem.status !== 401 && problem.detail && Object.keys(errors).length === 0 ? { form: problem.detail } : errors}
          fieldIds={fieldIds}
        />
      ) : null}
      <form className="panel auth-form" onSubmit={submit} noValidate>
        <InputField id={fieldIds.email} label="Email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} error={errors.email} required />
        <InputField
          id={fieldIds.password}
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.password}
          required
        />
        <button type="submit" className="button button--wide" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
