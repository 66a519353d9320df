/**
 * Every response the workerd suites receive, checked against the OpenAPI
 * document the Worker serves (ADR 0095): its status must be documented for
 * the operation (method + path template) and a JSON body must match that
 * status's schema. The test entry (worker-entry.ts) checks every answer its
 * `fetch` gives; openapi-contract.setup.ts fails the test that received a
 * mismatch, naming operation, status, path and errors.
 *
 * The validator is @cfworker/json-schema: it interprets schemas, where Ajv
 * compiles them with new Function, which workerd forbids.
 */
import { Validator, type Schema } from '@cfworker/json-schema';
import { exports } from 'cloudflare:workers';
import { createApp } from '../../workers/app';

interface MediaType {
  schema?: Schema;
}
interface Operation {
  operationId?: string;
  responses: Record<string, { content?: Record<string, MediaType> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components?: Record<string, unknown>;
}

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  literals: number;
  operation: Operation;
}

let loaded: Promise<{ doc: Document; routes: Route[] }> | undefined;
const validators = new Map<string, Validator>();

/** Routes that are not API operations (routes/api-reference.ts, the document itself, static assets). */
const NOT_OPERATIONS = /^\/(docs(\/.*)?|openapi\.json)$|^\/(?!v1\/|healthz$|readyz$|metrics$)/;

function load(): Promise<{ doc: Document; routes: Route[] }> {
  loaded ??= (async () => {
    const res = await createApp().request('http://platform.test/openapi.json');
    const doc = (await res.json()) as Document;
    const routes = Object.entries(doc.paths).flatMap(([template, ops]) =>
      Object.entries(ops).map(([method, operation]) => ({
        method: method.toUpperCase(),
        template,
        pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+')}$`),
        literals: template.split('/').filter((s) => s && !s.startsWith('{')).length,
        operation,
      })),
    );
    // The most literal template first: /v1/orders/{id}/live before a hypothetical /v1/orders/{id}/{x}.
    routes.sort((a, b) => b.literals - a.literals);
    return { doc, routes };
  })();
  return loaded;
}

export interface ContractMismatch {
  operation: string;
  method: string;
  path: string;
  status: number;
  problem: string;
}

const mismatches: ContractMismatch[] = [];

/** What was found since the last call, emptied. */
export function takeMismatches(): ContractMismatch[] {
  return mismatches.splice(0, mismatches.length);
}

function validatorFor(doc: Document, key: string, schema: Schema): Validator {
  let validator = validators.get(key);
  if (!validator) {
    // $refs point at #/components/schemas/…: give the schema the document's components as its root.
    validator = new Validator({ ...(schema as object), components: doc.components } as Schema, '2020-12', false);
    validators.set(key, validator);
  }
  return validator;
}

/** Checks one answer against the document; returns what disagrees (empty: it conforms). */
export async function checkResponse(method: string, url: string, res: Response): Promise<ContractMismatch[]> {
  const path = new URL(url).pathname;
  if (NOT_OPERATIONS.test(path)) return [];
  const { doc, routes } = await load();
  const route = routes.find((r) => r.method === method && r.pattern.test(path));
  const found = (operation: string, problem: string): ContractMismatch[] => [{ operation, method, path, status: res.status, problem }];
  if (!route) {
    // A path the document does not describe answers the app's 404 (or 405) problem, or 401
    // under /v1/ without credentials (authentication runs before routing).
    if (res.status === 404 || res.status === 405 || (res.status === 401 && path.startsWith('/v1/'))) return [];
    return found('(none)', 'no operation in the document for this method and path');
  }
  const name = route.operation.operationId ?? `${method} ${route.template}`;
  const documented = route.operation.responses[String(res.status)] ?? route.operation.responses.default;
  if (!documented) return found(name, `status ${res.status} not documented (documented: ${Object.keys(route.operation.responses).join(', ')})`);
  if (res.status === 101 || res.status === 204 || res.status === 304 || method === 'HEAD') return [];
  const contentType = (res.headers.get('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!documented.content) return [];
  const media = documented.content[contentType];
  if (!media) return found(name, `Content-Type ${contentType || '(none)'} not documented (documented: ${Object.keys(documented.content).join(', ')})`);
  if (!contentType.endsWith('json') || !media.schema) return [];
  const text = await res.clone().text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return found(name, `body is not JSON: ${text.slice(0, 120)}`);
  }
  const result = validatorFor(doc, `${method} ${route.template} ${res.status} ${contentType}`, media.schema).validate(body);
  if (result.valid) return [];
  const errors = result.errors
    .filter((e) => e.keyword !== '$ref' && e.keyword !== 'properties' && e.keyword !== 'items' && e.keyword !== 'allOf')
    .slice(0, 5)
    .map((e) => `${e.instanceLocation}: ${e.error}`)
    .join('; ');
  return found(name, `body does not match the schema: ${errors || result.errors[0]?.error}`);
}

let checked = 0;

/** How many answers of the Worker were checked so far (the suite's own test that none escapes). */
export const checkedAnswers = (): number => checked;

/**
 * Checks an answer the Worker gave. test/support/worker-entry.ts calls it for
 * every request its `fetch` serves, so every answer the workerd suites receive
 * (through `exports.default`, `SELF`, or the entry's default imported) is checked;
 * mismatches are collected for the running test.
 */
export async function recordAnswer(request: Request, res: Response): Promise<void> {
  checked++;
  mismatches.push(...(await checkResponse(request.method, request.url, res)));
}

/** The Worker's fetch (its answer is checked by the test entry). */
export function checkedFetch(request: Request): Promise<Response> {
  return exports.default.fetch(request);
}
