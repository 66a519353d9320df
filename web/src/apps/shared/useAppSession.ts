import { useCallback, useSyncExternalStore } from 'react';
import { sessionFor, type AppName, type AppSession, type SessionUser } from './session';

function subscribe(onChange: () => void): () => void {
  // Same tab (dp:session) and other tabs (storage) signing in or out.
  window.addEventListener('dp:session', onChange);
  window.addEventListener('storage', onChange);
  return () => {
    window.removeEventListener('dp:session', onChange);
    window.removeEventListener('storage', onChange);
  };
}

export interface AppSessionState {
  session: AppSession;
  user: SessionUser | null;
}

/** The app's session and its signed-in user, re-rendering on sign-in/out in any tab. */
export function useAppSession(app: AppName): AppSessionState {
  const session = sessionFor(app);
  const snapshot = useCallback(() => {
    const u = session.user;
    return u ? JSON.stringify(u) : '';
  }, [session]);
  const raw = useSyncExternalStore(subscribe, snapshot, () => '');
  return { session, user: raw ? (JSON.parse(raw) as SessionUser) : null };
}
