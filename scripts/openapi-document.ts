/**
 * Writes the OpenAPI document the Worker serves at /openapi.json to a file
 * (default dist/openapi.json), for `npm run lint:openapi` (redocly lint) and
 * for generating clients. The document is built from the same app, in Node.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createApp } from '../workers/app';

async function main(): Promise<void> {
  const out = process.argv[2] ?? 'dist/openapi.json';
  const res = await createApp().request('http://localhost:8787/openapi.json');
  if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}`);
  const doc: unknown = await res.json();
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`[openapi] ${out}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
