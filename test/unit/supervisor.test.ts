/**
 * The restart policy of `npm start`'s supervisor (scripts/lib/supervisor.ts):
 * at most 5 restarts of a unit in 10 minutes, the first at once and the next
 * ones later and later, then give up; a failed restart counts as one; events
 * say what happened. A fake clock: sleeping moves time on, nothing waits.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, describeEvent, ProbeTracker, RestartBudget, Supervisor, type Clock, type SupervisorEvent } from '../../scripts/lib/supervisor';

const MINUTE = 60_000;

function fakeClock(start = 1_000_000): Clock & { slept: number[]; t: number } {
  const clock = {
    t: start,
    slept: [] as number[],
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.slept.push(ms);
      clock.t += ms;
    },
  };
  return clock;
}

/** Lets the supervisor's recovery (a chain of awaited promises) run to its end. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('RestartBudget', () => {
  it('restarts at once, then backs off 0.5, 1, 2, 4 s, and gives up at the sixth death within 10 minutes', () => {
    const budget = new RestartBudget(DEFAULT_POLICY);
    const t0 = 5_000_000;
    const decisions = [0, 1, 2, 3, 4, 5].map((i) => budget.next(t0 + i * 10_000));
    expect(decisions.slice(0, 5)).toEqual([
      { kind: 'restart', attempt: 1, delayMs: 0 },
      { kind: 'restart', attempt: 2, delayMs: 500 },
      { kind: 'restart', attempt: 3, delayMs: 1_000 },
      { kind: 'restart', attempt: 4, delayMs: 2_000 },
      { kind: 'restart', attempt: 5, delayMs: 4_000 },
    ]);
    expect(decisions[5]).toEqual({ kind: 'give-up', restarts: 5 });
  });

  it('forgets restarts older than the window', () => {
    const budget = new RestartBudget(DEFAULT_POLICY);
    for (let i = 0; i < 5; i++) budget.next(i * MINUTE);
    expect(budget.next(9 * MINUTE)).toEqual({ kind: 'give-up', restarts: 5 });
    // At 10 min the first restart (t = 0) leaves the window: one more is allowed, as the 5th in it.
    expect(budget.next(10 * MINUTE)).toEqual({ kind: 'restart', attempt: 5, delayMs: 4_000 });
    // A unit that dies once an hour always restarts at once.
    const hourly = new RestartBudget(DEFAULT_POLICY);
    for (let h = 0; h < 24; h++) expect(hourly.next(h * 60 * MINUTE)).toEqual({ kind: 'restart', attempt: 1, delayMs: 0 });
  });
});

describe('ProbeTracker', () => {
  it('is unresponsive at the third failure in a row, once per streak; a success clears the streak', () => {
    const tracker = new ProbeTracker(3);
    let t = 0;
    const probe = (ok: boolean, error = 'no answer within 1500 ms') => tracker.record(ok, (t += 1_500), error);
    expect([probe(false), probe(false), probe(true)]).toEqual([false, false, false]);
    expect([probe(false), probe(false), probe(false), probe(false)]).toEqual([false, false, true, false]);
    expect(tracker.describe(t)).toBe('4 probes failed over 4.5 s: no answer within 1500 ms');
    tracker.reset();
    expect([probe(false), probe(false), probe(false)]).toEqual([false, false, true]);
  });

  it('waits out the patience asked for (wrangler busy replacing its runtime) before calling it unresponsive', () => {
    const tracker = new ProbeTracker(3);
    const at = [0, 1_500, 3_000, 10_000, 19_000, 20_500, 22_000];
    expect(at.map((now) => tracker.record(false, now, 'ECONNREFUSED', 20_000))).toEqual([false, false, false, false, false, true, false]);
    // Back before the patience ran out: nothing to report, and the next outage starts afresh.
    const reload = new ProbeTracker(3);
    expect([0, 1_500, 3_000, 4_500].map((now) => reload.record(false, now, 'no answer', 20_000))).toEqual([false, false, false, false]);
    expect(reload.record(true, 6_000)).toBe(false);
    expect([7_000, 8_500, 10_000].map((now) => reload.record(false, now))).toEqual([false, false, true]);
  });
});

describe('Supervisor', () => {
  function supervised(restart: () => Promise<void>) {
    const clock = fakeClock();
    const lines: string[] = [];
    const gaveUp: SupervisorEvent[] = [];
    const supervisor = new Supervisor({ clock, log: (line) => lines.push(line), onGiveUp: (e) => gaveUp.push(e) });
    let restarts = 0;
    supervisor.add('postgres', {
      restart: async () => {
        restarts++;
        clock.t += 1_200;
        await restart();
      },
    });
    return { clock, lines, gaveUp, supervisor, restarts: () => restarts };
  }

  it('restarts a unit that died and says so', async () => {
    const { supervisor, lines, restarts } = supervised(async () => {});
    supervisor.report('postgres', 'died', 'signal SIGKILL');
    expect(supervisor.state('postgres')).toBe('restarting');
    // A second report of the same outage (e.g. a probe) while it restarts changes nothing.
    supervisor.report('postgres', 'died', 'signal SIGKILL');
    await supervisor.settled('postgres');
    expect(restarts()).toBe(1);
    expect(supervisor.state('postgres')).toBe('running');
    expect(lines).toEqual(['postgres died (signal SIGKILL), restarting (1/5)', 'postgres back after 1.2 s']);
    expect(supervisor.history().map((e) => e.type)).toEqual(['died', 'restarted']);
  });

  it('counts a failed restart as an attempt, backs off, and gives up when the budget is spent', async () => {
    const { supervisor, lines, gaveUp, clock, restarts } = supervised(async () => {
      throw new Error('FATAL: pre-existing shared memory block is still in use');
    });
    supervisor.report('postgres', 'died', 'signal SIGKILL');
    await supervisor.settled('postgres');
    expect(restarts()).toBe(5);
    expect(clock.slept).toEqual([0, 500, 1_000, 2_000, 4_000]);
    expect(supervisor.state('postgres')).toBe('gave-up');
    expect(gaveUp).toHaveLength(1);
    expect(lines[0]).toBe('postgres died (signal SIGKILL), restarting (1/5)');
    expect(lines[1]).toBe('postgres restart failed: FATAL: pre-existing shared memory block is still in use');
    expect(lines[2]).toBe('postgres died (restart failed: FATAL: pre-existing shared memory block is still in use), restarting (2/5)');
    expect(lines.at(-1)).toBe('postgres: restart failed: FATAL: pre-existing shared memory block is still in use; already restarted 5 times in 10 min: giving up');
    // After giving up, nothing restarts it again.
    supervisor.report('postgres', 'died', 'signal SIGKILL');
    await settle();
    expect(restarts()).toBe(5);
  });

  it('recovers once the restart works again, within the budget', async () => {
    let failures = 2;
    const { supervisor, lines } = supervised(async () => {
      if (failures-- > 0) throw new Error('port 54329 is in use');
    });
    supervisor.report('postgres', 'died', 'exit code 1');
    await supervisor.settled('postgres');
    expect(supervisor.state('postgres')).toBe('running');
    expect(lines.at(-1)).toBe('postgres back after 5.1 s');
    expect(supervisor.history().filter((e) => e.type === 'restarted')).toEqual([expect.objectContaining({ attempt: 3, downtimeMs: 3 * 1_200 + 500 + 1_000 })]);
  });

  it('leaves a deliberately stopped unit down, and stops restarting once closed', async () => {
    const { supervisor, restarts } = supervised(async () => {});
    supervisor.paused('postgres');
    supervisor.report('postgres', 'died', 'signal SIGINT');
    expect(supervisor.state('postgres')).toBe('stopped');
    supervisor.resumed('postgres');
    supervisor.close();
    supervisor.report('postgres', 'died', 'signal SIGKILL');
    await settle();
    expect(restarts()).toBe(0);
  });

  it('tells listeners, and waitFor resolves with the next matching event', async () => {
    const { supervisor } = supervised(async () => {});
    const seen: string[] = [];
    const off = supervisor.on((e) => seen.push(`${e.unit}:${e.type}`));
    const back = supervisor.waitFor({ unit: 'postgres', type: 'restarted' }, 1_000);
    supervisor.report('postgres', 'unresponsive', '3 probes failed: ECONNREFUSED');
    await expect(back).resolves.toMatchObject({ type: 'restarted', unit: 'postgres', attempt: 1 });
    off();
    expect(seen).toEqual(['postgres:unresponsive', 'postgres:restarted']);
    await expect(supervisor.waitFor({ type: 'gave-up' }, 10)).rejects.toThrow('no gave-up within 10 ms');
  });

  it('describes each event as one line', () => {
    expect(describeEvent({ type: 'unresponsive', unit: 'runtime', detail: '3 probes failed: no answer within 1500 ms', attempt: 2, max: 5, at: 0 })).toBe(
      'runtime unresponsive (3 probes failed: no answer within 1500 ms), restarting (2/5)',
    );
  });
});
