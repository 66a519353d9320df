import { createExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { checkedAnswers, checkResponse } from '../support/openapi-contract';
import worker from '../support/worker-entry';
import { call, createCity } from './auth-helpers';

const json = (status: number, body: unknown, type = 'application/json') => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type } });

describe('the OpenAPI response check (ADR 0095)', () => {
  it('passes a real answer that conforms', async () => {
    const cityId = await createCity();
    const res = await call('/v1/cities');
    expect(await checkResponse('GET', 'http://platform.test/v1/cities', res)).toEqual([]);
    const body = (await res.json()) as { items: Array<{ id: string }> };
    expect(body.items.some((c) => c.id === cityId)).toBe(true);
  });

  it('names the operation, status and path of an undocumented status', async () => {
    const found = await checkResponse('GET', 'http://platform.test/v1/cities', json(418, {}));
    expect(found).toEqual([expect.objectContaining({ operation: 'listCities', method: 'GET', path: '/v1/cities', status: 418 })]);
    expect(found[0]!.problem).toMatch(/status 418 not documented/);
  });

  it('finds a body that does not match the schema, through $refs', async () => {
    const [found] = await checkResponse('GET', 'http://platform.test/v1/orders/ord_x', json(200, { id: 'ord_x', status: 'teleported' }));
    expect(found?.operation).toBe('getOrder');
    expect(found?.problem).toMatch(/body does not match the schema/);
  });

  it('checks problems against the Problem schema, and the Content-Type', async () => {
    const [badProblem] = await checkResponse('GET', 'http://platform.test/v1/orders/ord_x', json(404, { type: 'x', title: 'Not Found', status: '404' }, 'application/problem+json'));
    expect(badProblem?.problem).toMatch(/detail|status/);
    const [badType] = await checkResponse('GET', 'http://platform.test/v1/orders/ord_x', json(404, {}, 'text/html'));
    expect(badType?.problem).toMatch(/Content-Type text\/html not documented/);
  });

  it('flags an answer for a method and path the document does not have (other than 404/405)', async () => {
    const [found] = await checkResponse('POST', 'http://platform.test/v1/cities', json(200, {}));
    expect(found?.problem).toMatch(/no operation/);
    expect(await checkResponse('POST', 'http://platform.test/v1/cities', json(404, {}, 'application/problem+json'))).toEqual([]);
  });

  it('checks every answer the Worker gives, however the test reached it (ADR 0116)', async () => {
    const before = checkedAnswers();
    await exports.default.fetch('http://platform.test/healthz');
    await worker.fetch(new Request('http://platform.test/healthz'), env, createExecutionContext());
    expect(checkedAnswers()).toBe(before + 2);
  });
});
