/**
 * One structured JSON line per request (docs/logging.md): ids, the trace id
 * (the caller's traceparent or a fresh one), the route template, the status,
 * the duration and the kind of caller; never personal data. Requests here
 * carry an email, a phone number, a name, an address, a password, a bearer
 * token, a tracking token and a query string, and none of them may appear.
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { newId } from '../../db/ids';
import { createApp } from '../../workers/app';
import { sessionToken } from './helpers/sessions';

/** The Worker's app, run in this isolate so its console is the one watched here. */
const app = createApp();

let output: string[] = [];
beforeEach(() => {
  output = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      output.push(args.map(String).join(' '));
    });
  }
});
afterEach(() => vi.restoreAllMocks());

const tag = crypto.randomUUID().slice(0, 8);
const personal = {
  email: `zoe.${tag}@example.test`,
  phone: '+33612345678',
  name: `Zoé Marker ${tag}`,
  address: `12 Rue Secrète ${tag}`,
  password: `hunter2-${tag}-correct-horse`,
  trackingToken: `t${tag}${'k'.repeat(23)}`,
};

/** Sends a request with its own request id and answers the log lines that name it. */
async function send(path: string, init: RequestInit = {}): Promise<{ res: Response; lines: Record<string, unknown>[]; requestId: string }> {
  const requestId = `req_${crypto.randomUUID()}`;
  const headers = new Headers(init.headers);
  headers.set('X-Request-Id', requestId);
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://platform.test${path}`, { ...init, headers }), env, ctx);
  await res.arrayBuffer();
  await waitOnExecutionContext(ctx);
  const lines = output.filter((l) => l.includes(requestId)).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { res, lines, requestId };
}

function expectNothingPersonal(extra: string[] = []) {
  const text = output.join('\n');
  for (const value of [...Object.values(personal), ...extra]) expect(text, `the log shows ${value}`).not.toContain(value);
  expect(text).not.toContain(encodeURIComponent(personal.email));
  expect(text).not.toMatch(/[\w.+-]+@[\w-]+\.[\w.-]+/);
  expect(text).not.toMatch(/\+\d{8,15}/);
  expect(text).not.toContain('?');
}

describe('the request log line', () => {
  it('is one line with the route template, status, duration, ids and caller kind, and no path, query or token', async () => {
    const query = `?email=${encodeURIComponent(personal.email)}&phone=${encodeURIComponent(personal.phone)}&name=${encodeURIComponent(personal.name)}`;
    const { res, lines, requestId } = await send(`/v1/track/${personal.trackingToken}${query}`);
    expect(res.status).toBe(404);
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toMatchObject({ level: 'info', msg: 'request', requestId, method: 'GET', route: '/v1/track/:token', status: 404, principal: 'anonymous', operation: 'tracking_read' });
    expect(typeof line.durationMs).toBe('number');
    expect(line.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(new Date(String(line.timestamp)).toISOString()).toBe(line.timestamp);
    // Only the documented fields (docs/logging.md).
    expect(Object.keys(line).sort()).toEqual(['durationMs', 'level', 'method', 'msg', 'operation', 'principal', 'requestId', 'route', 'status', 'timestamp', 'traceId']);
    expectNothingPersonal();
  });

  it('keeps the caller trace id from traceparent, and replaces a malformed one', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const kept = await send('/healthz', { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    expect(kept.lines[0]!.traceId).toBe(traceId);
    const fresh = await send('/healthz', { headers: { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` } });
    expect(fresh.lines[0]!.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(fresh.lines[0]!.traceId).not.toBe('0'.repeat(32));
    const junk = await send('/healthz', { headers: { traceparent: personal.email } });
    expect(junk.lines[0]!.traceId).toMatch(/^[0-9a-f]{32}$/);
    expectNothingPersonal();
  });

  it('says nothing of a sign-in body, a bearer token or a registration', async () => {
    const login = await send('/v1/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: personal.email, password: personal.password }),
    });
    expect(login.res.status).toBe(401);
    expect(login.lines).toHaveLength(1);
    expect(login.lines[0]).toMatchObject({ route: '/v1/auth/login', status: 401, principal: 'anonymous' });

    const bogus = `eyJhbGciOiJFUzI1NiJ9.${btoa(personal.email)}.c2lnbmF0dXJl`;
    const me = await send('/v1/me', { headers: { Authorization: `Bearer ${bogus}` } });
    expect(me.res.status).toBe(401);
    expect(me.lines).toHaveLength(1);
    expect(me.lines[0]).toMatchObject({ route: '/v1/me', status: 401 });

    const register = await send('/v1/auth/register', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: personal.email, password: 'short', name: personal.name, phone: personal.phone, address: personal.address }),
    });
    expect(register.lines).toHaveLength(1);
    expectNothingPersonal([bogus]);
  });

  it('names the kind of caller, never who', async () => {
    const userId = newId('usr');
    const token = await sessionToken({ sub: userId, role: 'ops' });
    const { lines } = await send('/metrics', { headers: { Authorization: `Bearer ${token}` } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ route: '/metrics', status: 200, principal: 'ops' });
    expect(output.join('\n')).not.toContain(userId);
    expectNothingPersonal([token]);
  });
});
