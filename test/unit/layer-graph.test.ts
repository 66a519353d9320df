/**
 * docs/architecture.md draws the top-level import graph ("Layers"); this test
 * derives the same graph from the imports of every source file and fails on an
 * edge the drawing lacks, and on a drawn edge no import has (issue 17). Lint
 * (import-x/no-restricted-paths, ADR 0097) forbids the edges; this keeps the
 * drawing true.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
/** The diagram's node ids for the top-level folders. */
const NODE_OF: Record<string, string> = {
  scripts: 'scripts', bench: 'bench', test: 'test', web: 'web', workers: 'workers',
  'durable-objects': 'dos', db: 'db', fakes: 'fakes', domain: 'domain',
};
const SKIP = new Set(['node_modules', 'dist', '.wrangler', '.data', 'migrations', 'results']);

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name) || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (/\.(ts|tsx|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/** Relative specifiers of static imports, re-exports and dynamic imports. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|(?:^|[\s;])import\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/gm)) {
    found.push((m[1] ?? m[2] ?? m[3])!);
  }
  return found;
}

const top = (path: string): string | undefined => NODE_OF[relative(ROOT, path).split(sep)[0]!];

function actualEdges(): Map<string, string> {
  const edges = new Map<string, string>();
  for (const folder of Object.keys(NODE_OF)) {
    for (const file of sources(join(ROOT, folder))) {
      const from = top(file)!;
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        const to = top(resolve(dirname(file), spec));
        if (to && to !== from && !edges.has(`${from} --> ${to}`)) edges.set(`${from} --> ${to}`, `${relative(ROOT, file)} imports ${spec}`);
      }
    }
  }
  return edges;
}

/** `a --> b & c` lines of the Layers section's mermaid block. */
function documentedEdges(): Set<string> {
  const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Layers'));
  const block = /```mermaid\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const edges = new Set<string>();
  for (const line of block.split('\n')) {
    const m = /^\s*(\w+)\s*-->\s*(.+)$/.exec(line);
    if (!m) continue;
    for (const to of m[2]!.split('&')) edges.add(`${m[1]} --> ${to.trim()}`);
  }
  return edges;
}

describe('docs/architecture.md: the layer graph', () => {
  it('finds imports of every kind', () => {
    expect(specifiers(`import { a } from '../x';\nimport type { B } from "./y";\nexport * from '../z';\nimport './side';\nconst m = await import('../dyn');\nimport { c } from 'hono';`)).toEqual(['../x', './y', '../z', './side', '../dyn']);
  });

  it('draws every edge the imports have, and no edge they lack', () => {
    const actual = actualEdges();
    const drawn = documentedEdges();
    expect(drawn.size).toBeGreaterThan(0);
    const undrawn = [...actual].filter(([edge]) => !drawn.has(edge)).map(([edge, why]) => `${edge} (${why})`);
    const unused = [...drawn].filter((edge) => !actual.has(edge));
    expect(undrawn, 'imports the diagram lacks').toEqual([]);
    expect(unused, 'drawn edges no import has').toEqual([]);
  });
});
