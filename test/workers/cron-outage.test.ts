/**
 * The minute cron during a database outage: every sweep fails, each is logged
 * once and left for the next minute, and nothing escapes as an uncaught
 * error (vitest fails the run on any unhandled rejection).
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { expect, it, vi } from 'vitest';
import worker from '../../workers/index';

it('runs every sweep against an unreachable database without an uncaught error, logging each failure once', async () => {
  const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    // Nothing listens on port 9 of this machine: every connection is refused.
    const down = { ...env, HYPERDRIVE: { ...env.HYPERDRIVE, connectionString: 'postgres://postgres:password@127.0.0.1:9/delivery' } } as Env;
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '* * * * *' }), down, ctx);
    await waitOnExecutionContext(ctx);
    const logged = errors.mock.calls.map((c) => (JSON.parse(String(c[0])) as { msg: string }).msg);
    // The payment, order (unaccepted, scheduled releases) and seal sweeps fail whole, once each; the event sweeps log each of their parts (relay, redelivery, retries, photos, retention).
    expect(logged.filter((m) => m.endsWith('the next minute tries again')).sort()).toEqual([
      'payment reconciliation failed; the next minute tries again',
      'refund retry failed; the next minute tries again',
      'scheduled releases failed; the next minute tries again',
      'seal sweep failed; the next minute tries again',
      'unaccepted orders failed; the next minute tries again',
    ]);
    expect(logged.filter((m) => m === 'event sweep failed').length).toBeGreaterThanOrEqual(1);
  } finally {
    errors.mockRestore();
  }
});
