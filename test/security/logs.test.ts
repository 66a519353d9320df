/**
 * Logs without personal data (domain/log.ts). A query that fails carries
 * the customer's name, email, phone and address, the delivery PIN, the
 * tracking token or the Idempotency-Key in its parameters; before, the
 * app's error log printed drizzle's "Failed query: … params: …" with all of
 * them. Here real queries are made to fail (a trigger raises for this test's
 * rows only) and everything written to the console is searched for those
 * exact values, and for anything shaped like them.
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { describeError, log, maskText } from '../../domain/log';
import { createApp } from '../../workers/app';
import { onError } from '../../workers/errors';
import { createCity, createMerchant, createProduct, db, NEAR } from '../workers/helpers/commerce';

const app = createApp();
/** The errors the app's one handler saw, with the parameters the log must not show. */
const seen: Error[] = [];
app.onError((error, c) => {
  seen.push(error);
  return onError(error, c);
});

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

async function send(path: string, init: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://platform.test${path}`, init), env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const tag = crypto.randomUUID().slice(0, 8);
const fn = `sec_log_fail_${tag}`;
let merchantId: string;
let apiKey: string;
let productId: string;

beforeAll(async () => {
  const cityId = await createCity();
  const merchant = await createMerchant(cityId);
  merchantId = merchant.merchantId;
  apiKey = (await merchant.apiKey()).key;
  productId = await createProduct(merchantId, 4400);
  // Raises for this test's rows only: other test files share the database.
  await db().execute(sql.raw(`create function ${fn}() returns trigger language plpgsql as $$ begin raise exception 'refused by the log test'; end $$`));
});

afterAll(async () => {
  for (const table of ['orders', 'order_contacts', 'idempotency_keys']) await db().execute(sql.raw(`drop trigger if exists ${fn} on ${table}`));
  await db().execute(sql.raw(`drop function if exists ${fn}()`));
});

async function failOn(table: string, when: string, run: () => Promise<void>) {
  await db().execute(sql.raw(`create trigger ${fn} before insert on ${table} for each row when (${when}) execute function ${fn}()`));
  try {
    await run();
  } finally {
    await db().execute(sql.raw(`drop trigger if exists ${fn} on ${table}`));
  }
}

const customer = { name: `Zoé Marker ${tag}`, phone: '+33612345678', email: `zoe.${tag}@example.test` };
const address = `12 Rue Secrète ${tag}, Paris`;

function orderRequest(idempotencyKey: string, who = customer): RequestInit {
  return {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey },
    body: JSON.stringify({ merchantId, items: [{ productId, quantity: 1 }], dropoff: { address, location: NEAR, instructions: 'Digicode 4821' }, customer: who, paid: true }),
  };
}

/** The parameters of the failing query, as drizzle kept them on its error. */
function paramsOfLastFailure(): string[] {
  const error = seen.at(-1) as (Error & { params?: unknown[] }) | undefined;
  expect(error?.message).toMatch(/^Failed query:/);
  return (error?.params ?? []).filter((p): p is string => typeof p === 'string');
}

/** Nothing printed contains one of these values, nor anything shaped like an email, a phone number, a PIN or a token. */
function expectNoneInLogs(values: string[]) {
  const text = output.join('\n');
  expect(text.length).toBeGreaterThan(0);
  for (const value of values) expect(text, `the log shows ${JSON.stringify(value)}`).not.toContain(value);
  expect(text).not.toMatch(/[\w.+-]+@[\w-]+\.[\w.-]+/); // email
  expect(text).not.toMatch(/\+\d{8,15}/); // phone
  expect(text).not.toMatch(/(?<![\w:.-])\d{4}(?![\w-])/); // a PIN-shaped number (line:column numbers excepted)
  // A request's W3C trace id is 32 hex digits (docs/logging.md), the tracking token's shape: the real
  // values were looked for above, so the trace ids are set aside before the shape check.
  expect(text.replace(/"traceId":"[0-9a-f]{32}"/g, '"traceId":"…"')).not.toMatch(/(?<![\w-])[0-9a-z]{32}(?![\w-])/); // a tracking token (32 Crockford characters)
  expect(text).not.toMatch(/Failed query|params:/);
}

describe('V7.1.1 V7.1.2 API8:2023 a failing query is logged by statement and SQLSTATE, never with its parameters', () => {
  it('the order insert (delivery PIN, tracking token): 500 for the caller, nothing personal in the log', async () => {
    await failOn('orders', `new.merchant_id = '${merchantId}'`, async () => {
      const res = await send('/v1/orders', orderRequest(`idem-${crypto.randomUUID()}`));
      expect(res.status).toBe(500);
    });
    // Every value the query carried (the PIN and tracking token, or their keyed hashes once stored so): none in the log.
    const params = paramsOfLastFailure().filter((p) => p.length >= 4 && /[\d@ ]/.test(p));
    expect(params.length).toBeGreaterThan(5);
    expectNoneInLogs(params);
    const line = JSON.parse(output.find((l) => l.includes('request failed'))!) as { error: { code: string; statement: string }; route: string };
    expect(line.error).toMatchObject({ name: 'PostgresError', code: 'P0001', statement: 'insert into orders' });
    expect(line.route).toBe('/v1/orders');
    expect(line).not.toHaveProperty('path');
  });

  it('the contact insert (name, phone, email, address, instructions)', async () => {
    await failOn('order_contacts', `new.name = '${customer.name}'`, async () => {
      expect((await send('/v1/orders', orderRequest(`idem-${crypto.randomUUID()}`))).status).toBe(500);
    });
    const params = paramsOfLastFailure();
    expect(params).toEqual(expect.arrayContaining([customer.name, customer.phone, customer.email, address]));
    expectNoneInLogs([...params.filter((p) => p.length >= 4 && /[\d@ ]/.test(p)), 'Digicode 4821', 'Secrète']);
  });

  it('the Idempotency-Key claim', async () => {
    const key = `secret-key-${tag}-${crypto.randomUUID()}`;
    await failOn('idempotency_keys', `new.key = '${key}'`, async () => {
      expect((await send('/v1/orders', orderRequest(key))).status).toBe(500);
    });
    expect(paramsOfLastFailure()).toContain(key);
    expectNoneInLogs([key, tag]);
  });
});

describe('V7.1.2 the logger itself: an allow-list of fields, errors described', () => {
  it('redacts any string field not on the allow-list, and masks what is allowed', () => {
    log.warn('probe', { orderId: 'ord_0h3k9x2m4p6r8t0v2x4z', customerName: 'Ada Lovelace', email: 'ada@example.com', pin: '4821', count: 3, reason: 'mail ada@example.com or call +33 6 12 34 56 78' });
    const line = JSON.parse(output.at(-1)!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'warn', msg: 'probe', orderId: 'ord_0h3k9x2m4p6r8t0v2x4z', customerName: '[redacted]', email: '[redacted]', pin: '[redacted]', count: 3 });
    expect(line.reason).toBe('mail [email] or call [number]');
  });

  it('describes a drizzle error by its cause, and any other error by a masked message', () => {
    const pg = Object.assign(new Error('invalid input syntax for type integer: "Ada"'), { name: 'PostgresError', code: '22P02', severity: 'ERROR', table_name: 'orders' });
    const drizzle = Object.assign(new Error('Failed query: update "orders" set "name" = $1\nparams: Ada,4821'), { query: 'update "orders" set "name" = $1', params: ['Ada', '4821'], cause: pg });
    expect(describeError(drizzle)).toEqual({ name: 'PostgresError', code: '22P02', statement: 'update orders', table: 'orders' });
    expect(describeError(new Error('Stripe unavailable: customer ada@example.com, client secret pi_123_secret_abc'))).toEqual({ name: 'Error', message: 'Stripe unavailable: customer [email], client secret [client-secret]' });
    expect(maskText(`track/${'a'.repeat(32)} ord_0h3k9x2m4p6r8t0v2x4z`)).toBe('track/[token] ord_0h3k9x2m4p6r8t0v2x4z');
  });
});
