/**
 * The city shard's driver index alone, against Redis 7 GEO with the same data
 * (issue 5, first figure). 10,000 drivers over a 20 km city, 2,000 available:
 * - ingest: location frames parsed, validated (protocol v1 / zod) and moved
 *   in the index, on one core; also with zod's JIT off (the workerd path) and
 *   through the shard's full in-memory transition (`reduce`);
 * - nearest-10 available within 3 km: queries/s, p50/p99 per query;
 * - Redis: GEOADD, and GEOSEARCH … BYRADIUS 3 km ASC COUNT 10 over the
 *   available set with redis-benchmark -c 50 (its best case), on a private
 *   redis-server this script starts on a free loopback port and stops.
 *
 * `npm run bench` runs it through bench/run.ts; alone: `npx tsx bench/shard-index.ts`.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CITY_CENTER, K, RADIUS_M, buildIndex, makeCity, makeQueries, measureIngest, measureQueries, measureReduceIngest, median, type Rate } from './lib/shard-index-work';
import { RespClient, redisBenchmark, redisTools, startRedis } from './lib/redis-geo';
import { machine, table, writeResults, type BenchRow } from './lib/results';
import { ensureDebianTools } from './lib/system-tools';

const BENCH = 'shard-index';
const NODE = `in-process, Node ${process.version}, one core`;

function ingestJitless(): Rate | null {
  const child = fileURLToPath(new URL('./lib/shard-ingest-jitless.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', child], { encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url)) });
  if (r.status !== 0) {
    console.warn(`jitless ingest failed: ${r.stderr.slice(0, 500)}`);
    return null;
  }
  return JSON.parse(r.stdout) as Rate;
}

async function redisRows(ourQps: number): Promise<BenchRow[]> {
  ensureDebianTools({ 'redis-server': 'redis-server', 'redis-benchmark': 'redis-tools' });
  const tools = redisTools();
  const harness = 'redis-benchmark -c 50, loopback';
  if (!tools.ok) {
    console.warn(`Redis comparison skipped: ${tools.reason}`);
    return [{ bench: BENCH, id: 'shard.redis_geosearch_per_s', metric: 'Redis GEOSEARCH BYRADIUS 3 km ASC COUNT 10', value: null, unit: 'queries/s', harness, note: tools.reason }];
  }
  const server = await startRedis();
  try {
    const city = makeCity();
    const client = await RespClient.connect(server.port);
    const load: (string | number)[][] = [];
    for (let i = 0; i < city.ids.length; i++) {
      load.push(['GEOADD', 'drivers', city.lng[i]!, city.lat[i]!, city.ids[i]!]);
      if (city.available[i]) load.push(['GEOADD', 'avail', city.lng[i]!, city.lat[i]!, city.ids[i]!]);
    }
    await client.pipeline(load);
    const [nAll, nAvail] = (await client.pipeline([['ZCARD', 'drivers'], ['ZCARD', 'avail']])) as number[];

    // Same data, same answers: compare nearest-10 sets for 200 query points.
    const index = buildIndex(city, undefined, 1_000);
    const q = makeQueries(200, 11);
    const replies = (await client.pipeline(Array.from({ length: 200 }, (_, i) => ['GEOSEARCH', 'avail', 'FROMLONLAT', q.lng[i]!, q.lat[i]!, 'BYRADIUS', 3, 'km', 'ASC', 'COUNT', K]))) as string[][];
    let same = 0;
    for (let i = 0; i < 200; i++) {
      const ours = index.nearest(q.lat[i]!, q.lng[i]!, { k: K, radiusM: RADIUS_M }).map((n) => n.driverId);
      if (JSON.stringify(ours) === JSON.stringify(replies[i])) same++;
    }

    // redis-benchmark repeats one command: 8 query points of the city, 20,000 requests each.
    const points = makeQueries(8, 13);
    // Redis's own time per GEOSEARCH, network and client aside: INFO commandstats over exactly these runs.
    await client.pipeline([['CONFIG', 'RESETSTAT']]);
    const runs = Array.from({ length: 8 }, (_, i) =>
      redisBenchmark(server.port, 50, 20_000, ['GEOSEARCH', 'avail', 'FROMLONLAT', String(points.lng[i]), String(points.lat[i]), 'BYRADIUS', '3', 'km', 'ASC', 'COUNT', String(K)]),
    );
    const [info] = (await client.pipeline([['INFO', 'commandstats']])) as string[];
    const stat = /cmdstat_geosearch:calls=(\d+),usec=(\d+),usec_per_call=([\d.]+)/.exec(String(info));
    client.close();
    const serverUs = stat ? Number(stat[3]) : null;
    // Ours on the identical points and data, in process: the buffer-reusing query and the allocating one matching calls.
    const samePoints = measureQueries(undefined, 100_000, { points });
    const allocating = measureQueries(undefined, 100_000, { points, allocating: true });
    const oursUs = 1e6 / samePoints.queriesPerSecond.best;
    const allocUs = 1e6 / allocating.queriesPerSecond.best;
    const serverHarness = `Redis ${tools.version} INFO commandstats (usec_per_call) over ${stat?.[1] ?? '?'} GEOSEARCH calls; ours in process, Node ${process.version}, same 8 points × 100,000`;
    const serverRows: BenchRow[] = [
      { bench: BENCH, id: 'shard.redis_geosearch_server_us', metric: 'Redis GEOSEARCH avail BYRADIUS 3 km ASC COUNT 10: server-side time per call', value: serverUs, unit: 'µs', harness: serverHarness },
      { bench: BENCH, id: 'shard.index_nearest_into_us', metric: 'our nearest-10 (nearestInto, reused buffers), same points: mean per query (p50 / p99 timed one by one)', value: oursUs, unit: 'µs', harness: serverHarness, note: `p50 ${samePoints.p50Us.toFixed(2)} µs, p99 ${samePoints.p99Us.toFixed(2)} µs` },
      { bench: BENCH, id: 'shard.index_nearest_alloc_us', metric: 'our nearest-10 (nearest, allocating: what matching calls), same points: mean per query', value: allocUs, unit: 'µs', harness: serverHarness, note: `p50 ${allocating.p50Us.toFixed(2)} µs, p99 ${allocating.p99Us.toFixed(2)} µs` },
      { bench: BENCH, id: 'shard.index_vs_redis_server', metric: 'Redis server-side µs per GEOSEARCH ÷ our µs per nearest-10 (nearestInto)', value: serverUs === null ? null : serverUs / oursUs, unit: '×', goal: '≥ 30×', pass: serverUs !== null && serverUs / oursUs >= 30, harness: serverHarness },
      { bench: BENCH, id: 'shard.index_alloc_vs_redis_server', metric: 'Redis server-side µs per GEOSEARCH ÷ our µs per allocating nearest-10', value: serverUs === null ? null : serverUs / allocUs, unit: '×', goal: '≥ 30×', pass: serverUs !== null && serverUs / allocUs >= 30, harness: serverHarness },
    ];
    const redisQps = 8 * 20_000 / runs.reduce((s, r) => s + 20_000 / r.requestsPerSecond, 0);
    const all = redisBenchmark(server.port, 50, 10_000, ['GEOSEARCH', 'drivers', 'FROMLONLAT', String(CITY_CENTER.lng), String(CITY_CENTER.lat), 'BYRADIUS', '3', 'km', 'ASC', 'COUNT', String(K)]);
    const geoadd = redisBenchmark(server.port, 50, 200_000, ['GEOADD', 'drivers', String(CITY_CENTER.lng), String(CITY_CENTER.lat), 'drv___rand_int__'], ['-r', '10000']);
    // Best against best: each side's least disturbed run.
    const redisBest = Math.max(...runs.map((r) => r.requestsPerSecond));
    const ratio = ourQps / redisBest;
    return [
      { bench: BENCH, id: 'shard.redis_geosearch_per_s', metric: 'Redis GEOSEARCH avail (2,000) BYRADIUS 3 km ASC COUNT 10', value: redisQps, unit: 'queries/s', harness, note: `Redis ${tools.version}, ${nAll} + ${nAvail} members, 8 points × 20,000; best run ${Math.round(redisBest).toLocaleString('en-US')}` },
      { bench: BENCH, id: 'shard.redis_geosearch_client_p50_us', metric: 'Redis GEOSEARCH p50 (client-side, incl. loopback and queueing)', value: median(runs.map((r) => r.p50Ms)) * 1000, unit: 'µs', harness },
      { bench: BENCH, id: 'shard.redis_geosearch_client_p99_us', metric: 'Redis GEOSEARCH p99 (client-side, incl. loopback and queueing)', value: median(runs.map((r) => r.p99Ms)) * 1000, unit: 'µs', harness },
      { bench: BENCH, id: 'shard.redis_geosearch_all_drivers_per_s', metric: 'Redis GEOSEARCH over all 10,000 drivers (centre)', value: all.requestsPerSecond, unit: 'queries/s', harness },
      { bench: BENCH, id: 'shard.redis_geoadd_per_s', metric: 'Redis GEOADD (random member of 10,000)', value: geoadd.requestsPerSecond, unit: 'updates/s', harness },
      { bench: BENCH, id: 'shard.index_vs_redis_loopback', metric: 'nearest-10: in-process index ÷ Redis over loopback with 50 clients (throughput; measures the network and client as much as Redis)', value: ratio, unit: '×', harness: 'best runs of each', note: `${Math.round(ourQps).toLocaleString('en-US')} ÷ ${Math.round(redisBest).toLocaleString('en-US')}` },
      ...serverRows,
      { bench: BENCH, id: 'shard.index_same_as_redis_pct', metric: 'same nearest-10 (ids and order) as Redis', value: same / 2, unit: '% of 200 queries', harness: 'pipelined RESP client', note: 'ties and geohash rounding can differ' },
    ];
  } finally {
    await server.stop();
  }
}

export async function run(): Promise<BenchRow[]> {
  const load0 = loadavg()[0]!;
  const ingest = measureIngest();
  const jitless = ingestJitless();
  const full = measureReduceIngest();
  const query = measureQueries();
  const spread = (r: Rate) => `best of ${r.runs.length} runs; median ${Math.round(r.median).toLocaleString('en-US')}`;
  const rows: BenchRow[] = [
    { bench: BENCH, id: 'shard.index_ingest_per_s.zod_jit', metric: 'ingest: parse + validate + move in index', value: ingest.best, unit: 'updates/s', goal: '≥ 500,000', pass: ingest.best >= 500_000, harness: NODE, note: `zod JIT on (Node); ${spread(ingest)}` },
    { bench: BENCH, id: 'shard.index_ingest_per_s.zod_jitless', metric: 'ingest: parse + validate + move in index', value: jitless?.best ?? null, unit: 'updates/s', goal: '≥ 500,000', pass: jitless !== null && jitless.best >= 500_000, harness: NODE, note: `zod JIT off, as in workerd; ${jitless ? spread(jitless) : 'failed'}` },
    { bench: BENCH, id: 'shard.index_reduce_ingest_per_s', metric: 'ingest: full shard transition (reduce)', value: full.best, unit: 'updates/s', harness: NODE, note: `plus order/jump checks and effects, no I/O; ${spread(full)}` },
    { bench: BENCH, id: 'shard.index_nearest_per_s', metric: 'nearest-10 available within 3 km', value: query.queriesPerSecond.best, unit: 'queries/s', harness: NODE, note: `${query.meanFound.toFixed(1)} found on average; ${spread(query.queriesPerSecond)}` },
    { bench: BENCH, id: 'shard.index_nearest_p50_us', metric: 'nearest-10 p50', value: query.p50Us, unit: 'µs', harness: NODE, note: '100,000 queries each timed' },
    { bench: BENCH, id: 'shard.index_nearest_p99_us', metric: 'nearest-10 p99', value: query.p99Us, unit: 'µs', goal: '≤ 25 µs', pass: query.p99Us <= 25, harness: NODE, note: `timer overhead ≈ ${query.timerOverheadUs.toFixed(2)} µs included` },
  ];
  rows.push(...(await redisRows(query.queriesPerSecond.best)));
  rows.push({ bench: BENCH, id: 'shard.index_load_average', metric: 'load average (1 min) at start', value: load0, unit: '', harness: 'os.loadavg()', note: 'two cores, shared with other work' });
  return rows;
}

/** Cell sizes compared for docs/decisions/0030 (`--cells`). */
function exploreCells(): BenchRow[] {
  return [100, 150, 250, 500, 1_000].map((cellM) => {
    const f = measureQueries(cellM, 50_000);
    return { bench: BENCH, id: `shard.index_nearest_per_s.cell_${cellM}m`, metric: `nearest-10, ${cellM} m cells`, value: f.queriesPerSecond.best, unit: 'queries/s', harness: NODE, note: `p50 ${f.p50Us.toFixed(2)} µs, p99 ${f.p99Us.toFixed(2)} µs` };
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = process.argv.includes('--cells') ? exploreCells() : await run();
  console.log(`\n${machine()}\n\n${table(rows)}\n`);
  if (!process.argv.includes('--cells')) console.log(`written to ${writeResults(BENCH, rows)}`);
}
