import { env, exports } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../support/worker-entry';
import { sessionToken } from './helpers/sessions';

const call = (headers: Record<string, string> = {}) => exports.default.fetch(new Request('http://platform.test/metrics', { headers }));
const tokenFor = (role: 'customer' | 'ops') => sessionToken({ sub: `usr_metrics${role}000000000`, role });

describe('GET /metrics', () => {
  it('refuses anonymous callers (401) and non-operators (403)', async () => {
    expect((await call()).status).toBe(401);
    expect((await call({ Authorization: `Bearer ${await tokenFor('customer')}` })).status).toBe(403);
  });

  it('answers operators in Prometheus text format', async () => {
    const res = await call({ Authorization: `Bearer ${await tokenFor('ops')}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await res.text();
    expect(text).toMatch(/^delivery_up 1$/m);
    expect(text).toMatch(/^delivery_orders_open\{status="placed"\} \d+$/m);
    expect(text).toMatch(/^delivery_outbox_pending \d+$/m);
    // The reconciliation sweeps' gauges (runbook, Reconciliation sweeps).
    for (const state of ['in_flight', 'overdue', 'parked']) expect(text).toMatch(new RegExp(`^delivery_outbox_unconsumed\\{state="${state}"\\} \\d+$`, 'm'));
    expect(text).toMatch(/^delivery_outbox_oldest_unconsumed_seconds [\d.]+$/m);
    expect(text).toMatch(/^delivery_orders_awaiting_merchant\{stage="waiting"\} \d+$/m);
    expect(text).toMatch(/^delivery_orders_awaiting_merchant\{stage="escalated"\} \d+$/m);
    expect(text).toMatch(/^delivery_orders_oldest_awaiting_merchant_seconds [\d.]+$/m);
    expect(text).toMatch(/^delivery_refunds_pending \d+$/m);
    expect(text).toMatch(/^delivery_payments_awaiting_reconciliation \d+$/m);
    expect(text).toMatch(/^delivery_refunds_oldest_pending_seconds [\d.]+$/m);
  });

  it('accepts the scrape token when one is configured, and only that token', async () => {
    const scrapeEnv = { ...env, METRICS_TOKEN: 'scrape-token-0123456789abcdef' } as Env;
    const send = async (auth: string) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(new Request('http://platform.test/metrics', { headers: { Authorization: auth } }), scrapeEnv, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    expect((await send('Bearer scrape-token-0123456789abcdef')).status).toBe(200);
    expect((await send('Bearer scrape-token-0123456789abcdeX')).status).toBe(401);
  });
});
