import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../support/worker-entry';
import { checkedFetch } from '../support/openapi-contract';

// Checked against the OpenAPI document (ADR 0095).
const call = (path: string, init?: RequestInit) => checkedFetch(new Request(`http://platform.test${path}`, init));

describe('health and readiness', () => {
  it('answers /healthz with ok and a request id', async () => {
    const res = await call('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('echoes a well-formed caller request id and replaces a bad one', async () => {
    const good = await call('/healthz', { headers: { 'X-Request-Id': 'client-abc-12345' } });
    expect(good.headers.get('x-request-id')).toBe('client-abc-12345');
    const bad = await call('/healthz', { headers: { 'X-Request-Id': 'bad id <script>' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('is ready when Postgres answers through Hyperdrive', async () => {
    const res = await call('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', cityShard: 'ok' } });
  });

  it('is not ready (503 problem with Retry-After) when Postgres is unreachable', async () => {
    // The same Worker, with its Hyperdrive binding pointing at a port nobody listens on.
    const downEnv = { ...env, HYPERDRIVE: { ...env.HYPERDRIVE, connectionString: 'postgres://postgres:password@127.0.0.1:1/delivery' } };
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request('http://platform.test/readyz'), downEnv as Env, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = await res.json<Record<string, unknown>>();
    expect(body).toMatchObject({ status: 503, title: 'Service Unavailable', type: expect.stringContaining('dependency-unavailable') });
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
  });
});
