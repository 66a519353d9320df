/**
 * The web apps' API types (web/src/api/schema.gen.ts) are generated from the
 * OpenAPI document (scripts/lib/api-types.ts, `npm run api:types`). This
 * fails when a server schema changed and the apps' types were not generated
 * again, so the apps cannot read a shape the server no longer answers.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiTypesModule } from '../../scripts/lib/api-types';
import { createApp } from '../../workers/app';

const FILE = path.join(__dirname, '../../web/src/api/schema.gen.ts');

async function document() {
  const res = await createApp().request('http://platform.test/openapi.json');
  expect(res.status).toBe(200);
  return (await res.json()) as Parameters<typeof apiTypesModule>[0];
}

describe('web API types', () => {
  it('are what the current OpenAPI document generates (run `npm run api:types` after changing a schema)', async () => {
    expect(readFileSync(FILE, 'utf8')).toBe(apiTypesModule(await document()));
  });

  it('turn the JSON Schema the document uses into TypeScript', () => {
    const out = apiTypesModule({
      components: {
        schemas: {
          Point: { type: 'object', properties: { lat: { type: 'number' }, 'x-y': { type: ['string', 'null'] } }, required: ['lat'] },
          Kind: { type: 'string', enum: ['a', 'b'] },
          Shape: { oneOf: [{ $ref: '#/components/schemas/Point' }, { type: 'array', items: { type: 'integer' } }] },
          Pair: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'number' }] },
          Bag: { type: 'object', additionalProperties: { type: 'boolean' } },
          Both: { allOf: [{ $ref: '#/components/schemas/Point' }, { type: 'object', properties: { k: { const: 'x' } }, required: ['k'] }] },
        },
      },
    });
    expect(out).toContain('export type Point = {\n  lat: number;\n  "x-y"?: string | null;\n};');
    expect(out).toContain('export type Kind = "a" | "b";');
    expect(out).toContain('export type Shape = Point | number[];');
    expect(out).toContain('export type Pair = [number, number];');
    expect(out).toContain('export type Bag = {\n  [key: string]: boolean;\n};');
    expect(out).toContain('export type Both = Point & {\n  k: "x";\n};');
  });
});
