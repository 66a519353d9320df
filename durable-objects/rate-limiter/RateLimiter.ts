import { DurableObject } from 'cloudflare:workers';
import { HitRepository } from './storage';
import { applyOps, type LimitDecision, type LimitOp } from './window';

/**
 * One object per throttled subject (an IP address, an account), named by
 * `workers/services/auth/throttle.ts`, so no object is ever hot: a login
 * touches the caller's IP object and the account's object, nothing shared.
 * The decision logic is `window.ts`; this adapter only runs it on the
 * object's SQLite storage and arms the one alarm that deletes the storage
 * once every hit has expired, so idle subjects cost nothing.
 */
export class RateLimiter extends DurableObject<Env> {
  private readonly repo: HitRepository;
  /** The schema is created on first use, and again after the alarm wiped the storage. */
  private migrated = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.repo = new HitRepository(ctx.storage.sql);
  }

  private ensureSchema(): void {
    if (!this.migrated) {
      this.repo.migrate();
      this.migrated = true;
    }
  }

  /** Applies a batch of operations atomically (see window.ts) and returns one decision per operation. */
  async apply(ops: LimitOp[]): Promise<LimitDecision[]> {
    this.ensureSchema();
    const decisions = applyOps(this.repo, ops, Date.now());
    const lastExpiry = this.repo.lastExpiry();
    if (lastExpiry !== null) {
      const armed = await this.ctx.storage.getAlarm();
      if (armed === null || armed < lastExpiry) await this.ctx.storage.setAlarm(lastExpiry);
    }
    return decisions;
  }

  /** Hits currently stored (tests and debugging). */
  size(): number {
    this.ensureSchema();
    return this.repo.count();
  }

  override async alarm(): Promise<void> {
    // Alarms run at least once: pruning is idempotent.
    this.ensureSchema();
    const next = this.repo.pruneExpired(Date.now());
    if (next === null) {
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.deleteAll();
      this.migrated = false;
    } else {
      await this.ctx.storage.setAlarm(next);
    }
  }
}
