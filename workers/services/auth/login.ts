/**
 * Sign-in: throttling, password check, rehash, audit (ADR 0088). An unknown
 * email and a wrong password take the same path — the same limiter calls,
 * the same query, one scrypt derivation (against a decoy when there is no
 * account) and the same answer — so neither the status nor the time tells
 * them apart.
 *
 * Throttling cannot be turned into a lockout: failures slow down the
 * (account, IP) pair and the IP that makes them, with growing delays; the
 * account-wide limit, which strangers can fill, applies only to devices the
 * account has never signed in from, and as a delay of at most a minute,
 * never an hour's lock. A device that has signed in before (its signed
 * `device` token) is limited by its own failures only. The owner is told by
 * email when failures pile up (once per window).
 */
import { SYSTEM_ACTOR, recordAudit, userActor } from '../audit';
import { outboxEvent, writeOutbox } from '../outbox';
import { findLoginByEmail, loadIdentity, normalizeEmail, replacePasswordHash, type Db, type Identity } from './accounts';
import { issueDeviceToken, knownDevice } from './device-tokens';
import { decoyHash, hashPassword, needsRehash, verifyPassword } from './password';
import { RULES, crossedThreshold, retryAfterOf, subjectName, type LimitDecision, type Limiter, type LimitOp, type WindowRule } from './throttle';

export interface LoginContext {
  db: Db;
  limiter: Limiter;
  ip: string;
  /** Signs and checks device tokens (the access tokens' keys). */
  signingKeys: string;
  /** The `device` token the client sent back (cookie or body), if any. */
  deviceToken?: string | undefined;
  requestId?: string;
}

export type LoginOutcome =
  | { kind: 'ok'; identity: Identity; device: { token: string; deviceId: string; known: boolean } }
  /** `noticeQueued`: the owner's email about failed sign-ins is in the outbox (the route kicks the relay). */
  | { kind: 'invalid'; noticeQueued: boolean }
  | { kind: 'throttled'; retryAfterSeconds: number };

type Scope = 'ip' | 'account' | 'account_ip' | 'device';

/** One subject's operations; `login_fail` ones count a failure up front and are given back on success. */
interface Gate {
  scope: Scope;
  subject: string;
  ops: LimitOp[];
}

const FAIL = 'login_fail';
const failOp = (rule: WindowRule): LimitOp => ({ bucket: FAIL, rule, op: 'consume' });
const refundsOf = (gate: Gate): LimitOp[] => gate.ops.filter((o) => o.bucket === FAIL).map((o) => ({ ...o, op: 'refund' as const }));

async function gatesFor(ctx: LoginContext, account: string): Promise<{ gates: Gate[]; accountSubject: string; deviceId: string | null }> {
  const [ipSubject, accountSubject, pairSubject] = await Promise.all([
    subjectName('ip', ctx.ip),
    subjectName('account', account),
    subjectName('account_ip', `${account}\n${ctx.ip}`),
  ]);
  const deviceId = await knownDevice(ctx.signingKeys, ctx.deviceToken, accountSubject);
  const attempts: LimitOp = { bucket: 'login', rule: RULES.loginAttemptsPerIp, op: 'consume' };
  if (deviceId) {
    // A known device: only its own failures slow it (and the per-IP attempt rate, which bounds CPU).
    return {
      accountSubject,
      deviceId,
      gates: [
        { scope: 'ip', subject: ipSubject, ops: [attempts] },
        { scope: 'device', subject: await subjectName('device', deviceId), ops: [failOp(RULES.loginFailuresPerDevice)] },
      ],
    };
  }
  return {
    accountSubject,
    deviceId,
    gates: [
      { scope: 'ip', subject: ipSubject, ops: [attempts, failOp(RULES.loginFailuresPerIp)] },
      { scope: 'account_ip', subject: pairSubject, ops: [failOp(RULES.loginFailuresPerAccountIp)] },
      { scope: 'account', subject: accountSubject, ops: [failOp(RULES.loginFailuresPerAccount)] },
    ],
  };
}

export async function attemptLogin(ctx: LoginContext, email: string, password: string): Promise<LoginOutcome> {
  const account = normalizeEmail(email);
  const { gates, accountSubject, deviceId } = await gatesFor(ctx, account);

  // Every subject at once. The failure slots are taken before the password is
  // checked (and given back on success), so concurrent guesses can never
  // outrun a limit or its delay.
  const decisions = await Promise.all(gates.map((g) => ctx.limiter.apply(g.subject, g.ops)));
  const refused = retryAfterOf(decisions.flat());
  if (refused > 0) {
    // A refused batch counted nothing; the others give their failure slots back.
    await Promise.all(gates.filter((_, i) => decisions[i]!.every((d) => d.allowed)).map((g) => refund(ctx, g)));
    return { kind: 'throttled', retryAfterSeconds: refused };
  }

  const record = await findLoginByEmail(ctx.db, account);
  const usable = record?.status === 'active' && record.credential ? record.credential : null;
  const matches = await verifyPassword(password, usable ?? decoyHash());

  if (matches && record && usable) {
    const [identity] = await Promise.all([loadIdentity(ctx.db, record.userId), ...gates.map((g) => refund(ctx, g))]);
    if (identity) {
      const [device] = await Promise.all([
        issueDeviceToken(ctx.signingKeys, accountSubject, deviceId ?? undefined),
        needsRehash(usable) ? hashPassword(password).then((fresh) => replacePasswordHash(ctx.db, record.userId, fresh)) : undefined,
        recordAudit(ctx.db, {
          actor: userActor(identity.userId, identity.role),
          action: 'auth.login',
          target: { type: 'user', id: identity.userId },
          ip: ctx.ip,
          requestId: ctx.requestId ?? null,
          metadata: { knownDevice: deviceId !== null },
        }),
      ]);
      return { kind: 'ok', identity, device: { ...device, known: deviceId !== null } };
    }
  }

  const noticeQueued = await afterFailure(ctx, record?.userId ?? null, gates, decisions);
  return { kind: 'invalid', noticeQueued };
}

async function refund(ctx: LoginContext, gate: Gate): Promise<void> {
  const ops = refundsOf(gate);
  if (ops.length > 0) await ctx.limiter.apply(gate.subject, ops);
}

/**
 * A failure that crossed a threshold (10, 50, 100 in the window) is written
 * to the audit log as `auth.login_failed_burst`; the first crossing of the
 * account's tells its owner by email (an `account.sign_in_failures` outbox
 * event), so each window sends at most one.
 */
async function afterFailure(ctx: LoginContext, userId: string | null, gates: Gate[], decisions: LimitDecision[][]): Promise<boolean> {
  let noticeQueued = false;
  for (const [i, gate] of gates.entries()) {
    const decision = decisions[i]!.find((d) => d.bucket === FAIL);
    const failures = decision ? crossedThreshold(decision) : undefined;
    if (!decision || failures === undefined || gate.scope === 'account_ip') continue;
    const rule = gate.ops.find((o) => o.bucket === FAIL)!.rule;
    await recordAudit(ctx.db, {
      actor: SYSTEM_ACTOR,
      action: 'auth.login_failed_burst',
      // The account's user when it exists; an unknown email leaves no identifier behind.
      target: { type: 'user', id: gate.scope === 'ip' ? null : userId },
      ip: ctx.ip,
      requestId: ctx.requestId ?? null,
      metadata: { scope: gate.scope, failures, windowSeconds: rule.windowSeconds, limit: rule.limit, locked: failures >= rule.limit },
    });
    if (userId && (gate.scope === 'account' || gate.scope === 'device') && failures === NOTIFY_AT) {
      await writeOutbox(ctx.db, [outboxEvent('account.sign_in_failures', { type: 'user', id: userId }, { userId, failures, windowSeconds: rule.windowSeconds, scope: gate.scope })]);
      noticeQueued = true;
    }
  }
  return noticeQueued;
}

/** The failure count at which the owner is told (the first burst threshold). */
const NOTIFY_AT = 10;
