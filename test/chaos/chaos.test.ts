/**
 * The chaos suite's CI subset (scripts/lib/chaos, docs/reliability.md): the
 * whole platform with the simulated city, then Postgres killed, the runtime
 * killed, queue messages lost and Stripe's webhooks lost, doubled and
 * reordered; every invariant checked against Postgres and the fakes.
 * The city is split into 3 km cells (69 shards, ADR 0125): the faults strike
 * a city of many shards while drivers are handed over between them as they
 * ride (ADR 0122), and at the end each driver must be in exactly one shard,
 * at its last fix. `npm run chaos` runs every fault.
 */
import { expect, test } from 'vitest';
import { CI_FAULTS } from '../../scripts/lib/chaos/faults';
import { reportTable, runChaos } from '../../scripts/lib/chaos/run';

test('in a city split into shards: no order lost, duplicated or stuck, no event lost or applied twice, no 500, recovery under 10 s, no driver lost in a handover: ' + CI_FAULTS.join(', '), async () => {
  const t0 = Date.now();
  const result = await runChaos({
    faults: CI_FAULTS,
    calmSeconds: 5,
    drainSeconds: 180,
    ordersPerMinute: 6,
    // `npm test` built the web apps before the tests.
    build: false,
    seed: 11,
    cellKm: 3,
    log: (line) => console.log(`[chaos ${((Date.now() - t0) / 1000).toFixed(0)} s] ${line}`),
  });
  console.log(reportTable(result));
  const violations = [...result.reports.flatMap((r) => r.violations.map((v) => `${r.fault.name}: ${v}`)), ...result.whole.violations.map((v) => `whole run: ${v}`)];
  expect(violations).toEqual([]);
  // The run saw real work: requests during every fault, orders and events flowing (a kill's window
  // is a few seconds long at 6 orders a minute, so not every window holds an order of its own).
  for (const r of result.reports) expect(Object.values(r.duringFault).reduce((a, b) => a + b, 0), r.fault.name).toBeGreaterThan(0);
  expect(result.whole.figures.ordersAcknowledged).toBeGreaterThan(5);
  expect(result.whole.figures.eventsCommitted).toBeGreaterThan(50);
  // The split city was exercised: drivers moved between shards, some with an order in hand.
  expect(result.placement?.handovers ?? 0).toBeGreaterThan(0);
});
