/**
 * One signed-in session per app (merchant, driver, customer, ops), so the
 * four apps can be open side by side in one browser as different people —
 * the way the demo is meant to be tried (ADR 0053).
 *
 * The tokens live in HttpOnly cookies the API sets (ADR 0087): no script
 * here ever sees one. Every call names its app (`X-Session-App`), which is
 * what makes the API use that app's cookie; a live channel names it with
 * `?session=`. What is kept in `localStorage` is only who is signed in and
 * when the access cookie expires, so the app refreshes a minute early and
 * other tabs follow a sign-in or out. The refresh is single-flight across
 * tabs (Web Locks): a refresh token is single use, and reusing one revokes
 * the whole family (ADR 0011, 0082).
 */
import { apiFetch, ApiProblem, toApiProblem, type ApiFetchInit } from '../../api/client';

export type AppName = 'merchant' | 'driver' | 'customer' | 'ops';
export type Role = 'customer' | 'merchant' | 'driver' | 'ops' | 'admin';

export interface SessionUser {
  id: string;
  role: Role;
  email: string;
  name: string;
  phone?: string | null;
  merchantId: string | null;
  merchantRole?: string | null;
  driverId: string | null;
}

interface StoredSession {
  /** ms since epoch when the access cookie expires. */
  expiresAt: number;
  user: SessionUser;
}

/** What sign-in, sign-up and refresh answer when the session is held in cookies: no token. */
export interface OpenedSession {
  user: SessionUser;
  expiresIn: number;
}

/** The header that names the app whose session cookie a call uses. */
export const SESSION_APP_HEADER = 'X-Session-App';

const key = (app: AppName) => `dp.session.${app}`;
/** Refresh a little before expiry, so a request never leaves with a token about to die. */
const EARLY_REFRESH_MS = 60_000;

function read(app: AppName): StoredSession | null {
  try {
    const raw = window.localStorage.getItem(key(app));
    const parsed = raw ? (JSON.parse(raw) as Partial<StoredSession> & { accessToken?: unknown }) : null;
    // A session stored by a version that kept tokens here is dropped: its tokens are not used any more.
    if (!parsed || typeof parsed.expiresAt !== 'number' || !parsed.user || 'accessToken' in parsed) return null;
    return { expiresAt: parsed.expiresAt, user: parsed.user };
  } catch {
    return null;
  }
}

function write(app: AppName, session: StoredSession | null): void {
  try {
    if (session) window.localStorage.setItem(key(app), JSON.stringify(session));
    else window.localStorage.removeItem(key(app));
  } catch {
    // No storage (private mode): the session lives as long as the page.
  }
  window.dispatchEvent(new CustomEvent('dp:session', { detail: app }));
}

/** Tokens of the old storage, wiped once: they must not stay readable by scripts. */
function forgetStoredTokens(): void {
  try {
    window.localStorage.removeItem('dp.accessToken');
    for (const app of ['merchant', 'driver', 'customer', 'ops'] as const) {
      if (window.localStorage.getItem(key(app))?.includes('"accessToken"')) window.localStorage.removeItem(key(app));
    }
  } catch {
    // No storage: nothing was kept.
  }
}

export class AppSession {
  private memory: StoredSession | null;
  private refreshing: Promise<StoredSession | null> | null = null;

  constructor(readonly app: AppName) {
    forgetStoredTokens();
    this.memory = read(app);
  }

  get user(): SessionUser | null {
    return (read(this.app) ?? this.memory)?.user ?? null;
  }

  /** Headers naming this app's session cookie, merged into `init`'s. */
  private headers(init?: HeadersInit): Headers {
    const headers = new Headers(init);
    headers.set(SESSION_APP_HEADER, this.app);
    return headers;
  }

  async signIn(email: string, password: string): Promise<SessionUser> {
    const result = await apiFetch<OpenedSession>('/v1/auth/login', { method: 'POST', json: { email, password }, headers: this.headers() });
    return this.adopt(result);
  }

  /** Takes over a session the identity API has just opened in this app's cookies (a sign-up, or the account pages' sign-in). */
  adopt(result: OpenedSession): SessionUser {
    this.store({ expiresAt: Date.now() + result.expiresIn * 1000, user: result.user });
    return result.user;
  }

  /** Ends the session at the API (which clears the cookies) and here. */
  async signOut(): Promise<void> {
    const current = read(this.app) ?? this.memory;
    if (!current) return;
    await this.fetch('/v1/auth/logout', { method: 'POST', json: {} }).catch(() => undefined);
    this.store(null);
  }

  /**
   * Makes sure the access cookie will outlive the next request (refreshing
   * it a minute early) and answers whether the app is signed in.
   */
  async ready(): Promise<boolean> {
    const current = read(this.app) ?? this.memory;
    if (!current) return false;
    if (current.expiresAt - Date.now() > EARLY_REFRESH_MS) return true;
    return (await this.refresh(current.expiresAt)) !== null;
  }

  /** For a live channel, before each attempt: this app's name (`?session=`) once the cookie is fresh, or null when signed out. */
  async live(): Promise<string | null> {
    return (await this.ready()) ? this.app : null;
  }

  /** A raw request with this app's session cookie (an image, a download): no JSON handling. */
  async fetchRaw(path: string, init: RequestInit = {}): Promise<Response> {
    await this.ready();
    return fetch(path, { ...init, headers: this.headers(init.headers), credentials: 'same-origin' });
  }

  /** apiFetch with this app's session cookie; one refresh and retry on a 401. */
  async fetch<T>(path: string, init: ApiFetchInit = {}): Promise<T> {
    const attempt = () => apiFetch<T>(path, { ...init, headers: this.headers(init.headers) });
    const signedIn = await this.ready();
    try {
      return await attempt();
    } catch (error) {
      const problem = toApiProblem(error);
      if (problem.status !== 401 || !signedIn) throw error;
      const current = read(this.app) ?? this.memory;
      const renewed = current ? await this.refresh(current.expiresAt) : null;
      if (!renewed) throw new ApiProblem({ type: 'about:blank', title: 'Signed out', status: 401, detail: 'Your session ended. Please sign in again.' });
      return attempt();
    }
  }

  private store(session: StoredSession | null): void {
    this.memory = session;
    write(this.app, session);
  }

  private refresh(seenExpiry: number): Promise<StoredSession | null> {
    this.refreshing ??= this.refreshLocked(seenExpiry).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async refreshLocked(seenExpiry: number): Promise<StoredSession | null> {
    const run = async (): Promise<StoredSession | null> => {
      const current = read(this.app) ?? this.memory;
      if (!current) return null;
      // Another tab refreshed while we waited for the lock: its cookies are ours too.
      if (current.expiresAt !== seenExpiry && current.expiresAt - Date.now() > EARLY_REFRESH_MS) return current;
      try {
        const renewed = await apiFetch<{ expiresIn: number }>('/v1/auth/refresh', { method: 'POST', json: {}, headers: this.headers() });
        const next = { ...current, expiresAt: Date.now() + renewed.expiresIn * 1000 };
        this.store(next);
        return next;
      } catch (error) {
        const problem = toApiProblem(error);
        // A network failure keeps the session for a later try; a refused refresh ends it (the API cleared the cookies).
        if (problem.status === 401 || problem.status === 422 || problem.status === 400) this.store(null);
        return null;
      }
    };
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    return locks ? locks.request(`dp.refresh.${this.app}`, run) : run();
  }
}

const sessions = new Map<AppName, AppSession>();

export function sessionFor(app: AppName): AppSession {
  let s = sessions.get(app);
  if (!s) sessions.set(app, (s = new AppSession(app)));
  return s;
}
