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
