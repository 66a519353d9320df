/**
 * Sign-in: throttling, password check, rehash, audit. An unknown email and a
 * wrong password take the same path — the same limiter calls, the same query,
 * one scrypt derivation (against a decoy when there is no account) and the
 * same answer — so neither the status nor the time tells them apart.
 */
import { SYSTEM_ACTOR, recordAudit, userActor } from '../audit';
import { findLoginByEmail, loadIdentity, normalizeEmail, replacePasswordHash, type Db, type Identity } from './accounts';
import { decoyHash, hashPassword, needsRehash, verifyPassword } from './password';
import { RULES, crossedThreshold, retryAfterOf, subjectName, type LimitDecision, type Limiter } from './throttle';

export interface LoginContext {
  db: Db;
  limiter: Limiter;
  ip: string;
  requestId?: string;
}

export type LoginOutcome =
  | { kind: 'ok'; identity: Identity }
  | { kind: 'invalid' }
  | { kind: 'throttled'; retryAfterSeconds: number };

export async function attemptLogin(ctx: LoginContext, email: string, password: string): Promise<LoginOutcome> {
  const account = normalizeEmail(email);
  const [ipSubject, accountSubject] = await Promise.all([subjectName('ip', ctx.ip), subjectName('account', account)]);

  // Both subjects at once. The account's failure slot is taken before the
  // password is checked (and given back on success), so concurrent guesses can
  // never exceed the limit.
  const [ipGate, accountGate] = await Promise.all([
    ctx.limiter.apply(ipSubject, [
      { bucket: 'login', rule: RULES.loginAttemptsPerIp, op: 'consume' },
      { bucket: 'login_fail', rule: RULES.loginFailuresPerIp, op: 'check' },
    ]),
    ctx.limiter.apply(accountSubject, [{ bucket: 'login_fail', rule: RULES.loginFailuresPerAccount, op: 'consume' }]),
  ]);
  const accountSlot = accountGate[0]!;
  const refused = retryAfterOf([...ipGate, ...accountGate]);
  if (refused > 0) {
    if (accountSlot.allowed) await refundAccountSlot(ctx, accountSubject);
    return { kind: 'throttled', retryAfterSeconds: refused };
  }

  const record = await findLoginByEmail(ctx.db, account);
  const usable = record?.status === 'active' && record.credential ? record.credential : null;
  const matches = await verifyPassword(password, usable ?? decoyHash());

  if (matches && record && usable) {
    const [identity] = await Promise.all([loadIdentity(ctx.db, record.userId), refundAccountSlot(ctx, accountSubject)]);
    if (identity) {
      await Promise.all([
        needsRehash(usable) ? hashPassword(password).then((fresh) => replacePasswordHash(ctx.db, record.userId, fresh)) : undefined,
        recordAudit(ctx.db, {
          actor: userActor(identity.userId, identity.role),
          action: 'auth.login',
          target: { type: 'user', id: identity.userId },
          ip: ctx.ip,
          requestId: ctx.requestId ?? null,
        }),
      ]);
      return { kind: 'ok', identity };
    }
  }

  const [ipFailures] = await ctx.limiter.apply(ipSubject, [{ bucket: 'login_fail', rule: RULES.loginFailuresPerIp, op: 'record' }]);
  await auditBursts(ctx, record?.userId ?? null, accountSlot, ipFailures!);
  return { kind: 'invalid' };
}

async function refundAccountSlot(ctx: LoginContext, accountSubject: string): Promise<void> {
  await ctx.limiter.apply(accountSubject, [{ bucket: 'login_fail', rule: RULES.loginFailuresPerAccount, op: 'refund' }]);
}

/** Writes `auth.login_failed_burst` when this failure crossed a threshold for the account or the IP. */
async function auditBursts(ctx: LoginContext, userId: string | null, account: LimitDecision, ip: LimitDecision): Promise<void> {
  const bursts = [
    { scope: 'account', failures: crossedThreshold(account), rule: RULES.loginFailuresPerAccount },
    { scope: 'ip', failures: crossedThreshold(ip), rule: RULES.loginFailuresPerIp },
  ].filter((b) => b.failures !== undefined);
  for (const burst of bursts) {
    await recordAudit(ctx.db, {
      actor: SYSTEM_ACTOR,
      action: 'auth.login_failed_burst',
      // The account's user when it exists; an unknown email leaves no identifier behind.
      target: { type: 'user', id: burst.scope === 'account' ? userId : null },
      ip: ctx.ip,
      requestId: ctx.requestId ?? null,
      metadata: {
        scope: burst.scope,
        failures: burst.failures,
        windowSeconds: burst.rule.windowSeconds,
        limit: burst.rule.limit,
        locked: burst.failures! >= burst.rule.limit,
      },
    });
  }
}
