/**
 * statement() (db/statement.ts): a query built once and run on each caller's
 * client, against the real test Postgres — values bound per call, rows mapped
 * as drizzle maps them, inside a caller's transaction on that transaction's
 * connection, and sent unnamed like every other query.
 */
import { eq, sql } from 'drizzle-orm';
import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../db/client';
import { statement } from '../../db/statement';

const url = inject('databaseUrl');
const table = `statement_probe_${process.pid}`;
const probe = pgTable(table, { id: integer('id').primaryKey(), label: text('label').notNull() });
const a = openDatabase(url, { max: 2 });
const b = openDatabase(url, { max: 2 });

let builds = 0;
const byId = statement('probe_by_id', (db) => {
  builds++;
  return db.select({ id: probe.id, label: probe.label }).from(probe).where(eq(probe.id, sql.placeholder('id')));
});

beforeAll(async () => {
  await a.execute(sql.raw(`create table ${table} (id integer primary key, label text not null)`));
  await a.insert(probe).values([{ id: 1, label: 'one' }, { id: 2, label: 'two' }]);
});

afterAll(async () => {
  await a.execute(sql.raw(`drop table if exists ${table}`));
  await Promise.all([a.$client.end(), b.$client.end()]);
});

describe('statement()', () => {
  it('is built once and runs on whichever client calls it, with that call’s values', async () => {
    expect(await byId(a, { id: 1 })).toEqual([{ id: 1, label: 'one' }]);
    expect(await byId(b, { id: 2 })).toEqual([{ id: 2, label: 'two' }]);
    const [x, y] = await Promise.all([byId(a, { id: 2 }), byId(b, { id: 3 })]);
    expect(x).toEqual([{ id: 2, label: 'two' }]);
    expect(y).toEqual([]);
    expect(builds).toBe(1);
  });

  it('runs inside the caller’s transaction, seeing what it has not committed', async () => {
    const result = await a.transaction(async (tx) => {
      await tx.insert(probe).values({ id: 4, label: 'four' });
      // Another client cannot see it yet: the statement ran on the transaction's connection.
      return { inside: await byId(tx, { id: 4 }), outside: await byId(b, { id: 4 }) };
    });
    expect(result.inside).toEqual([{ id: 4, label: 'four' }]);
    expect(result.outside).toEqual([]);
    expect(await byId(b, { id: 4 })).toEqual([{ id: 4, label: 'four' }]);
  });

  it('refuses a call without a value for a placeholder', async () => {
    await expect(byId(a, {} as { id: number })).rejects.toThrow(/No value for placeholder "id"/);
  });

  it('sends unnamed statements (nothing prepared is left on the connection)', async () => {
    const [row] = await a.transaction(async (tx) => {
      await byId(tx, { id: 1 });
      return tx.execute<{ n: number }>(sql`select count(*)::int as n from pg_prepared_statements`);
    });
    expect(row!.n).toBe(0);
  });
});

describe('statement() and writes', () => {
  it('refuses to build a write once (its defaults and update timestamps would be fixed at build)', async () => {
    const write = statement('probe_insert', (db) => db.insert(probe).values({ id: sql.placeholder('id'), label: 'x' }));
    await expect(write(a, { id: 9 })).rejects.toThrow(/only a select can be built once/);
    expect(await byId(a, { id: 9 })).toEqual([]);
  });
});
