/**
 * API9:2023 improper inventory management / ASVS V14.3.2 (no debug surface in
 * production): the Worker answers no
 * route its OpenAPI document does not describe, and the local-only surface
 * (the dev outbox) does not exist outside local mode.
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../workers/app';
import worker from '../support/worker-entry';

/** Hono's `/v1/orders/:id` as OpenAPI's `/v1/orders/{id}`. */
const asOpenApi = (path: string) => path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}');

describe('API9:2023 / V14.3.2 inventory', () => {
  it('API9:2023 every /v1 route the Worker serves is documented in /openapi.json with its method', async () => {
    const res = await worker.fetch(new Request('http://platform.test/openapi.json'), env as Env, createExecutionContext());
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
    const served = new Set(
      createApp()
        .routes.filter((r) => r.path.startsWith('/v1/') && r.method !== 'ALL')
        .map((r) => `${r.method} ${asOpenApi(r.path)}`),
    );
    expect(served.size).toBeGreaterThan(50);
    expect([...served].filter((op) => !documented.has(op))).toEqual([]);
  });

  it('V14.3.2 the dev outbox exists only in local mode', async () => {
    for (const path of ['/v1/dev/outbox', '/v1/dev/outbox?to=x']) {
      const ctx = createExecutionContext();
      const res = await worker.fetch(new Request(`http://platform.test${path}`), { ...env, APP_ENV: 'production' } as Env, ctx);
      await waitOnExecutionContext(ctx);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
  });
});
