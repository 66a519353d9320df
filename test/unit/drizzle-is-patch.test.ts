/**
 * patches/drizzle-orm+0.45.4.patch remembers drizzle's `is(value, type)`
 * answer per class and entity kind (issue 14: the prototype walk on every
 * call was ~7% of the Worker's CPU placing an order). Same answers as
 * before for what drizzle asks while building SQL, including the walk's
 * case: a class of another copy of drizzle, known only by its entity kind.
 */
import { readFileSync } from 'node:fs';
import { Column, entityKind, is, SQL, sql, Table } from 'drizzle-orm';
import { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { orders } from '../../db/schema/index';

describe('drizzle is() (patched)', () => {
  it('is applied to both module formats', () => {
    for (const file of ['entity.js', 'entity.cjs']) {
      expect(readFileSync(new URL(`../../node_modules/drizzle-orm/${file}`, import.meta.url), 'utf8')).toContain('const isVerdicts = ');
    }
  });

  it('answers as the walk did, the first time and every time after', () => {
    for (let round = 0; round < 3; round++) {
      expect(is(orders.id, Column)).toBe(true);
      expect(is(orders.id, PgColumn)).toBe(true);
      expect(is(orders, Table)).toBe(true);
      expect(is(orders, PgTable)).toBe(true);
      expect(is(orders.id, Table)).toBe(false);
      expect(is(sql`1`, SQL)).toBe(true);
      expect(is(sql`1`, Column)).toBe(false);
      expect(is({}, SQL)).toBe(false);
      expect(is(new Date(), SQL)).toBe(false);
      expect(is(null, SQL)).toBe(false);
      expect(is('text', SQL)).toBe(false);
    }
  });

  it('still knows a class from another copy of drizzle by its entity kind alone', () => {
    class ForeignBase {
      static readonly [entityKind]: string = 'ForeignBase';
    }
    class ForeignSql extends ForeignBase {
      static override readonly [entityKind]: string = (SQL as unknown as Record<symbol, string>)[entityKind]!;
    }
    class ForeignChild extends ForeignSql {}
    expect(is(new ForeignChild(), SQL)).toBe(true);
    expect(is(new ForeignChild(), SQL)).toBe(true);
    expect(is(new ForeignBase(), SQL)).toBe(false);
    expect(is(new ForeignBase(), SQL)).toBe(false);
  });
});
