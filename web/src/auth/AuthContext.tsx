/**
 * Who is signed in, across the four apps, and the account actions the
 * sign-up / sign-in / account pages need. Sessions are per app, in HttpOnly
 * cookies (apps/shared/session.ts: single-flight refresh, logout; ADR
 * 0087); a sign-up or sign-in made here is handed to the account's own app.
 */
import { createContext, useCallback, useContext, useMemo, useSyncExternalStore, type ReactNode } from 'react';
import { apiFetch } from '../api/client';
import { SESSION_APP_HEADER, sessionFor, type AppName, type OpenedSession, type Role, type SessionUser } from '../apps/shared/session';

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

/**
 * Hands a session the API just opened to the app it belongs to. The API set
 * it in that app's cookies (ADR 0087) and ended the session of whoever was
 * signed in to that app on this browser, whose cookies these replace.
 */
function handOver(opened: OpenedSession): SignedIn {
  const app = appForRole(opened.user.role);
  return { app, user: sessionFor(app).adopt(opened) };
}

/** Asks the API for a cookie session: any app's name will do, the cookies are the account's own app's. */
const asApp = (app: AppName) => ({ [SESSION_APP_HEADER]: app });

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
    const [from, email, password] = args.length === 3 ? args : (['customer', ...args] as const);
    return handOver(await apiFetch<OpenedSession>('/v1/auth/login', { method: 'POST', json: { email, password }, headers: asApp(from) }));
  }, []) as AuthValue['signIn'];

  const register = useCallback(
    async (registration: Registration) =>
      handOver(await apiFetch<OpenedSession>('/v1/auth/register', { method: 'POST', json: registration, headers: asApp(appForRole(registration.role)) })),
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
