import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../workers/app';

/** Routes that serve the documentation itself rather than the API. */
// The API reference page and its configuration script (routes/api-reference.ts) are not API operations.
const UNDOCUMENTED = new Set(['GET /docs', 'GET /docs/setup.js', 'GET /docs/reference.js', 'GET /openapi.json']);

async function loadDocument() {
  const res = await createApp().request('http://platform.test/openapi.json');
  expect(res.status).toBe(200);
  return res.json() as Promise<{ openapi: string; paths: Record<string, Record<string, unknown>> }>;
}

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = await loadDocument();
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('names every operation: a unique, verbNoun camelCase operationId', async () => {
    const doc = await loadDocument();
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => (op as { operationId?: string }).operationId));
    expect(ids.length).toBeGreaterThan(60);
    expect(ids.filter((id) => !id || !/^[a-z]+(?:[A-Z][a-z]+)+$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('takes an Idempotency-Key on every creating POST (201), but for the two a retry cannot duplicate', async () => {
    const doc = (await loadDocument()) as unknown as {
      paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }>; responses: Record<string, unknown> }>>;
    };
    // Registering answers tokens that must never be stored for a replay, and the email's uniqueness turns a retry into a 409
    // (the app then signs in); a push token registered twice is the same device (200 the second time).
    const naturallyOnce = new Set(['/v1/auth/register', '/v1/me/devices']);
    const creating = Object.entries(doc.paths).flatMap(([path, ops]) => (ops.post?.responses['201'] ? [path] : []));
    expect(creating.length).toBeGreaterThan(5);
    const withoutKey = creating.filter((path) => !naturallyOnce.has(path) && !doc.paths[path]!.post!.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key'));
    expect(withoutKey).toEqual([]);
    expect(creating.filter((path) => naturallyOnce.has(path)).sort()).toEqual([...naturallyOnce].sort());
  });

  it('marks the public routes public, documents Retry-After on every 429 and 503, and requires Idempotency-Key on POST /v1/orders', async () => {
    const doc = (await loadDocument()) as unknown as {
      security: unknown[];
      paths: Record<string, Record<string, { security?: unknown[]; parameters?: Array<{ name: string; in: string; required?: boolean }>; responses: Record<string, { headers?: Record<string, unknown> }> }>>;
    };
    expect(doc.security).toEqual([{ bearer: [] }]);
    for (const [path, method] of [['/healthz', 'get'], ['/readyz', 'get'], ['/v1/auth/register', 'post'], ['/v1/auth/login', 'post'], ['/v1/auth/refresh', 'post'], ['/v1/track/{token}', 'get'], ['/v1/cities', 'get'], ['/v1/merchants', 'get']] as const) {
      expect(doc.paths[path]?.[method]?.security, `${method} ${path}`).toEqual([]);
    }
    const withoutRetryAfter = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).flatMap(([method, op]) =>
        Object.entries(op.responses)
          .filter(([status, response]) => (status === '429' || status === '503') && !response.headers?.['Retry-After'])
          .map(([status]) => `${method} ${path} ${status}`),
      ),
    );
    expect(withoutRetryAfter).toEqual([]);
    const key = doc.paths['/v1/orders']?.post?.parameters?.find((p) => p.in === 'header' && p.name === 'idempotency-key');
    expect(key?.required).toBe(true);
  });

  it('describes every route the server answers, and nothing else', async () => {
    const app = createApp();
    const doc = await loadDocument();
    const served = new Set(
      app.routes
        .filter((r) => r.method !== 'ALL')
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`)
        .filter((key) => !UNDOCUMENTED.has(key)),
    );
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)),
    );
    expect([...served].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((r) => !served.has(r))).toEqual([]);
  });
});
