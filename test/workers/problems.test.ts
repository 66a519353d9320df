import { describe, expect, it } from 'vitest';
import { checkedFetch } from '../support/openapi-contract';

const call = (path: string, init?: RequestInit) => checkedFetch(new Request(`http://platform.test${path}`, init));

async function expectProblem(res: Response, status: number, slug: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(res.headers.get('x-request-id')).toBeTruthy();
  const body = await res.json<{ type: string; title: string; status: number; detail: string; instance?: string }>();
  expect(body.type).toMatch(new RegExp(`/problems/${slug}$`));
  expect(body.status).toBe(status);
  expect(body.title.length).toBeGreaterThan(0);
  expect(body.detail.length).toBeGreaterThan(0);
  return body;
}

describe('problem details (RFC 9457)', () => {
  it('answers an unknown API route with a 404 problem, not the web app', async () => {
    const body = await expectProblem(await call('/v1/nothing-here'), 404, 'not-found');
    expect(body.instance).toBe('/v1/nothing-here');
  });

  it('lists cities from Postgres', async () => {
    const res = await call('/v1/cities');
    expect(res.status).toBe(200);
    const body = await res.json<{ items: unknown[] }>();
    expect(Array.isArray(body.items)).toBe(true);
  });
});
