/**
 * TypeScript types for the web apps, generated from the OpenAPI document's
 * component schemas (issue 17: one source of truth for the API's shapes).
 * The server's zod schemas make the document; this turns the document into
 * `web/src/api/schema.gen.ts`, which `web/src/apps/shared/types.ts` aliases.
 * `npm run api:types` writes it; test/unit/api-types.test.ts fails when the
 * checked-in file differs from what the current document gives, so a schema
 * change that the apps do not see cannot land.
 *
 * Covers the JSON Schema the document uses (type and type arrays, enum,
 * const, properties/required, additionalProperties, items, prefixItems,
 * oneOf/anyOf/allOf, $ref to components): written here (90 lines) rather
 * than with openapi-typescript, whose peer dependency is TypeScript 5 while
 * the project is on 6.
 */

type Schema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  prefixItems?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  $ref?: string;
  description?: string;
};

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const key = (name: string) => (IDENTIFIER.test(name) ? name : JSON.stringify(name));
const comment = (text: string | undefined, indent: string) => (text ? `${indent}/** ${text.replace(/\*\//g, '*\\/').replace(/\s*\n\s*/g, ' ')} */\n` : '');

function typeOf(schema: Schema, indent: string): string {
  if (schema.$ref) return schema.$ref.replace('#/components/schemas/', '');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (schema.oneOf ?? schema.anyOf) return (schema.oneOf ?? schema.anyOf)!.map((s) => wrap(typeOf(s, indent))).join(' | ');
  if (schema.allOf) return schema.allOf.map((s) => wrap(typeOf(s, indent))).join(' & ');
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length === 0) return schema.properties ? objectType(schema, indent) : 'unknown';
  return types.map((t) => wrap(single(t, schema, indent))).join(' | ');
}

/** Parenthesised when a union or intersection at its top level would bind wrongly inside another. */
function wrap(t: string): string {
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    const ch = t[i]!;
    if (ch === '{' || ch === '(' || ch === '[') depth++;
    else if (ch === '}' || ch === ')' || ch === ']') depth--;
    else if (depth === 0 && (ch === '|' || ch === '&') && t[i - 1] === ' ') return `(${t})`;
  }
  return t;
}

function single(type: string, schema: Schema, indent: string): string {
  switch (type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      if (schema.prefixItems) return `[${schema.prefixItems.map((s) => typeOf(s, indent)).join(', ')}]`;
      return `${wrap(schema.items ? typeOf(schema.items, indent) : 'unknown')}[]`;
    case 'object':
      return objectType(schema, indent);
    default:
      return 'unknown';
  }
}

function objectType(schema: Schema, indent: string): string {
  const inner = `${indent}  `;
  const required = new Set(schema.required ?? []);
  const lines = Object.entries(schema.properties ?? {}).map(
    ([name, s]) => `${comment(s.description, inner)}${inner}${key(name)}${required.has(name) ? '' : '?'}: ${typeOf(s, inner)};\n`,
  );
  const extra = schema.additionalProperties;
  if (extra === true || (extra && typeof extra === 'object')) lines.push(`${inner}[key: string]: ${extra === true ? 'unknown' : typeOf(extra, inner)};\n`);
  if (lines.length === 0) return extra === false || schema.properties ? 'Record<string, never>' : 'Record<string, unknown>';
  return `{\n${lines.join('')}${indent}}`;
}

/** The module's text: one exported type per component schema, in the document's order. */
export function apiTypesModule(doc: { components?: { schemas?: Record<string, Schema> } }): string {
  const schemas = doc.components?.schemas ?? {};
  const body = Object.entries(schemas)
    .map(([name, schema]) => `${comment(schema.description, '')}export type ${name} = ${typeOf(schema, '')};\n`)
    .join('\n');
  return `// Generated from the OpenAPI document by \`npm run api:types\` (scripts/lib/api-types.ts). Do not edit:\n// change the server's schemas and run it again (test/unit/api-types.test.ts checks it is current).\n\n${body}`;
}
