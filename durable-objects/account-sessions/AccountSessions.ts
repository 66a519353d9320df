import { DurableObject } from 'cloudflare:workers';
import {
  checkSession,
  eraseAccount,
  openSession,
  revokeAllSessions,
  revokeSession,
  type CheckOutcome,
  type OpenOutcome,
  type RevocationReason,
  type SessionRow,
} from './registry';
import { SessionRepository } from './storage';

/**
 * One object per account (named `user:<id>`, workers/services/auth/session-registry.ts):
 * the account's live sessions, asked on every authenticated request
 * (docs/decisions/0082). No object is ever hot: it serves one person's
 * requests. The logic is registry.ts; this adapter runs it on the object's
 * SQLite storage and arms the one alarm that forgets expired sessions, and
 * deletes the storage once nothing is left to remember.
 */
export class AccountSessions extends DurableObject<Env> {
  private readonly sessionsRepo: SessionRepository;
  /** The schema is created on first use, and again after the alarm wiped the storage. */
  private migrated = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sessionsRepo = new SessionRepository(ctx.storage.sql);
  }

  private get repo(): SessionRepository {
    if (!this.migrated) {
      this.sessionsRepo.migrate();
      this.migrated = true;
    }
    return this.sessionsRepo;
  }

  /** The hot path: one primary-key read, nothing written. */
  check(sid: string): CheckOutcome {
    return checkSession(this.repo, sid, Date.now());
  }

  async open(sid: string, expiresAt: number): Promise<OpenOutcome> {
    const outcome = openSession(this.repo, sid, expiresAt, Date.now());
    if (outcome.opened) await this.armAlarm();
    return outcome;
  }

  async revoke(sid: string, reason: RevocationReason, keepUntil: number): Promise<boolean> {
    const revoked = revokeSession(this.repo, sid, reason, Date.now(), keepUntil);
    await this.armAlarm();
    return revoked;
  }

  /** Every live session revoked; the ids of those that were live. */
  revokeAll(reason: RevocationReason): string[] {
    return revokeAllSessions(this.repo, reason, Date.now());
  }

  /** Erasure: all sessions revoked and none ever opened again. */
  erase(): string[] {
    return eraseAccount(this.repo, Date.now());
  }

  /** Sessions as stored (the runbook's listing, and tests). */
  sessions(): { status: string; sessions: SessionRow[] } {
    return { status: this.repo.status(), sessions: this.repo.all() };
  }

  private async armAlarm(): Promise<void> {
    const next = this.repo.nextExpiry();
    if (next === null) return;
    const armed = await this.ctx.storage.getAlarm();
    if (armed === null || armed > next) await this.ctx.storage.setAlarm(next);
  }

  override async alarm(): Promise<void> {
    // Alarms run at least once: pruning is idempotent.
    const next = this.repo.pruneExpired(Date.now());
    if (next !== null) {
      await this.ctx.storage.setAlarm(next);
    } else if (this.repo.status() === 'active') {
      // Nothing to remember: an idle account costs no storage. An erased one keeps its status.
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.deleteAll();
      this.migrated = false;
    }
  }
}
