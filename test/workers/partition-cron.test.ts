/**
 * The minute cron keeps the time partitions ready (ADR 0119): a missing
 * partition of the coming days is created again by the next run, in workerd
 * through Hyperdrive like every other sweep, and a second run changes nothing.
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import worker from '../../workers/index';
import { listPartitions, nextPeriod, partitionName, PARTITIONED_TABLES, periodStart } from '../../workers/services/partitions';
import { db } from './helpers/notification-world';

async function runCron() {
  const ctx = createExecutionContext();
  await worker.scheduled!(createScheduledController({ cron: '* * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe('partition maintenance from the cron', () => {
  it('creates the partitions ahead that are missing, once', async () => {
    // The furthest partition ahead of each table: nothing writes that far in the future.
    const furthest = PARTITIONED_TABLES.map((t) => partitionName(t, nextPeriod(periodStart(new Date(), t.period), t.period, t.ahead)));
    for (const name of furthest) await db().execute(sql.raw(`drop table if exists "${name}"`));
    for (const t of PARTITIONED_TABLES) expect((await listPartitions(db(), t.table)).map((p) => p.name)).not.toContain(partitionName(t, nextPeriod(periodStart(new Date(), t.period), t.period, t.ahead)));

    await runCron();
    const after = await Promise.all(PARTITIONED_TABLES.map(async (t) => (await listPartitions(db(), t.table)).map((p) => p.name)));
    for (const [i, name] of furthest.entries()) expect(after[i]).toContain(name);
    // Every table still has its default partition, and a second run leaves the same set.
    for (const [i, t] of PARTITIONED_TABLES.entries()) expect(after[i]).toContain(`${t.table}_default`);
    await runCron();
    expect(await Promise.all(PARTITIONED_TABLES.map(async (t) => (await listPartitions(db(), t.table)).map((p) => p.name)))).toEqual(after);
  });
});
