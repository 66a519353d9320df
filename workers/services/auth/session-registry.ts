/**
 * The Worker's side of the AccountSessions Durable Object (ADR 0082): one
 * object per account holds the account's live sessions, and every request
 * with an access token asks it whether the token's session (`sid`) is still
 * live. Callers talk to it through the narrow `SessionRegistry` so the login
 * and revocation logic can be tested with a fake. Any failure to reach it
 * fails closed: the caller answers 503, never an unchecked 200.
 */
import type { CheckOutcome, OpenOutcome, RevocationReason } from '../../../durable-objects/account-sessions/registry';
import { ACCESS_TOKEN_TTL_SECONDS } from './tokens';
import { REFRESH_TOKEN_TTL_SECONDS } from './sessions';

export type { CheckOutcome, OpenOutcome, RevocationReason };

export interface SessionRegistry {
  check(userId: string, sid: string): Promise<CheckOutcome>;
  /** A sign-in, or a refresh that extends (or adopts) its family. */
  open(userId: string, sid: string, expiresAt: Date): Promise<OpenOutcome>;
  revoke(userId: string, sid: string, reason: RevocationReason): Promise<boolean>;
  /** Every live session of the account; returns their ids. */
  revokeAll(userId: string, reason: RevocationReason): Promise<string[]>;
  /** Erasure: every session, and no new one ever. */
  erase(userId: string): Promise<string[]>;
}

export class SessionRegistryUnavailableError extends Error {
  constructor(cause: unknown) {
    super('session registry unavailable', { cause });
  }
}

export const sessionObjectName = (userId: string): string => `user:${userId}`;

/** How long a revoked session id is remembered when the registry never saw it open: as long as its family could live. */
const forgetRevokedAfterMs = (REFRESH_TOKEN_TTL_SECONDS + ACCESS_TOKEN_TTL_SECONDS) * 1000;

export function sessionRegistryFrom(env: Pick<Env, 'ACCOUNT_SESSIONS'>): SessionRegistry {
  const stub = (userId: string) => env.ACCOUNT_SESSIONS.get(env.ACCOUNT_SESSIONS.idFromName(sessionObjectName(userId)));
  const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw new SessionRegistryUnavailableError(error);
    }
  };
  return {
    // RPC's types do not carry a union result through; these are the registry's own shapes.
    check: (userId, sid) => guarded(async () => (await stub(userId).check(sid)) as CheckOutcome),
    open: (userId, sid, expiresAt) => guarded(async () => (await stub(userId).open(sid, expiresAt.getTime())) as OpenOutcome),
    revoke: (userId, sid, reason) => guarded(() => stub(userId).revoke(sid, reason, Date.now() + forgetRevokedAfterMs)),
    revokeAll: (userId, reason) => guarded(() => stub(userId).revokeAll(reason)),
    erase: (userId) => guarded(() => stub(userId).erase()),
  };
}
