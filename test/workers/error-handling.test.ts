import { createRoute, z } from '@hono/zod-openapi';
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../workers/app';

/**
 * The real app, plus probe routes that exercise the shared machinery (body
 * limit, JSON parsing, zod validation, the one onError) the way every domain
 * route does.
 */
const app = createApp();
let sideEffects = 0;
app.openapi(
  createRoute({
    method: 'post',
    path: '/v1/__probe',
    request: {
      body: {
        required: true,
        content: {
          'application/json': {
            schema: z.object({ name: z.string().min(1), quantity: z.number().int().min(1).max(99), nested: z.object({ lat: z.number().min(-90).max(90) }) }),
          },
        },
      },
    },
    responses: { 201: { description: 'ok' } },
  }),
  (c) => {
    sideEffects++;
    return c.json({ ok: true }, 201);
  },
);
app.get('/v1/__boom', () => {
  throw new Error('secret internal detail at /srv/app.ts:12');
});

async function send(path: string, init?: RequestInit) {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://platform.test${path}`, init), env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const post = (body: BodyInit, contentType = 'application/json') =>
  send('/v1/__probe', { method: 'POST', headers: { 'Content-Type': contentType }, body });

async function problem(res: Response) {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(res.headers.get('x-request-id')).toBeTruthy();
  return res.json<{ type: string; status: number; title: string; detail: string; errors?: { path: string; message: string }[] }>();
}

describe('error handling: every failure is a problem', () => {
  it('accepts a valid body', async () => {
    const before = sideEffects;
    const res = await post(JSON.stringify({ name: 'x', quantity: 2, nested: { lat: 1 } }));
    expect(res.status).toBe(201);
    expect(sideEffects).toBe(before + 1);
  });

  it('400 for malformed JSON, without running the handler', async () => {
    const before = sideEffects;
    const res = await post('{"name": "x",');
    expect(res.status).toBe(400);
    expect((await problem(res)).type).toMatch(/malformed-request$/);
    expect(sideEffects).toBe(before);
  });

  it('422 with the path of each invalid field', async () => {
    const before = sideEffects;
    const res = await post(JSON.stringify({ name: '', quantity: 100, nested: { lat: 91 } }));
    expect(res.status).toBe(422);
    const body = await problem(res);
    expect(body.errors?.map((e) => e.path).sort()).toEqual(['json.name', 'json.nested.lat', 'json.quantity']);
    expect(sideEffects).toBe(before);
  });

  it('413 for an oversized body', async () => {
    const before = sideEffects;
    const res = await post(JSON.stringify({ name: 'x'.repeat(200_000), quantity: 1, nested: { lat: 0 } }));
    expect(res.status).toBe(413);
    expect((await problem(res)).type).toMatch(/body-too-large$/);
    expect(sideEffects).toBe(before);
  });

  it('415 for a body that is not JSON', async () => {
    const res = await post('name=x', 'application/x-www-form-urlencoded');
    expect(res.status).toBe(415);
    await problem(res);
  });

  it('500 without internals for an unexpected error', async () => {
    const res = await send('/v1/__boom');
    expect(res.status).toBe(500);
    const body = await problem(res);
    expect(body.detail).not.toContain('secret');
    expect(JSON.stringify(body)).not.toMatch(/\.ts:\d+/);
  });

  it('404 problem for an unknown route and for a wrong method', async () => {
    expect((await send('/v1/unknown')).status).toBe(404);
    const res = await send('/v1/__probe');
    expect(res.status).toBe(404);
    await problem(res);
  });
});
