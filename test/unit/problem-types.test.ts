import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProblemSchema } from '../../workers/openapi';
import { PROBLEM_TYPES } from '../../workers/problem-types';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every (slug, status) the code can throw: `new Problem(status, 'slug'` and the `problems` helpers. */
function thrownTypes(): Array<{ slug: string; status: number; file: string }> {
  const found: Array<{ slug: string; status: number; file: string }> = [];
  for (const file of [...sources('workers'), ...sources('durable-objects')]) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/new Problem\((\d{3}), '([a-z-]+)'/g)) found.push({ status: Number(m[1]), slug: m[2]!, file });
    for (const m of text.matchAll(/problems\.conflict\('([a-z-]+)'/g)) found.push({ status: 409, slug: m[1]!, file });
  }
  return found;
}

describe('problem types (docs/problems.md)', () => {
  const bySlug = new Map(PROBLEM_TYPES.map((p) => [p.slug, p]));

  it('lists every type the code throws, with its status', () => {
    const thrown = thrownTypes();
    expect(thrown.length).toBeGreaterThan(20);
    const missing = thrown.filter(({ slug, status }) => !bySlug.get(slug)?.statuses.includes(status)).map(({ slug, status, file }) => `${status} ${slug} (${file})`);
    expect(missing).toEqual([]);
  });

  it('has each slug once', () => {
    expect(bySlug.size).toBe(PROBLEM_TYPES.length);
  });

  it('names every extension member in the OpenAPI Problem schema', () => {
    const properties = Object.keys(ProblemSchema.shape);
    const members = [...new Set(PROBLEM_TYPES.flatMap((p) => p.members))];
    expect(members.filter((m) => !properties.includes(m))).toEqual([]);
  });

  it('is the table of docs/problems.md, row for row', () => {
    const page = readFileSync('docs/problems.md', 'utf8');
    const rows = new Map(
      [...page.matchAll(/^\| `([a-z-]+)` \| ([\d, ]+) \| ([^|]*) \| ([^|]*) \|/gm)].map((m) => [m[1]!, { statuses: m[2]!, members: m[3]!.trim(), headers: m[4]!.trim() }]),
    );
    for (const p of PROBLEM_TYPES) {
      expect(rows.get(p.slug), p.slug).toEqual({
        statuses: p.statuses.join(', '),
        members: p.members.map((m) => `\`${m}\``).join(', ') || '—',
        headers: p.headers.join(', ') || '—',
      });
    }
    expect([...rows.keys()].filter((slug) => !bySlug.has(slug))).toEqual([]);
  });
});
