/**
 * openDatabase parses a connection string once per isolate and hands each
 * client its own copy of what a client writes to (db/client.ts, issue 14).
 * Against the real test Postgres: clients made from the same parsed options
 * work side by side, each keeps its own server parameters and retry state, and
 * none builds postgres.js's logical-replication subscriber.
 */
import { sql as drizzleSql } from 'drizzle-orm';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { openDatabase, type Database } from '../../db/client';

const url = inject('databaseUrl');
/** What postgres.js keeps on a client's options beyond its published type. */
const optionsOf = (db: Database) => db.$client.options as unknown as { parameters: Record<string, string>; shared: object } & typeof db.$client.options;
const opened: Database[] = [];
const open = (options?: Parameters<typeof openDatabase>[1]) => {
  const db = openDatabase(url, options);
  opened.push(db);
  return db;
};

afterAll(async () => {
  await Promise.all(opened.map((db) => db.$client.end()));
});

describe('openDatabase', () => {
  it('gives clients of one connection string their own state, and they work side by side', async () => {
    const a = open();
    const b = open();
    expect(a.$client.options).not.toBe(b.$client.options);
    expect(optionsOf(a).parameters).not.toBe(optionsOf(b).parameters);
    expect(optionsOf(a).shared).not.toBe(optionsOf(b).shared);
    // Parsed from the URL as postgres.js would: host, port, database, user.
    const u = new URL(url);
    expect(a.$client.options.host).toEqual([u.hostname]);
    expect(a.$client.options.port).toEqual([Number(u.port)]);
    expect(a.$client.options.database).toBe(u.pathname.slice(1));
    expect(a.$client.options.prepare).toBe(false);
    expect(a.$client.options.max).toBe(5);

    // Each in a transaction of its own at once: a client's settings stay its own.
    const [ra, rb] = await Promise.all([
      a.transaction(async (tx) => {
        await tx.execute(drizzleSql`set local application_name = 'client-a'`);
        return tx.execute<{ name: string }>(drizzleSql`select current_setting('application_name') as name`);
      }),
      b.transaction(async (tx) => {
        await tx.execute(drizzleSql`set local application_name = 'client-b'`);
        return tx.execute<{ name: string }>(drizzleSql`select current_setting('application_name') as name`);
      }),
    ]);
    expect([...ra].map((r) => r.name)).toEqual(['client-a']);
    expect([...rb].map((r) => r.name)).toEqual(['client-b']);
    // The server's parameters reached each client's own object.
    expect(optionsOf(a).parameters.server_version).toMatch(/^\d+/);
    expect(optionsOf(b).parameters.server_version).toMatch(/^\d+/);
    // No subscriber client was built (postgres.js keeps `true` in its place when told not to).
    expect(a.$client.subscribe).toBe(true);
  });

  it('keeps the options it was asked for apart', async () => {
    const one = open({ max: 1, connectTimeoutSeconds: 2 });
    const five = open();
    expect(one.$client.options.max).toBe(1);
    expect(one.$client.options.connect_timeout).toBe(2);
    expect(five.$client.options.max).toBe(5);
    expect(five.$client.options.connect_timeout).toBe(5);
    const [row] = await one.execute<{ n: number }>(drizzleSql`select 41 + 1 as n`);
    expect(row!.n).toBe(42);
  });
});
