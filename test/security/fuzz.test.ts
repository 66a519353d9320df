/**
 * The property-based fuzz test driven by /openapi.json (docs/security.md).
 * For every documented operation it sends, with a seeded random source, a
 * valid request as the authorization matrix's allowed caller would
 * (test/workers/authz-matrix.table.ts: role, path objects, body, headers)
 * and mutations of it: bodies (hostile strings, wrong types, missing and
 * extra fields, whole-body replacements, schema-shaped random bodies, broken
 * JSON, huge and empty bodies, other media types), path parameters, query
 * parameters, and headers (Authorization, Idempotency-Key, Content-Type).
 * Properties, for every answer:
 * - never a 5xx;
 * - the status is one the operation documents;
 * - every error is `application/problem+json` with that status in its body.
 * FUZZ_SEED makes a run reproducible (change it to explore further); each
 * operation derives its own seed from it and its name, so a failure names
 * what to replay. About 1,400 requests in about 20 s on two cores.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { seededRandom, type Random } from '../../scripts/lib/seeded-random';
import { createApp } from '../../workers/app';
import { randomIp } from '../workers/auth-helpers';
import { checkedFetch } from '../support/openapi-contract';
import { MATRIX, PARAMS, ROLES, type ResolveContext, type Role, type Row } from '../workers/authz-matrix.table';
import { buildWorld, type World } from '../workers/authz-matrix.world';
import { createCustomer } from '../workers/helpers/commerce';
import { everyString, mutate, pick, urls, valueFor, type Components, type JsonSchema } from './helpers/schema-values';

const FUZZ_SEED = 20_260_611;
// URLs in generated bodies (webhook targets) point at the local receiver fake: nothing the platform sends leaves the machine.
urls.base = inject('webhookReceiverUrl');
/** Body mutations per operation that takes a body (plus the fixed raw-body cases). */
const BODY_MUTATIONS = 10;
const CONCURRENCY = 4;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: JsonSchema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, unknown>;
}

interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Components };
}

// The document as the app serves it; read at collection time so every operation gets its own test.
const doc = (await (await createApp().request('http://platform.test/openapi.json')).json()) as Doc;
const OPERATIONS = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })));

let world: World;
beforeAll(async () => {
  world = await buildWorld();
}, 60_000);

const stats = { operations: 0, requests: 0, statuses: new Map<number, number>() };

/** A stable seed per operation, so adding one does not change the others' requests. */
function seedOf(key: string): number {
  let h = FUZZ_SEED;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16_777_619) >>> 0;
  return h;
}

const honoKey = (method: string, path: string) => `${method} ${path.replace(/\{(\w+)\}/g, ':$1')}`;

function tokenOf(role: Role): string | undefined {
  const byRole: Record<Role, string | undefined> = {
    anonymous: undefined,
    customer: world.customer.accessToken,
    merchantOwner: world.owner.accessToken,
    merchantStaff: world.staff.accessToken,
    merchantApiKey: world.apiKey.key,
    driver: world.driver.accessToken,
    ops: world.ops.accessToken,
  };
  return byRole[role];
}

/** The role whose call on its own object the matrix expects to succeed (or to be a WebSocket route's 426). */
function allowedRole(row: Row | undefined, path: string): Role {
  if (!row) return path.startsWith('/v1/ops/') ? 'ops' : 'customer';
  for (const role of ROLES) {
    const cell = row.cells[role];
    const own = typeof cell === 'number' ? cell : cell[0];
    if ((own >= 200 && own < 300) || own === 426) return role;
  }
  return 'anonymous';
}

interface Request {
  variant: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

interface Failure {
  variant: string;
  status: number;
  contentType: string | null;
  why: string;
  body: string;
}

const encode = (segments: Record<string, string>, template: string) => template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(segments[name]!));
const jsonBody = (value: unknown) => (value === undefined ? '' : JSON.stringify(value));

async function send(method: string, req: Request, documented: Set<number>): Promise<Failure | null> {
  const headers = new Headers(req.headers);
  if (!headers.has('CF-Connecting-IP')) headers.set('CF-Connecting-IP', randomIp());
  const init: RequestInit = { method, headers };
  if (req.body !== undefined && method !== 'GET' && method !== 'HEAD') init.body = req.body;
  // Also checked against the document: status, Content-Type and body schema (ADR 0095).
  const res = await checkedFetch(new Request(`http://platform.test${req.path}`, init));
  stats.requests++;
  stats.statuses.set(res.status, (stats.statuses.get(res.status) ?? 0) + 1);
  if (res.webSocket) {
    res.webSocket.accept();
    res.webSocket.close(1000, 'fuzz done');
  }
  const text = res.status === 101 ? '' : await res.text();
  const contentType = res.headers.get('content-type');
  const failure = (why: string): Failure => ({ variant: req.variant, status: res.status, contentType, why, body: text.slice(0, 300) });
  if (res.status >= 500) return failure('a 5xx');
  if (!documented.has(res.status)) return failure(`status ${res.status} is not documented (${[...documented].join(', ')})`);
  if (res.status >= 400) {
    if (contentType !== 'application/problem+json') return failure('an error that is not application/problem+json');
    let body: { status?: unknown; type?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return failure('a problem whose body is not JSON');
    }
    if (body.status !== res.status || typeof body.type !== 'string') return failure('a problem whose body does not carry its status and type');
  }
  return null;
}

/** Runs `tasks` with at most CONCURRENCY at a time, in order of start. */
async function inBatches<T>(tasks: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < tasks.length; i += CONCURRENCY) out.push(...(await Promise.all(tasks.slice(i, i + CONCURRENCY).map((t) => t()))));
  return out;
}

const PATH_VALUES: readonly [string, string][] = [
  ['NUL', 'ord_\u0000abc'],
  ['trailing NUL', 'abcdefghijklmnopqrstu\u0000'],
  ['escape', '\u001b[0m'],
  ['very long', 'x'.repeat(1_000)],
  ['emoji', '🍜🍜'],
  ['dot-dot', '..'],
  ['SQL', "' or 1=1 --"],
  ['unknown id', 'ord_00000000000000000000'],
  ['spaces', '   '],
];

/** Query values, already percent-encoded as a client would put them on the wire. */
const QUERY_VALUES: readonly [string, string][] = [
  ['NUL', 'a%00b'],
  ['huge', 'q'.repeat(10_000)],
  ['negative', '-1'],
  ['float', '1.5'],
  ['big', '99999999999999999999'],
  ['word', 'abc'],
  ['empty', ''],
  ['lone surrogate (CESU-8)', '%ED%A0%80'],
  ['bad UTF-8', '%C3%28'],
  ['escape', '%1B%5B2J'],
];

async function requestsFor(random: Random, method: string, template: string, op: Operation): Promise<{ requests: Request[]; documented: Set<number> }> {
  const key = honoKey(method, template);
  const row = MATRIX[key];
  const role = allowedRole(row, template);
  const ctx: ResolveContext = { world, role, which: 'own', route: key, params: {} };
  // Routes that hand over or close the owner's business get one of their own, as in the matrix (Row.freshOwnBusiness).
  const business = row?.ownBusinessOf && role === 'merchantOwner' ? await row.ownBusinessOf(ctx) : undefined;
  if (business) Object.assign(ctx.params, business.params);
  // Path objects as the matrix makes them, left to right (a resolver may read the params before it).
  const segments = template.split('/');
  for (let i = 0; i < segments.length; i++) {
    const m = /^\{(\w+)\}$/.exec(segments[i]!);
    if (!m || ctx.params[m[1]!] !== undefined) continue;
    const resolver = PARAMS[`${segments[i - 1]}/:${m[1]}`];
    ctx.params[m[1]!] = resolver ? await resolver(ctx) : `fuzz_${m[1]}_${Math.floor(random() * 1e9)}`;
  }
  // Callers that change themselves (DELETE /v1/me) or their session (logout) get a fresh account per request.
  const fresh = key === 'DELETE /v1/me' || key === 'POST /v1/auth/logout';
  const caller = async () => (business ? business.token : row?.callerOf ? row.callerOf(ctx) : fresh ? (await createCustomer()).token : tokenOf(role));
  const baseBody = row?.bodyOf ? await row.bodyOf(ctx) : undefined;
  const baseHeaders = row?.headersOf ? row.headersOf(ctx) : {};
  const media = op.requestBody ? Object.keys(op.requestBody.content)[0]! : undefined;
  const schema = media ? op.requestBody!.content[media]!.schema : undefined;
  const takesIdempotencyKey = (op.parameters ?? []).some((p) => p.in === 'header' && p.name === 'idempotency-key');
  const queryParams = (op.parameters ?? []).filter((p) => p.in === 'query');
  const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path');
  const isSocket = '101' in op.responses;

  const requests: Request[] = [];
  const build = async (variant: string, parts: { segments?: Record<string, string>; query?: string; body?: unknown; raw?: string | Uint8Array; headers?: Record<string, string | null>; token?: string | null }) => {
    const token = parts.token === undefined ? await caller() : parts.token;
    const headers: Record<string, string> = { ...baseHeaders };
    if (takesIdempotencyKey) headers['Idempotency-Key'] = `fuzz-${Math.floor(random() * 1e12)}`;
    if (token) headers.Authorization = `Bearer ${token}`;
    let body: string | Uint8Array | undefined = parts.raw;
    if (body === undefined && media) {
      const value = 'body' in parts ? parts.body : baseBody;
      if (value instanceof Uint8Array) body = value;
      else if (media === 'application/x-www-form-urlencoded') body = typeof value === 'string' ? value : new URLSearchParams(Object.entries((value as Record<string, string>) ?? {}).map(([k, v]) => [k, String(v)])).toString();
      else body = typeof value === 'string' && media !== 'application/json' ? value : jsonBody(value);
      if (!('Content-Type' in headers)) headers['Content-Type'] = media === 'image/jpeg' || media.startsWith('image/') ? 'image/jpeg' : media;
    }
    for (const [name, value] of Object.entries(parts.headers ?? {})) {
      if (value === null) delete headers[name];
      else headers[name] = value;
    }
    const q = parts.query ?? '';
    requests.push({ variant, path: encode({ ...ctx.params, ...parts.segments }, template) + q, headers, ...(body !== undefined ? { body } : {}) });
  };

  await build('valid', {});
  if (isSocket) await build('valid, upgraded', { headers: { Upgrade: 'websocket' } });

  // Bodies
  if (media === 'application/json' || media === 'application/x-www-form-urlencoded') {
    const valid = baseBody ?? (schema ? valueFor(random, schema, doc.components.schemas) : {});
    for (let i = 0; i < BODY_MUTATIONS; i++) {
      const m = mutate(random, valid);
      await build(`body: ${m.name}`, { body: m.body });
    }
    // Every string field at once: NUL (Postgres refuses it), a lone surrogate (stored as U+FFFD), an escape sequence.
    for (const [name, value] of [['NUL', 'a\u0000b'], ['lone surrogate', 'a\ud800b'], ['escape', '\u001b[31m']] as const) await build(`body: every string ${name}`, { body: everyString(valid, value) });
    for (let i = 0; i < 2; i++) if (schema) await build('body: shaped by the schema', { body: valueFor(random, schema, doc.components.schemas) });
    await build('body: broken JSON', { raw: '{"a": [1, 2' });
    await build('body: empty', { raw: '' });
    await build('body: JSON null', { raw: 'null' });
    await build('body: BOM before JSON', { raw: `\ufeff${jsonBody(valid)}` });
    await build('body: duplicate keys', { raw: jsonBody(valid).replace(/^\{/, '{"x":1,"x":2,') });
    await build('body: 70 KB', { body: { pad: 'p'.repeat(70_000) } });
    await build('body: text/plain', { headers: { 'Content-Type': 'text/plain' } });
    await build('body: no Content-Type', { headers: { 'Content-Type': null } });
    await build('body: declared UTF-16', { headers: { 'Content-Type': `${media}; charset=utf-16` } });
  } else if (media) {
    // Uploads (proof photos): bytes that are not an image, an empty body, too many bytes, another media type.
    await build('upload: random bytes', { raw: Uint8Array.from({ length: 512 }, () => Math.floor(random() * 256)) });
    await build('upload: empty', { raw: new Uint8Array(0) });
    await build('upload: PNG signature then garbage', { raw: Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]), headers: { 'Content-Type': 'image/png' } });
    await build('upload: 6 MB', { raw: new Uint8Array(6 * 1024 * 1024) });
    await build('upload: image/gif', { headers: { 'Content-Type': 'image/gif' } });
    await build('upload: JSON instead', { raw: '{"photo":"\\u0000"}', headers: { 'Content-Type': 'application/json' } });
  } else if (method !== 'GET') {
    await build('unexpected JSON body', { raw: '{"surprise":"\\u0000"}', headers: { 'Content-Type': 'application/json' } });
  }

  // Path parameters
  for (const p of pathParams) {
    for (const [name, value] of [pick(random, PATH_VALUES), pick(random, PATH_VALUES), PATH_VALUES[0]!]) await build(`path ${p.name} = ${name}`, { segments: { [p.name]: value } });
  }

  // Query parameters (documented ones with hostile and wrong-typed values; an undocumented one)
  for (const p of queryParams) {
    const [name, value] = pick(random, QUERY_VALUES);
    await build(`query ${p.name} = ${name}`, { query: `?${encodeURIComponent(p.name)}=${value}` });
    await build(`query ${p.name} repeated`, { query: `?${p.name}=1&${p.name}=2` });
  }
  await build('query: unknown parameter with NUL', { query: '?unknown=%00' });
  await build('query: malformed percent-encoding', { query: '?cursor=%E0%A4%A' });

  // Headers
  await build('no credentials', { token: null });
  await build('a token that is not one', { token: 'not.a.jwt' });
  await build('a forged JWT (alg none)', { token: `${btoa('{"alg":"none"}')}.${btoa('{"sub":"usr_x","role":"ops"}')}.` });
  await build('Basic credentials', { token: null, headers: { Authorization: 'Basic dXNlcjpwYXNz' } });
  await build('an 8 KB Authorization', { token: null, headers: { Authorization: `Bearer ${'A'.repeat(8_000)}` } });
  await build('a driver token', { token: world.driver.accessToken });
  if (takesIdempotencyKey) {
    for (const [name, value] of [['missing', null], ['empty', ''], ['300 characters', 'k'.repeat(300)], ['Latin-1', 'clé-é'], ['spaces', 'a b c']] as const) {
      await build(`Idempotency-Key ${name}`, { headers: { 'Idempotency-Key': value } });
    }
  }
  await build('X-Request-Id hostile', { headers: { 'X-Request-Id': '../<script>\'";--'.repeat(20) } });
  if (isSocket) await build('upgrade with a hostile query', { headers: { Upgrade: 'websocket' }, query: '?access_token=%00' });

  // Whatever the operation documents, plus nothing else.
  const documented = new Set(Object.keys(op.responses).map(Number));
  return { requests, documented };
}

describe('V13.2.2 V7.4.1 API8:2023 every documented operation, fuzzed from /openapi.json: never a 5xx, only documented statuses, errors as problems', () => {
  it('the document lists operations to fuzz', () => {
    expect(OPERATIONS.length).toBeGreaterThan(50);
  });

  for (const { method, path, op } of OPERATIONS) {
    it(`${method} ${path}`, async () => {
      const random = seededRandom(seedOf(`${method} ${path}`));
      const { requests, documented } = await requestsFor(random, method, path, op);
      const failures = (await inBatches(requests.map((r) => () => send(method, r, documented)))).filter((f): f is Failure => f !== null);
      stats.operations++;
      // One line per broken property, greppable in CI's log (FUZZ_FAIL), with the seed that reproduces it.
      for (const f of failures) console.log(`FUZZ_FAIL ${method} ${path} | ${f.variant} | ${f.status} | ${f.why} | ${f.body.replace(/\s+/g, ' ').slice(0, 160)}`);
      expect(failures, `${method} ${path}: ${failures.length} of ${requests.length} requests broke a property`).toEqual([]);
    }, 60_000);
  }

  it('summary', () => {
    const statuses = [...stats.statuses.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ');
    console.log(`fuzz: seed ${FUZZ_SEED}, ${stats.operations} of ${OPERATIONS.length} operations, ${stats.requests} requests; statuses ${statuses}`);
    expect(env.APP_ENV).toBe('test');
  });
});
