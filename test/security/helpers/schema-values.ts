/**
 * Values for the fuzz test (test/security/fuzz.test.ts), from the OpenAPI
 * document's JSON Schemas and a seeded random source: a value shaped like the
 * schema, and mutations of a valid value (hostile strings, wrong types,
 * missing and extra fields). Pure: no I/O, no runtime imports.
 */
import type { Random } from '../../../scripts/lib/seeded-random';

export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  format?: string;
  pattern?: string;
  example?: unknown;
  default?: unknown;
  nullable?: boolean;
}

export type Components = Record<string, JsonSchema>;

export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (random: Random, min: number, max: number) => min + Math.floor(random() * (max - min + 1));

/** Strings no API should store, each named for the report. */
export const HOSTILE_STRINGS: readonly [name: string, value: string][] = [
  ['NUL', 'a\u0000b'],
  ['only NUL', '\u0000'],
  ['lone high surrogate', 'x\ud800'],
  ['lone low surrogate', '\udfffx'],
  ['escape sequence', '\u001b[2J\u001b[31mred'],
  ['C1 control', 'a\u0085\u009bb'],
  ['noncharacter', '\ufffe\uffff'],
  ['bidi override', 'abc\u202edcba'],
  ['zero-width', 'a\u200b\u200c\u200db\ufeff'],
  ['combining', 'e\u0301\u0301\u0301\u0301\u0301'],
  ['emoji', '👩🏽‍🚀🍜🇫🇷'],
  ['astral', '𝕏𝔸𝕄𝕃 \u{10ffff}'],
  ['CJK and RTL', '東京 عربي שלום'],
  ['SQL', "'; drop table orders; --"],
  ['HTML', '<script>alert(1)</script>'],
  ['path', '../../etc/passwd'],
  ['percent', '%00%2e%2e%2f'],
  ['CRLF', 'a\r\nInjected: header'],
  ['tab', 'a\tb'],
  ['spaces', '   '],
  ['empty', ''],
  ['long', 'x'.repeat(5_000)],
  ['huge', 'y'.repeat(70_000)],
  ['number-like', '1e309'],
  ['prototype', '__proto__'],
];

/** Values of the wrong type, for any field. */
export const WRONG_TYPES: readonly [name: string, value: unknown][] = [
  ['null', null],
  ['true', true],
  ['zero', 0],
  ['negative', -1],
  ['float', 3.14159],
  ['huge number', 1e308],
  ['unsafe integer', 2 ** 60],
  ['string', 'not what was expected'],
  ['empty array', []],
  ['array', [1, 'two', null]],
  ['object', { nested: { deeper: true } }],
  ['deep', JSON.parse('['.repeat(200) + ']'.repeat(200)) as unknown],
];

export function resolve(schema: JsonSchema, components: Components, depth = 0): JsonSchema {
  let s = schema;
  for (let i = 0; s.$ref && i < 10; i++) s = components[s.$ref.replace('#/components/schemas/', '')] ?? {};
  if (s.allOf && depth < 8) return s.allOf.reduce<JsonSchema>((acc, part) => {
    const r = resolve(part, components, depth + 1);
    return { ...acc, ...r, properties: { ...acc.properties, ...r.properties }, required: [...(acc.required ?? []), ...(r.required ?? [])] };
  }, {});
  return s;
}

/**
 * Where generated URLs point (a webhook target, say): the fuzz test sets its
 * local receiver fake, so what the platform later sends to them (a merchant
 * webhook delivery) stays on the machine.
 */
export const urls = { base: 'http://127.0.0.1:9' };

/** An example or generated URL, on `urls.base` with the example's path. */
const local = (example: string) => `${urls.base}${new URL(example).pathname}`;

/** A schema's string example as a value: a URL moved onto `urls.base`. */
const exampleString = (example: string) => (/^https?:\/\//.test(example) ? local(example) : example);

function stringFor(random: Random, s: JsonSchema): string {
  if (typeof s.example === 'string') return exampleString(s.example);
  switch (s.format) {
    case 'email':
      return `fuzz${int(random, 0, 99_999)}@example.test`;
    case 'date-time':
      return new Date(Date.now() - int(random, 0, 86_400_000)).toISOString();
    case 'uri':
      return local('https://hooks.example.com/fuzz');
    default:
      break; // no format, or one without a generator: a plain string below
  }
  const min = s.minLength ?? 1;
  const max = Math.min(s.maxLength ?? min + 12, min + 40);
  const length = int(random, min, Math.max(min, max));
  let out = '';
  for (let i = 0; i < length; i++) out += pick(random, 'abcdefghijkmnpqrstvwxyz0123456789 '.split(''));
  return out;
}

/** A value shaped like the schema (it may still break rules the schema cannot say). */
export function valueFor(random: Random, schema: JsonSchema, components: Components, depth = 0): unknown {
  const s = resolve(schema, components);
  if (depth > 6) return null;
  if (s.const !== undefined) return s.const;
  if (s.enum) return pick(random, s.enum);
  if (s.example !== undefined && random() < 0.5) return typeof s.example === 'string' ? exampleString(s.example) : s.example;
  const options = s.oneOf ?? s.anyOf;
  if (options) return valueFor(random, pick(random, options), components, depth + 1);
  const type = Array.isArray(s.type) ? pick(random, s.type.filter((t) => t !== 'null').length ? s.type.filter((t) => t !== 'null') : s.type) : s.type;
  switch (type) {
    case 'string':
      return stringFor(random, s);
    case 'integer':
      return int(random, Math.max(s.minimum ?? 0, -1_000_000), Math.min(s.maximum ?? 1_000, 1_000_000));
    case 'number':
      return (s.minimum ?? 0) + random() * ((s.maximum ?? 100) - (s.minimum ?? 0));
    case 'boolean':
      return random() < 0.5;
    case 'null':
      return null;
    case 'array': {
      const n = int(random, s.minItems ?? 0, Math.min(s.maxItems ?? 3, (s.minItems ?? 0) + 3));
      return Array.from({ length: n }, () => valueFor(random, s.items ?? {}, components, depth + 1));
    }
    default: {
      if (!s.properties) return {};
      const out: Record<string, unknown> = {};
      for (const [key, prop] of Object.entries(s.properties)) {
        if ((s.required ?? []).includes(key) || random() < 0.6) out[key] = valueFor(random, prop, components, depth + 1);
      }
      return out;
    }
  }
}

type Path = (string | number)[];

/** Every path to a value inside `value` (the root is []). */
export function pathsOf(value: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...at, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...at, k], out);
  return out;
}

const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = clone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1)!] = value;
  return copy;
}

function deleteAt(root: unknown, path: Path): unknown {
  if (path.length === 0) return undefined;
  const copy = clone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  if (Array.isArray(node)) node.splice(Number(path.at(-1)), 1);
  else delete node[path.at(-1)!];
  return copy;
}

export interface Mutation {
  name: string;
  body: unknown;
}

/** A mutation of a valid body: one field changed, removed or added, or the whole body replaced. */
export function mutate(random: Random, body: unknown): Mutation {
  const paths = pathsOf(body);
  const leaves = paths.filter((p) => p.length > 0);
  const strings = leaves.filter((p) => typeof p.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], body) === 'string');
  const kind = random();
  if (kind < 0.4 && strings.length > 0) {
    const path = pick(random, strings);
    const [name, value] = pick(random, HOSTILE_STRINGS);
    return { name: `${path.join('.')} = ${name}`, body: setAt(body, path, value) };
  }
  if (kind < 0.6 && leaves.length > 0) {
    const path = pick(random, leaves);
    const [name, value] = pick(random, WRONG_TYPES);
    return { name: `${path.join('.')} = ${name}`, body: setAt(body, path, value) };
  }
  if (kind < 0.72 && leaves.length > 0) {
    const path = pick(random, leaves);
    return { name: `without ${path.join('.')}`, body: deleteAt(body, path) };
  }
  if (kind < 0.84 && body && typeof body === 'object' && !Array.isArray(body)) {
    const [name, value] = pick(random, [...HOSTILE_STRINGS, ...WRONG_TYPES]);
    const key = pick(random, ['extra', 'constructor', '__proto__', 'role', 'admin', 'id', 'a\u0000b', '']);
    return { name: `extra field ${JSON.stringify(key)} = ${name}`, body: { ...(body as object), [key]: value } };
  }
  const [name, value] = pick(random, WRONG_TYPES);
  return { name: `body = ${name}`, body: value };
}

/** The body with every string in it (keys kept) replaced by `value`: one request that puts a hostile string in every field at once. */
export function everyString(body: unknown, value: string): unknown {
  if (typeof body === 'string') return value;
  if (Array.isArray(body)) return body.map((item) => everyString(item, value));
  if (body && typeof body === 'object') return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, everyString(v, value)]));
  return body;
}
