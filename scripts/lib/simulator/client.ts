/**
 * The simulator's HTTP side: one signed-in session per simulated account,
 * refreshed before it expires, kept in a file between runs (so restarting
 * the simulator signs nobody in again), and sign-ins paced under the API's
 * per-IP limit (20 a minute), which people using the apps share with it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly retryAfterSeconds: number | null,
  ) {
    const b = body as { title?: string; detail?: string } | null;
    super(`HTTP ${status}${b?.title ? `: ${b.title}` : ''}${b?.detail ? ` (${b.detail})` : ''}`);
  }
}

export interface SessionUser {
  id: string;
  role: string;
  email: string;
  name: string;
  merchantId: string | null;
  driverId: string | null;
}

interface Session {
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
  user: SessionUser;
}

interface TokenAnswer {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user?: SessionUser;
}

export interface RequestOptions {
  method?: string;
  json?: unknown;
  /** A raw body (e.g. an image), sent as is with its content type. */
  raw?: { body: Uint8Array; contentType: string };
  headers?: Record<string, string>;
  /** Skip the Authorization header. */
  anonymous?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SimApi {
  private sessions: Record<string, Session> = {};
  private nextLoginAt = 0;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  stopped = false;

  constructor(
    readonly baseUrl: string,
    private readonly loginsPerMinute: number,
    private readonly sessionFile: string | undefined,
    /**
     * The client address an account signs in from (sent as `CF-Connecting-IP`,
     * which wrangler dev passes on), as if each person were on a phone of
     * their own: their sign-ins count against their own per-IP budget, so
     * they are not paced. Undefined (npm start): everyone shares this
     * machine's address and sign-ins are paced under its limit.
     */
    private readonly clientAddress?: (email: string) => string | undefined,
  ) {
    if (sessionFile && existsSync(sessionFile)) {
      try {
        this.sessions = JSON.parse(readFileSync(sessionFile, 'utf8')) as Record<string, Session>;
      } catch {
        this.sessions = {};
      }
    }
  }

  async request<T>(pathname: string, options: RequestOptions & { token?: string } = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
    if (options.json !== undefined) headers['Content-Type'] = 'application/json';
    if (options.raw) headers['Content-Type'] = options.raw.contentType;
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    const res = await fetch(`${this.baseUrl}${pathname}`, {
      method: options.method ?? (options.json !== undefined || options.raw ? 'POST' : 'GET'),
      headers,
      ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : options.raw ? { body: options.raw.body } : {}),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    if (!res.ok) {
      const retry = Number(res.headers.get('Retry-After'));
      throw new HttpError(res.status, body, Number.isFinite(retry) && retry > 0 ? retry : null);
    }
    return body as T;
  }

  /** Waits for a sign-in slot: the simulator never spends the whole per-IP budget (an account with an address of its own has its own budget). */
  private async loginSlot(address: string | undefined): Promise<void> {
    if (address) return;
    const gap = 60_000 / Math.max(1, this.loginsPerMinute);
    const now = Date.now();
    const at = Math.max(now, this.nextLoginAt);
    this.nextLoginAt = at + gap;
    if (at > now) await sleep(at - now);
  }

  session(email: string): Session | undefined {
    return this.sessions[email.toLowerCase()];
  }

  private store(email: string, s: Session | undefined): void {
    if (s) this.sessions[email.toLowerCase()] = s;
    else delete this.sessions[email.toLowerCase()];
    if (!this.sessionFile || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      try {
        mkdirSync(path.dirname(this.sessionFile!), { recursive: true });
        writeFileSync(this.sessionFile!, JSON.stringify(this.sessions), { mode: 0o600 });
      } catch {
        // Next run signs in again.
      }
    }, 500);
  }

  /** Signs in (or registers with `registration` when the account does not exist), paced and retried on 429. */
  async signIn(email: string, password: string, registration?: Record<string, unknown>): Promise<Session> {
    for (let attempt = 0; ; attempt++) {
      if (this.stopped) throw new Error('simulation stopped');
      const address = this.clientAddress?.(email);
      const headers: Record<string, string> = address ? { 'CF-Connecting-IP': address } : {};
      await this.loginSlot(address);
      try {
        const answer = await this.request<TokenAnswer>('/v1/auth/login', { json: { email, password }, anonymous: true, headers });
        return this.keep(email, answer);
      } catch (error) {
        if (error instanceof HttpError && error.status === 401 && registration) {
          const answer = await this.request<TokenAnswer>('/v1/auth/register', { json: { ...registration, email, password }, anonymous: true, headers });
          return this.keep(email, answer);
        }
        if (error instanceof HttpError && (error.status === 429 || error.status === 503) && attempt < 20) {
          await sleep((error.retryAfterSeconds ?? 10) * 1000);
          continue;
        }
        throw error;
      }
    }
  }

  private keep(email: string, answer: TokenAnswer, previous?: Session): Session {
    const user = answer.user ?? previous?.user;
    if (!user) throw new Error(`no user in the answer for ${email}`);
    const s: Session = { accessToken: answer.accessToken, refreshToken: answer.refreshToken, expiresAt: Date.now() + answer.expiresIn * 1000, user };
    this.store(email, s);
    return s;
  }

  private refreshing = new Map<string, Promise<Session | null>>();

  /** A valid access token for the account, refreshing (or signing in again) as needed. */
  async token(email: string, password: string, registration?: Record<string, unknown>): Promise<string> {
    let s = this.session(email);
    if (s && s.expiresAt - Date.now() > 60_000) return s.accessToken;
    if (s) {
      const key = email.toLowerCase();
      let pending = this.refreshing.get(key);
      if (!pending) {
        const current = s;
        pending = this.request<TokenAnswer>('/v1/auth/refresh', { json: { refreshToken: current.refreshToken }, anonymous: true })
          .then((answer) => this.keep(email, answer, current))
          .catch(() => {
            this.store(email, undefined);
            return null;
          })
          .finally(() => this.refreshing.delete(key));
        this.refreshing.set(key, pending);
      }
      s = (await pending) ?? undefined;
      if (s) return s.accessToken;
    }
    return (await this.signIn(email, password, registration)).accessToken;
  }

  stop(): void {
    this.stopped = true;
  }
}

/** One simulated person: requests carry their token; a 401 signs them in again once. */
export class SimAccount {
  constructor(
    readonly api: SimApi,
    readonly email: string,
    private readonly password: string,
    private readonly registration?: Record<string, unknown>,
  ) {}

  get user(): SessionUser | undefined {
    return this.api.session(this.email)?.user;
  }

  token(): Promise<string> {
    return this.api.token(this.email, this.password, this.registration);
  }

  async call<T>(pathname: string, options: RequestOptions = {}): Promise<T> {
    const token = await this.token();
    try {
      return await this.api.request<T>(pathname, { ...options, token });
    } catch (error) {
      if (!(error instanceof HttpError) || error.status !== 401) throw error;
      await this.api.signIn(this.email, this.password, this.registration);
      return this.api.request<T>(pathname, { ...options, token: await this.token() });
    }
  }
}
