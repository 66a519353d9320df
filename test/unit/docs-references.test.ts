/**
 * The design documents point at code and at measured figures (issue 18,
 * item 6; ADR 0124): this test fails when a file they name or a benchmark row
 * they cite disappears, so a rename or a dropped benchmark row is caught
 * where the prose would quietly go stale.
 *
 * What counts as a reference, inside backticks outside code blocks:
 * - a path whose first segment is a top-level entry of the repository
 *   (`workers/app.ts`, `bench/results/order-flow.json`, `docs/scale.md`), or,
 *   from a page in docs/, one relative to that page (`decisions/0122-….md`);
 *   a module specifier may leave out `.ts`; an `#anchor` is ignored. Paths
 *   under git-ignored folders (`.data/`, `dist/`) are run-time files, not
 *   references.
 * - a benchmark row id: a dotted token whose first segment is that of a row
 *   id in bench/results/*.json (`orders.pg_cpu_ms.accept`), unless it names a
 *   table column (`orders.driver_id`: `<table>.<column>` with the column in
 *   db/schema).
 *
 * Architecture decision records (docs/decisions) are history: the paths they
 * name may have moved since (they say so); their benchmark ids are checked.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const IGNORED_TOP = new Set(['node_modules', 'dist', '.data', '.wrangler', 'test-results', '.scratch', '.git']);
const TOP = new Set(readdirSync(ROOT).filter((n) => !IGNORED_TOP.has(n)));
const PATH = /^(?:\.\/)?[A-Za-z0-9_.@-]+(?:\/[A-Za-z0-9_.@[\]-]+)+\/?$/;
const DOTTED = /^[a-z0-9_]+(?:\.[a-z0-9_]+)+$/;

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.md') ? [path.join(dir, e.name)] : []));

function benchIds(): Set<string> {
  const ids = new Set<string>();
  const dir = path.join(ROOT, 'bench/results');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    const doc = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { rows?: { id?: string }[] };
    for (const r of doc.rows ?? []) if (r.id) ids.add(r.id);
  }
  return ids;
}

const schemaText = readdirSync(path.join(ROOT, 'db/schema'))
  .map((f) => readFileSync(path.join(ROOT, 'db/schema', f), 'utf8'))
  .join('\n');
const isColumn = (token: string) => token.split('.').length === 2 && schemaText.includes(`'${token.split('.')[1]}'`);

/** Every backticked token of a Markdown page, outside fenced code blocks. */
function tokensOf(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!.trim());
}

function pathExists(token: string, page: string): boolean | null {
  if (!PATH.test(token) || token.includes('://')) return null;
  const p = token.replace(/^\.\//, '').split('#')[0]!;
  const first = p.split('/')[0]!;
  const fromPage = path.join(path.dirname(page), p);
  const rooted = TOP.has(first);
  const relative = existsSync(path.join(path.dirname(page), first));
  if (!rooted && !relative) return null;
  const candidates = [...(rooted ? [path.join(ROOT, p)] : []), ...(relative ? [fromPage] : [])];
  return candidates.some((c) => existsSync(c) || existsSync(`${c}.ts`));
}

describe('references from docs/', () => {
  const pages = walk(path.join(ROOT, 'docs'));
  const ids = benchIds();
  const families = new Set([...ids].map((id) => id.split('.')[0]!));

  it('finds the references it checks (the parsing is not silently empty)', () => {
    const all = pages.flatMap((p) => tokensOf(p).map((t) => ({ p, t })));
    expect(all.filter(({ p, t }) => pathExists(t, p) !== null).length).toBeGreaterThan(200);
    expect(all.filter(({ t }) => DOTTED.test(t) && families.has(t.split('.')[0]!) && !isColumn(t)).length).toBeGreaterThan(10);
  });

  it('every file path named by a design page exists', () => {
    const missing: string[] = [];
    for (const page of pages.filter((p) => !p.includes(`${path.sep}decisions${path.sep}`))) {
      for (const t of tokensOf(page)) if (pathExists(t, page) === false) missing.push(`${path.relative(ROOT, page)}: ${t}`);
    }
    expect(missing).toEqual([]);
  });

  it('every benchmark row id cited exists in bench/results/*.json', () => {
    const missing: string[] = [];
    for (const page of pages) {
      for (const t of tokensOf(page)) {
        if (DOTTED.test(t) && families.has(t.split('.')[0]!) && !isColumn(t) && !ids.has(t)) missing.push(`${path.relative(ROOT, page)}: ${t}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
