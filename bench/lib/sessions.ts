/**
 * Access tokens for accounts a benchmark writes straight into Postgres. Every
 * request's token must name a session its account's AccountSessions object
 * has opened (ADR 0082), as a sign-in does; the benchmark opens them through
 * Miniflare's proxy of the Worker's bindings once the runtime is up (each
 * harness has its own Durable Object storage).
 */
import { newId } from '../../db/ids';
import { sessionObjectName } from '../../workers/services/auth/session-registry';
import { issueAccessToken, type AccessClaims } from '../../workers/services/auth/tokens';

export interface BenchSession {
  userId: string;
  sid: string;
  token: string;
}

export async function benchSession(signingKeys: string, claims: Omit<AccessClaims, 'sid'>): Promise<BenchSession> {
  const sid = newId('fam');
  return { userId: claims.sub, sid, token: (await issueAccessToken(signingKeys, { ...claims, sid })).token };
}

type SessionsRpc = { open(sid: string, expiresAt: number): Promise<unknown> };

/**
 * Opens the sessions in the runtime behind `getEnv()` (20 calls at a time).
 * Miniflare's binding proxy now and then fails a call with an internal
 * `AssertionError: false == true` while parsing its answer (seen with 100 at
 * a time, one run in three): opening a session twice is harmless, so a failed
 * call is made again, up to 3 times.
 */
export async function openBenchSessions(getEnv: () => Promise<unknown>, sessions: readonly BenchSession[]): Promise<void> {
  const env = (await getEnv()) as { ACCOUNT_SESSIONS: { getByName(name: string): SessionsRpc } };
  const until = Date.now() + 24 * 3600_000;
  const open = async (s: BenchSession) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await env.ACCOUNT_SESSIONS.getByName(sessionObjectName(s.userId)).open(s.sid, until);
      } catch (error) {
        if (attempt >= 3) throw error;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  };
  for (let i = 0; i < sessions.length; i += 20) await Promise.all(sessions.slice(i, i + 20).map(open));
}
