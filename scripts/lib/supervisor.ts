/**
 * Supervision of what `npm start` runs (scripts/lib/platform.ts wires it):
 * when Postgres exits, or the Workers runtime exits or stops answering, say
 * so and start it again, at most `maxRestarts` times in `windowMs` per unit
 * (5 in 10 minutes), waiting longer between quick repeats; past that, give up
 * loudly so the platform can stop everything. The policy is pure (a clock is
 * passed in) and tested in test/unit/supervisor.test.ts.
 *
 * What counts as dead: Postgres' postmaster exited (its child process 'exit',
 * at once; a paused one is left alone); wrangler dev exited; or GET /healthz
 * failed 3 times in a row (probed every second, 1.5 s timeout), given 20 s
 * instead while a file wrangler watches changed in the last 30 s (a reload).
 *
 * The handle `startPlatform()` returns (RunningPlatform), for the chaos suite
 * and anyone who kills processes by hand:
 *
 *   postgres.pid()             postmaster pid, undefined while it is down (or with DATABASE_URL)
 *   postgres.stop() / start()  a deliberate outage: not restarted until start()
 *   restartPostgres()          graceful stop and start; not counted against the budget
 *   runtime.pids()             { wrangler, workerd: [...] }: the process group we started
 *                              (wrangler's launcher pid; workerd found in that group via /proc)
 *   restartRuntime()           the whole wrangler group again; not counted either
 *   supervision.on(listener)   every SupervisorEvent as it happens; returns an unsubscribe
 *   supervision.waitFor({ unit, type }, timeoutMs)  the next matching event (rejects on timeout)
 *   supervision.state(unit)    'running' | 'restarting' | 'stopped' | 'gave-up'
 *   supervision.history()      every event so far
 *
 * e.g. kill -9 every workerd and wait for the restart:
 *   const back = platform.supervision.waitFor({ unit: 'runtime', type: 'restarted' }, 60_000);
 *   for (const pid of platform.runtime.pids().workerd) process.kill(pid, 'SIGKILL');
 *   await back;
 * (Within 30 s of a source change the runtime gets the reload grace, and
 * wrangler may bring it back by itself with no event: wait for the API then.)
 *
 * Each event is also a log line ('[start] …' under npm start):
 *   died            postgres died (signal SIGKILL), restarting (1/5)
 *   unresponsive    runtime unresponsive (3 probes failed over 3.0 s: no answer within 1500 ms), restarting (1/5)
 *   restart-failed  postgres restart failed: …
 *   restarted       postgres back after 1.0 s
 *   gave-up         postgres: signal SIGKILL; already restarted 5 times in 10 min: giving up
 */

export type UnitName = 'postgres' | 'runtime';
export type UnitState = 'running' | 'restarting' | 'stopped' | 'gave-up';

export type SupervisorEvent =
  | { type: 'died' | 'unresponsive'; unit: UnitName; detail: string; attempt: number; max: number; at: number }
  | { type: 'restart-failed'; unit: UnitName; detail: string; attempt: number; at: number }
  | { type: 'restarted'; unit: UnitName; attempt: number; downtimeMs: number; at: number }
  | { type: 'gave-up'; unit: UnitName; detail: string; restarts: number; windowMs: number; at: number };

export interface RestartPolicy {
  maxRestarts: number;
  windowMs: number;
  /** Wait before the n-th restart within the window (the last value repeats). */
  backoffMs: readonly number[];
}

/**
 * The first restart is immediate: recovering within seconds is the point.
 * Later ones in the window wait a little longer each (a Postgres killed with
 * its backends busy holds its shared memory until they notice), and a unit
 * that cannot start at all gives up after about 8 s, not minutes.
 */
export const DEFAULT_POLICY: RestartPolicy = { maxRestarts: 5, windowMs: 10 * 60_000, backoffMs: [0, 500, 1_000, 2_000, 4_000] };

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const minutes = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000} min` : seconds(ms));

export type RestartDecision = { kind: 'restart'; attempt: number; delayMs: number } | { kind: 'give-up'; restarts: number };

/** Restarts within the sliding window: the next one's wait, or the end of the budget. */
export class RestartBudget {
  private recent: number[] = [];

  constructor(readonly policy: RestartPolicy = DEFAULT_POLICY) {}

  next(now: number): RestartDecision {
    this.recent = this.recent.filter((t) => now - t < this.policy.windowMs);
    if (this.recent.length >= this.policy.maxRestarts) return { kind: 'give-up', restarts: this.recent.length };
    this.recent.push(now);
    const attempt = this.recent.length;
    const { backoffMs } = this.policy;
    return { kind: 'restart', attempt, delayMs: backoffMs[Math.min(attempt, backoffMs.length) - 1] ?? 0 };
  }
}

/**
 * Consecutive failed health probes; one success clears them. The unit is
 * unresponsive after `threshold` failures in a row that also span
 * `patienceMs` (given per probe: more while the unit is known to be busy
 * coming back by itself).
 */
export class ProbeTracker {
  private failures = 0;
  private since = 0;
  private fired = false;
  private lastError = '';

  constructor(readonly threshold: number) {}

  /** True when this result makes the unit unresponsive (once per streak of failures). */
  record(ok: boolean, now: number, error = '', patienceMs = 0): boolean {
    if (ok) {
      this.reset();
      return false;
    }
    if (this.failures === 0) this.since = now;
    this.failures++;
    this.lastError = error;
    if (this.fired || this.failures < this.threshold || now - this.since < patienceMs) return false;
    this.fired = true;
    return true;
  }

  reset(): void {
    this.failures = 0;
    this.fired = false;
  }

  /** Failures in a row so far. */
  get streak(): number {
    return this.failures;
  }

  describe(now: number): string {
    return `${this.failures} probes failed over ${seconds(now - this.since)}: ${this.lastError}`;
  }
}

/** How a unit is brought back: stop whatever is left of it, start a fresh one, resolve once it serves. */
export interface UnitDriver {
  restart(): Promise<void>;
}

interface Unit {
  driver: UnitDriver;
  state: UnitState;
  budget: RestartBudget;
  recovery?: Promise<void>;
}

export interface SupervisorOptions {
  policy?: RestartPolicy;
  clock?: Clock;
  log?: (line: string) => void;
  /** After a unit's budget is spent (the platform stops everything). */
  onGiveUp?: (event: Extract<SupervisorEvent, { type: 'gave-up' }>) => void;
}

export function describeEvent(e: SupervisorEvent): string {
  switch (e.type) {
    case 'died':
    case 'unresponsive':
      return `${e.unit} ${e.type === 'died' ? 'died' : 'unresponsive'} (${e.detail}), restarting (${e.attempt}/${e.max})`;
    case 'restart-failed':
      return `${e.unit} restart failed: ${e.detail}`;
    case 'restarted':
      return `${e.unit} back after ${seconds(e.downtimeMs)}`;
    case 'gave-up':
      return `${e.unit}: ${e.detail}; already restarted ${e.restarts} times in ${minutes(e.windowMs)}: giving up`;
  }
}

export class Supervisor {
  private readonly units = new Map<UnitName, Unit>();
  private readonly listeners = new Set<(event: SupervisorEvent) => void>();
  private readonly events: SupervisorEvent[] = [];
  private readonly policy: RestartPolicy;
  private readonly clock: Clock;
  private closed = false;

  constructor(private readonly options: SupervisorOptions = {}) {
    this.policy = options.policy ?? DEFAULT_POLICY;
    this.clock = options.clock ?? systemClock;
  }

  add(name: UnitName, driver: UnitDriver): void {
    this.units.set(name, { driver, state: 'running', budget: new RestartBudget(this.policy) });
  }

  state(name: UnitName): UnitState {
    return this.unit(name).state;
  }

  history(): readonly SupervisorEvent[] {
    return this.events;
  }

  on(listener: (event: SupervisorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  waitFor(match: Partial<Pick<SupervisorEvent, 'unit' | 'type'>>, timeoutMs: number): Promise<SupervisorEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no ${[match.unit, match.type ?? 'event'].filter(Boolean).join(' ')} within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.on((event) => {
        if ((match.unit && event.unit !== match.unit) || (match.type && event.type !== match.type)) return;
        clearTimeout(timer);
        off();
        resolve(event);
      });
    });
  }

  /**
   * The unit's process exited, or it stopped answering: restart it within the
   * budget. Ignored while it restarts, after a deliberate stop, after giving
   * up and once the platform is stopping.
   */
  report(name: UnitName, kind: 'died' | 'unresponsive', detail: string): void {
    const unit = this.unit(name);
    if (this.closed || unit.state !== 'running') return;
    unit.state = 'restarting';
    unit.recovery = this.recover(name, unit, kind, detail).finally(() => {
      unit.recovery = undefined;
    });
  }

  /** A deliberate stop: the unit stays down, unreported, until `resumed`. */
  paused(name: UnitName): void {
    this.unit(name).state = 'stopped';
  }

  resumed(name: UnitName): void {
    const unit = this.unit(name);
    if (unit.state === 'stopped') unit.state = 'running';
  }

  /** Resolves once no restart is in progress (for a restart asked by hand, or a clean stop). */
  async settled(name: UnitName): Promise<void> {
    await this.unit(name).recovery;
  }

  /** No more restarts: the platform is stopping. */
  close(): void {
    this.closed = true;
  }

  private unit(name: UnitName): Unit {
    const unit = this.units.get(name);
    if (!unit) throw new Error(`unit ${name} is not supervised`);
    return unit;
  }

  private emit(event: SupervisorEvent): void {
    this.events.push(event);
    this.options.log?.(describeEvent(event));
    for (const listener of [...this.listeners]) listener(event);
  }

  private async recover(name: UnitName, unit: Unit, kind: 'died' | 'unresponsive', detail: string): Promise<void> {
    const since = this.clock.now();
    let cause: { kind: 'died' | 'unresponsive'; detail: string } = { kind, detail };
    for (;;) {
      const decision = unit.budget.next(this.clock.now());
      if (decision.kind === 'give-up') {
        unit.state = 'gave-up';
        const event = { type: 'gave-up', unit: name, detail: cause.detail, restarts: decision.restarts, windowMs: this.policy.windowMs, at: this.clock.now() } as const;
        this.emit(event);
        this.options.onGiveUp?.(event);
        return;
      }
      this.emit({ type: cause.kind, unit: name, detail: cause.detail, attempt: decision.attempt, max: this.policy.maxRestarts, at: this.clock.now() });
      await this.clock.sleep(decision.delayMs);
      if (this.closed || unit.state !== 'restarting') return;
      try {
        await unit.driver.restart();
      } catch (error) {
        if (this.closed) return;
        const message = error instanceof Error ? error.message : String(error);
        this.emit({ type: 'restart-failed', unit: name, detail: message, attempt: decision.attempt, at: this.clock.now() });
        cause = { kind: 'died', detail: `restart failed: ${message}` };
        continue;
      }
      if (this.closed) return;
      unit.state = 'running';
      this.emit({ type: 'restarted', unit: name, attempt: decision.attempt, downtimeMs: this.clock.now() - since, at: this.clock.now() });
      return;
    }
  }
}

/**
 * Probes a unit every `intervalMs` (from the start of one probe to the next)
 * while `active()` says it runs, and reports it unresponsive after
 * `failures` probes in a row failed over at least `patienceMs()`. A probe
 * must time out by itself.
 */
export function watchHealth(options: {
  probe: () => Promise<{ ok: boolean; error?: string }>;
  intervalMs: number;
  failures: number;
  active: () => boolean;
  onUnresponsive: (detail: string) => void;
  /** Asked at each failure (with the streak it makes): how long an outage must last before it counts (default 0). */
  patienceMs?: (streak: number) => number;
  onHealthy?: () => void;
}): { stop(): void } {
  const tracker = new ProbeTracker(options.failures);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    const started = Date.now();
    if (!options.active()) tracker.reset();
    else {
      const result = await options.probe().catch((e: unknown) => ({ ok: false, error: String(e) }));
      // A restart may have begun meanwhile: a stale failure must not count against the new process.
      if (options.active()) {
        if (result.ok) options.onHealthy?.();
        const now = Date.now();
        const patience = result.ok ? 0 : (options.patienceMs?.(tracker.streak + 1) ?? 0);
        if (tracker.record(result.ok, now, result.error, patience)) options.onUnresponsive(tracker.describe(now));
      }
    }
    if (!stopped) timer = setTimeout(() => void tick(), Math.max(0, options.intervalMs - (Date.now() - started))).unref();
  };
  timer = setTimeout(() => void tick(), options.intervalMs).unref();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
