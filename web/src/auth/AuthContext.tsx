/**
 * Who is signed in, across the four apps, and the account actions the
 * sign-up / sign-in / account pages need. Tokens live in the per-app sessions
 * (apps/shared/session.ts: storage, single-flight refresh, logout); a sign-up
 * or sign-in made here is handed to the session of the account's own app.
 */
import { createContext, useCallback, useContext, useMemo, useSyncExternalStore, type ReactNode } from 'react';
import { apiFetch } from '../api/client';
import { sessionFor, type AppName, type Role, type SessionUser } from '../apps/shared/session';

export const APP_NAMES: readonly AppName[] = ['customer', 'merchant', 'driver', 'ops'];

export const APP_LABELS: Readonly<Record<AppName, string>> = {
  customer: 'Customer app',
  merchant: 'Merchant console',
  driver: 'Driver app',
  ops: 'Operations',
};

/** The app an account of this role works in. */
export function appForRole(role: Role): AppName {
  return role === 'admin' ? 'ops' : role;
}

export interface SignedIn {
  app: AppName;
  user: SessionUser;
}

interface AccountFields {
  email: string;
  password: string;
  name: string;
  phone?: string;
}

/** The body of POST /v1/auth/register (see the API reference, Registration). */
export type Registration =
  | (AccountFields & { role: 'customer' })
  | (AccountFields & {
      role: 'merchant';
      business: { name: string; kind: 'restaurant' | 'store' | 'pharmacy'; address: string; location: { lat: number; lng: number }; cityId: string };
    })
  | (AccountFields & { role: 'driver'; vehicle: 'bike' | 'scooter' | 'car'; cityId: string });

interface AuthValue {
  /** Every app session that is signed in, in APP_NAMES order. */
  signedIn: SignedIn[];
  /**
   * Signs in. The account's role decides which app's session it becomes
   * (`result.app`); a caller signing in from an app passes it first, and
   * compares it with `result.app` to tell the person where they landed.
   */
  signIn(email: string, password: string): Promise<SignedIn>;
  signIn(fromApp: AppName, email: string, password: string): Promise<SignedIn>;
  register(registration: Registration): Promise<SignedIn>;
  signOut(app: AppName): Promise<void>;
}

interface OpenedSession {
  user: SessionUser;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/**
 * Hands a session the API just opened to the app it belongs to. Another
 * person signed in to that app on this browser is signed out first, so their
 * refresh-token family is revoked rather than left behind.
 */
async function handOver(opened: OpenedSession): Promise<SignedIn> {
  const app = appForRole(opened.user.role);
  const session = sessionFor(app);
  if (session.user && session.user.id !== opened.user.id) await session.signOut();
  return { app, user: session.adopt(opened) };
}

// An explicit empty Authorization keeps apiFetch from attaching some app's token.
const ANONYMOUS = { Authorization: '' };

const AuthContext = createContext<AuthValue | null>(null);

function subscribe(onChange: () => void): () => void {
  window.addEventListener('dp:session', onChange);
  window.addEventListener('storage', onChange);
  return () => {
    window.removeEventListener('dp:session', onChange);
    window.removeEventListener('storage', onChange);
  };
}

const snapshot = () => JSON.stringify(APP_NAMES.map((app) => sessionFor(app).user));

export function AuthProvider({ children }: { children: ReactNode }) {
  const raw = useSyncExternalStore(subscribe, snapshot, () => '[]');
  const signedIn = useMemo(() => {
    const users = JSON.parse(raw) as (SessionUser | null)[];
    return APP_NAMES.flatMap((app, i) => (users[i] ? [{ app, user: users[i] }] : []));
  }, [raw]);

  const signIn = useCallback(async (...args: [string, string] | [AppName, string, string]) => {
    const [email, password] = args.length === 3 ? [args[1], args[2]] : args;
    return handOver(await apiFetch<OpenedSession>('/v1/auth/login', { method: 'POST', json: { email, password }, headers: ANONYMOUS }));
  }, []) as AuthValue['signIn'];

  const register = useCallback(
    async (registration: Registration) =>
      handOver(await apiFetch<OpenedSession>('/v1/auth/register', { method: 'POST', json: registration, headers: ANONYMOUS })),
    [],
  );

  const signOut = useCallback((app: AppName) => sessionFor(app).signOut(), []);

  const value = useMemo(() => ({ signedIn, signIn, register, signOut }), [signedIn, signIn, register, signOut]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth() outside <AuthProvider>');
  return value;
}
