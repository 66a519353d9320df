/**
 * A real Prometheus (Debian's package) scrapes a locally started platform:
 * the repository's ops/prometheus/prometheus.yml with the target, the interval
 * (1 s) and the token file swapped for this run's. A short simulated load goes
 * through the real API; then PromQL over Prometheus' HTTP API must give a
 * request rate and a p99 that are there and plausible, the rule files must be
 * loaded, and every Grafana panel's query must parse (ADR 0093, 0094).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/postgres';
import { ROOT, METRICS_TOKEN_FILE, localSecrets } from '../../scripts/lib/local-env';
import { startPlatform, type RunningPlatform } from '../../scripts/lib/platform';
import { DASHBOARD_FILE, dashboardQueries } from '../../scripts/lib/observability/dashboard';
import { DEFAULTS as SIMULATION_DEFAULTS, startSimulation, type RunningSimulation } from '../../scripts/lib/simulator/index';
import { requirePrometheus, startPrometheus, type RunningPrometheus } from './prometheus-server';

const havePrometheus = requirePrometheus();
const LOAD_SECONDS = 10;

/** The repository's config for this run: every swap must find its text, so a changed config fails here first. */
function testConfig(apiPort: number): string {
  let text = readFileSync(path.join(ROOT, 'ops/prometheus/prometheus.yml'), 'utf8');
  const swap = (from: string | RegExp, to: string) => {
    const next = text.replace(from, to);
    if (next === text) throw new Error(`ops/prometheus/prometheus.yml no longer has ${String(from)}`);
    text = next;
  };
  // 2 s, not 1: a scrape's timeout cannot exceed its interval, and /metrics reads Postgres on a busy CI machine.
  swap(/scrape_interval: \d+s/, 'scrape_interval: 2s\n  scrape_timeout: 2s');
  swap(/evaluation_interval: \d+s/, 'evaluation_interval: 2s');
  swap('127.0.0.1:8787', `127.0.0.1:${apiPort}`);
  swap('../../.data/metrics-token', METRICS_TOKEN_FILE);
  swap(/- rules\//g, `- ${path.join(ROOT, 'ops/prometheus/rules')}/`);
  return text;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls an instant query until it returns a sample (or the deadline passes). */
async function firstSample(prom: RunningPrometheus, expr: string, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await prom.query(expr);
    const value = result[0] ? Number(result[0].value[1]) : undefined;
    if (value !== undefined && Number.isFinite(value) && value > 0) return value;
    if (Date.now() > deadline) return value;
    await sleep(1_000);
  }
}

describe.runIf(havePrometheus)('a real Prometheus scrapes the platform', () => {
  let platform: RunningPlatform | undefined;
  let prom: RunningPrometheus | undefined;
  let simulation: RunningSimulation | undefined;

  /** What beforeAll started, kept as promises: a timed-out hook must not leave them running (afterAll awaits and stops them). */
  let starting: { platform?: Promise<RunningPlatform>; prom?: Promise<RunningPrometheus>; simulation?: Promise<RunningSimulation> } = {};

  beforeAll(async () => {
    const t0 = Date.now();
    const phases: string[] = [];
    const phase = (name: string) => phases.push(`${name} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const apiPort = await freePort();
    // `npm test` built the web apps before the tests; the platform's own secrets hold the scrape token (.data/metrics-token).
    starting.platform = startPlatform({ apiPort, seed: true, build: false, output: 'ignore', supervise: false });
    platform = await starting.platform;
    phase('platform');
    expect(localSecrets().METRICS_TOKEN).toBeTruthy();
    starting.prom = startPrometheus(testConfig(apiPort));
    prom = await starting.prom;
    phase('prometheus');
    starting.simulation = startSimulation({
      ...SIMULATION_DEFAULTS,
      baseUrl: platform.baseUrl,
      stripeApiBase: platform.services.find((s) => s.vars.STRIPE_API_BASE)?.vars.STRIPE_API_BASE,
      // Few people, so few sign-ins (the simulator spaces them under the API's 20 a minute per IP).
      drivers: 2,
      customers: 1,
      loginsPerMinute: 20,
      ordersPerMinute: 40,
      acceptDelaySeconds: 1,
      prepSeconds: 2,
      humanOrderGraceSeconds: 0,
      giveUpAfterSeconds: 0,
      declineRate: 0,
      breakRate: 0,
      speed: 20,
      summaryEverySeconds: 0,
      seed: 16,
      log: () => {},
    });
    simulation = await starting.simulation;
    await simulation.ready;
    phase('simulation ready');
    await sleep(LOAD_SECONDS * 1000);
    phase('load');
    console.log(`prometheus scrape test: ${phases.join(', ')}`);
  }, 240_000);

  afterAll(async () => {
    const settled = async <T,>(p: Promise<T> | undefined) => (p ? p.catch(() => undefined) : undefined);
    await (await settled(starting.simulation))?.stop();
    await (await settled(starting.prom))?.stop();
    await (await settled(starting.platform))?.stop();
    starting = {};
  }, 60_000);

  it('scrapes /metrics with the bearer token of the config', async () => {
    // Scraped with success during the load (a single late scrape under CPU contention is not the point here).
    const up = await prom!.query('max_over_time(up{job="delivery"}[1m])');
    expect(up).toHaveLength(1);
    expect(up[0]!.value[1]).toBe('1');
    const seen = await prom!.query('last_over_time(delivery_up[1m])');
    expect(seen[0]?.value[1]).toBe('1');
    // Without the token /metrics refuses: the config's bearer token is what lets Prometheus in.
    expect((await fetch(`${platform!.baseUrl}/metrics`)).status).toBe(401);
  });

  it('gives a request rate and a p99 from the simulated load', async () => {
    const rate = await firstSample(prom!, 'sum(rate(delivery_http_requests_total[30s]))', 20_000);
    const p99 = await firstSample(prom!, 'histogram_quantile(0.99, sum by (le) (rate(delivery_http_request_duration_seconds_bucket[30s])))', 20_000);
    console.log(`prometheus: sum(rate(delivery_http_requests_total[30s])) = ${rate} req/s; http p99 over 30 s = ${p99} s; ${simulation!.summary()}`);
    // A few simulated people polling and placing orders: more than one request a second, far from thousands.
    expect(rate).toBeGreaterThan(1);
    expect(rate).toBeLessThan(5_000);
    // Within the histogram's buckets (5 ms .. 10 s) and not NaN (no observations).
    expect(p99).toBeGreaterThan(0.001);
    expect(p99).toBeLessThanOrEqual(10);
    // The route label is a template, never a raw path with an id in it.
    const routes = (await prom!.query('sum by (route) (last_over_time(delivery_http_requests_total[1m]))')).map((s) => s.metric.route ?? '');
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) expect(route, route).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    const ops = await prom!.query('sum by (operation) (last_over_time(delivery_operation_duration_seconds_count[1m]))');
    expect(ops.map((s) => s.metric.operation)).toContain('create');
  });

  it('loads every rule file and evaluates the rules without error', async () => {
    const res = (await (await fetch(`${prom!.url}/api/v1/rules`)).json()) as { data: { groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] } };
    const rules = res.data.groups.flatMap((g) => g.rules);
    expect(res.data.groups.map((g) => g.name).sort()).toEqual(['delivery-operations', 'delivery-slo-alerts', 'delivery-slo-recording']);
    expect(rules).toHaveLength(84);
    const failing = rules.filter((r) => r.health === 'err').map((r) => `${r.name}: ${r.lastError}`);
    expect(failing).toEqual([]);
  });

  it("every Grafana panel's query parses in Prometheus (no bad_data)", async () => {
    const json = JSON.parse(readFileSync(path.join(ROOT, DASHBOARD_FILE), 'utf8')) as Record<string, unknown>;
    const queries = dashboardQueries(json);
    expect(queries.length).toBeGreaterThan(30);
    const refused: string[] = [];
    for (const { panel, expr } of queries) {
      const answer = await prom!.queryRaw(expr);
      if (answer.status !== 'success') refused.push(`${panel}: ${answer.errorType}: ${answer.error}`);
    }
    expect(refused).toEqual([]);
    // And the traffic panel shows the load.
    const traffic = queries.find((q) => q.panel === 'Requests per second')!;
    expect(Number((await prom!.query(traffic.expr))[0]?.value[1] ?? 0)).toBeGreaterThan(0);
  });
});
