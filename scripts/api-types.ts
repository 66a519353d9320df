/**
 * `npm run api:types`: writes web/src/api/schema.gen.ts, the web apps' types
 * of the API's bodies, from the OpenAPI document the Worker serves
 * (scripts/lib/api-types.ts). Run it after changing a schema in workers/.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createApp } from '../workers/app';
import { apiTypesModule } from './lib/api-types';
import { ROOT } from './lib/local-env';

const API_TYPES_FILE = path.join(ROOT, 'web/src/api/schema.gen.ts');

async function main(): Promise<void> {
  const res = await createApp().request('http://localhost:8787/openapi.json');
  if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}`);
  writeFileSync(API_TYPES_FILE, apiTypesModule((await res.json()) as Parameters<typeof apiTypesModule>[0]));
  console.log(`[api-types] ${path.relative(ROOT, API_TYPES_FILE)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
