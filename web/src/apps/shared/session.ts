/**
 * One signed-in session per app (merchant, driver, customer, ops), so the
 * four apps can be open side by side in one browser as different people —
 * the way the demo is meant to be tried. Tokens come from the identity API
 * (POST /v1/auth/login, /refresh, /logout); the refresh is single-flight
 * across tabs (Web Locks) because a refresh token is single use and reusing
 * one revokes the whole family. See docs/decisions/0053.
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
  accessToken: string;
  refreshToken: string;
  /** ms since epoch when the access token expires. */
  expiresAt: number;
  user: SessionUser;
}

interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

const key = (app: AppName) => `dp.session.${app}`;
/** Refresh a little before expiry, so a request never leaves with a token about to die. */
const EARLY_REFRESH_MS = 60_000;

function read(app: AppName): StoredSession | null {
  try {
    const raw = window.localStorage.getItem(key(app));
    return raw ? (JSON.parse(raw) as StoredSession) : null;
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

export class AppSession {
  private memory: StoredSession | null;
  private refreshing: Promise<StoredSession | null> | null = null;

  constructor(readonly app: AppName) {
    this.memory = read(app);
  }

  get user(): SessionUser | null {
    return (read(this.app) ?? this.memory)?.user ?? null;
  }

  async signIn(email: string, password: string): Promise<SessionUser> {
    const result = await apiFetch<TokenPair & { user: SessionUser }>('/v1/auth/login', { method: 'POST', json: { email, password }, headers: { Authorization: '' } });
    this.store({ accessToken: result.accessToken, refreshToken: result.refreshToken, expiresAt: Date.now() + result.expiresIn * 1000, user: result.user });
    return result.user;
  }

  /** Takes over a session the identity API has just opened (a sign-up, or the account pages' sign-in). */
  adopt(result: TokenPair & { user: SessionUser }): SessionUser {
    this.store({ accessToken: result.accessToken, refreshToken: result.refreshToken, expiresAt: Date.now() + result.expiresIn * 1000, user: result.user });
    return result.user;
  }

  async signOut(): Promise<void> {
    const current = read(this.app) ?? this.memory;
    this.store(null);
    if (!current) return;
    await apiFetch('/v1/auth/logout', {
      method: 'POST',
      json: { refreshToken: current.refreshToken },
      headers: { Authorization: `Bearer ${current.accessToken}` },
    }).catch(() => undefined);
  }

  /** A valid access token (refreshed when close to expiry), or null when signed out. */
  async token(): Promise<string | null> {
    const current = read(this.app) ?? this.memory;
    if (!current) return null;
    if (current.expiresAt - Date.now() > EARLY_REFRESH_MS) return current.accessToken;
    const renewed = await this.refresh(current.refreshToken);
    return renewed?.accessToken ?? null;
  }

  /** apiFetch with this app's credentials; one refresh and retry on a 401. */
  async fetch<T>(path: string, init: ApiFetchInit = {}): Promise<T> {
    const attempt = async (token: string | null) => {
      const headers = new Headers(init.headers);
      // An explicit empty header keeps apiFetch from adding another app's token.
      headers.set('Authorization', token ? `Bearer ${token}` : '');
      return apiFetch<T>(path, { ...init, headers });
    };
    const token = await this.token();
    try {
      return await attempt(token);
    } catch (error) {
      const problem = toApiProblem(error);
      if (problem.status !== 401 || !token) throw error;
      const current = read(this.app) ?? this.memory;
      const renewed = current ? await this.refresh(current.refreshToken) : null;
      if (!renewed) throw new ApiProblem({ type: 'about:blank', title: 'Signed out', status: 401, detail: 'Your session ended. Please sign in again.' });
      return attempt(renewed.accessToken);
    }
  }

  private store(session: StoredSession | null): void {
    this.memory = session;
    write(this.app, session);
  }

  private refresh(used: string): Promise<StoredSession | null> {
    this.refreshing ??= this.refreshLocked(used).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async refreshLocked(used: string): Promise<StoredSession | null> {
    const run = async (): Promise<StoredSession | null> => {
      const current = read(this.app) ?? this.memory;
      if (!current) return null;
      // Another tab refreshed while we waited for the lock: use its result.
      if (current.refreshToken !== used && current.expiresAt - Date.now() > EARLY_REFRESH_MS) return current;
      try {
        const pair = await apiFetch<TokenPair>('/v1/auth/refresh', { method: 'POST', json: { refreshToken: current.refreshToken }, headers: { Authorization: '' } });
        const next = { ...current, accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresAt: Date.now() + pair.expiresIn * 1000 };
        this.store(next);
        return next;
      } catch (error) {
        const problem = toApiProblem(error);
        // A network failure keeps the session for a later try; a refused token ends it.
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
