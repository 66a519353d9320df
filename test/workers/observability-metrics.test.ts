/**
 * Metrics true across isolates (ADR 0090): deltas of separate recorders add
 * up in the MetricsAggregator and GET /metrics shows one global value; the
 * whole answer is valid Prometheus text; a critical route moves its
 * operation histogram; queue batches are counted by outcome.
 */
import { env, exports } from 'cloudflare:workers';
import { createExecutionContext, createMessageBatch, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { METRICS, MetricsRecorder } from '../../domain/metrics';
import { aggregatorOf, flushMetricsNow } from '../../durable-objects/metrics-aggregator/port';
import { observeBatch } from '../../workers/queue/observed';
import { sessionToken } from './helpers/sessions';
import { freshShard, onlineDriver } from './city-shard-helpers';
import { shardLabels } from '../../durable-objects/city-shard/shard-metrics';

let token: Promise<string> | undefined;
const opsToken = () => (token ??= sessionToken({ sub: 'usr_obsmetrics00000000000', role: 'ops' }));

async function scrape(): Promise<string> {
  const res = await exports.default.fetch(new Request('http://platform.test/metrics', { headers: { Authorization: `Bearer ${await opsToken()}` } }));
  expect(res.status).toBe(200);
  return res.text();
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict reader of the text format (0.0.4): every sample belongs to a
 * family declared by one TYPE line before it; histogram buckets rise with
 * `le`, are cumulative and end with le="+Inf" equal to `_count`.
 */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,|$)/y;
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ')) {
      const name = line.split(' ')[2]!;
      expect(helps.has(name), `HELP ${name} twice`).toBe(false);
      helps.add(name);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      expect(types.has(name!), `TYPE ${name} twice`).toBe(false);
      expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(type);
      types.set(name!, type!);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|\+Inf|NaN))$/.exec(line);
    expect(m, `not a sample line: ${line}`).not.toBeNull();
    const [, name, rawLabels = '', value] = m!;
    const labels: Record<string, string> = {};
    labelPattern.lastIndex = 0;
    while (labelPattern.lastIndex < rawLabels.length) {
      const at = labelPattern.lastIndex;
      const l = labelPattern.exec(rawLabels);
      expect(l, `bad labels at ${at} in ${line}`).not.toBeNull();
      labels[l![1]!] = l![2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    const family = types.has(name!) ? name! : name!.replace(/_(bucket|sum|count)$/, '');
    expect(types.has(family), `${name} has no TYPE`).toBe(true);
    if (family !== name) expect(types.get(family)).toBe('histogram');
    samples.push({ name: name!, labels, value: Number(value) });
  }
  // Histograms: per series, buckets cumulative and closed by +Inf = _count.
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le, ...rest } = s.labels;
      expect(le, `${family}_bucket without le`).toBeDefined();
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      const bounds = buckets.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)));
      for (let i = 1; i < buckets.length; i++) {
        expect(bounds[i]!).toBeGreaterThan(bounds[i - 1]!);
        expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
      }
      expect(bounds.at(-1)).toBe(Infinity);
      const count = samples.find((x) => x.name === `${family}_count` && JSON.stringify(x.labels) === key);
      const sum = samples.find((x) => x.name === `${family}_sum` && JSON.stringify(x.labels) === key);
      expect(count, `${family}_count of ${key}`).toBeDefined();
      expect(sum, `${family}_sum of ${key}`).toBeDefined();
      expect(buckets.at(-1)!.value).toBe(count!.value);
    }
  }
  return { types, samples };
}

const find = (samples: Sample[], name: string, labels: Record<string, string>) =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

describe('metrics across isolates', () => {
  it('adds the deltas of two separate recorders into one global value at /metrics', async () => {
    // Two recorders stand for two isolates; label values unique to this test keep other traffic out.
    const queue = `test-${crypto.randomUUID().slice(0, 8)}`;
    const a = new MetricsRecorder();
    const b = new MetricsRecorder();
    a.inc(METRICS.queueMessages, [queue, 'ack'], 3);
    a.observe(METRICS.queueBatchDuration, [queue], 0.004);
    b.inc(METRICS.queueMessages, [queue, 'ack'], 4);
    b.inc(METRICS.queueMessages, [queue, 'retry']);
    b.observe(METRICS.queueBatchDuration, [queue], 0.2);
    b.observe(METRICS.queueBatchDuration, [queue], 42);
    await aggregatorOf(env).merge(a.take()!);
    await aggregatorOf(env).merge(b.take()!);
    expect(a.take()).toBeNull();

    const { samples } = parseExposition(await scrape());
    expect(find(samples, 'delivery_queue_messages_total', { queue, outcome: 'ack' })?.value).toBe(7);
    expect(find(samples, 'delivery_queue_messages_total', { queue, outcome: 'retry' })?.value).toBe(1);
    const bucket = (le: string) => find(samples, 'delivery_queue_batch_duration_seconds_bucket', { queue, le })?.value;
    expect(bucket('0.005')).toBe(1);
    expect(bucket('0.15')).toBe(1);
    expect(bucket('0.2')).toBe(2);
    expect(bucket('10')).toBe(2);
    expect(bucket('+Inf')).toBe(3);
    expect(find(samples, 'delivery_queue_batch_duration_seconds_count', { queue })?.value).toBe(3);
    expect(find(samples, 'delivery_queue_batch_duration_seconds_sum', { queue })?.value).toBeCloseTo(42.204, 6);
  });

  it('escapes label values and refuses series it does not know', async () => {
    const r = new MetricsRecorder();
    const route = `/odd/"quoted"\\back\nline-${crypto.randomUUID().slice(0, 8)}`;
    r.inc(METRICS.httpRequests, [route, 'GET', '200']);
    await aggregatorOf(env).merge(r.take()!);
    await aggregatorOf(env).merge({ counters: [['delivery_made_up_total', '', 1], ['delivery_http_requests_total', 'route="x"} 1\nevil{a="', 1]], histograms: [] });
    const text = await scrape();
    const { samples } = parseExposition(text);
    expect(find(samples, 'delivery_http_requests_total', { route })?.value).toBe(1);
    expect(text).not.toContain('delivery_made_up_total');
    expect(text).not.toMatch(/^evil/m);
  });
});

describe('GET /metrics', () => {
  it('is valid exposition text with the contract families declared', async () => {
    await exports.default.fetch(new Request('http://platform.test/healthz'));
    await flushMetricsNow(env);
    const { types } = parseExposition(await scrape());
    expect(types.get('delivery_http_requests_total')).toBe('counter');
    expect(types.get('delivery_http_request_duration_seconds')).toBe('histogram');
    expect(types.get('delivery_orders_open')).toBe('gauge');
    expect(types.get('delivery_metrics_aggregator_up')).toBe('gauge');
  });

  it('moves the critical operation histogram and the request counter of the route template (never the path)', async () => {
    const read = async () => {
      const { samples } = parseExposition(await scrape());
      return {
        op: find(samples, 'delivery_operation_duration_seconds_count', { operation: 'tracking_read' })?.value ?? 0,
        requests: find(samples, 'delivery_http_requests_total', { route: '/v1/track/:token', method: 'GET', status: '404' })?.value ?? 0,
      };
    };
    await flushMetricsNow(env);
    const before = await read();
    const token = 'T'.repeat(32);
    for (let i = 0; i < 3; i++) expect((await exports.default.fetch(new Request(`http://platform.test/v1/track/${token}`))).status).toBe(404);
    // The Worker flushes within a second in waitUntil; the test does not wait for it.
    await flushMetricsNow(env);
    let after = await read();
    for (let i = 0; i < 30 && after.op < before.op + 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await read();
    }
    expect(after.op).toBe(before.op + 3);
    expect(after.requests).toBe(before.requests + 3);
    expect(await scrape()).not.toContain(token);
  });
});

describe('queue batches', () => {
  it('counts messages by outcome: acked, retried, left to the runtime, and dead on the last retry', async () => {
    // A queue name of its own: the consumer here is a stand-in, the counting is the real wrapper's.
    const batch = createMessageBatch('delivery-dispatch', [
      { id: 'm1', timestamp: new Date(), attempts: 1, body: 1 },
      { id: 'm2', timestamp: new Date(), attempts: 2, body: 2 },
      { id: 'm3', timestamp: new Date(), attempts: 9, body: 3 },
      { id: 'm4', timestamp: new Date(), attempts: 1, body: 4 },
    ]);
    const { samples: before } = parseExposition(await scrape());
    const count = (samples: Sample[], outcome: string) => find(samples, 'delivery_queue_messages_total', { queue: 'dispatch', outcome })?.value ?? 0;
    const ctx = createExecutionContext();
    await observeBatch(batch, env, ctx, (counted) => {
      counted.messages[0]!.ack();
      counted.messages[1]!.retry();
      counted.messages[2]!.retry();
      // m4: neither, acked by the runtime when the consumer returns.
      return Promise.resolve();
    });
    await waitOnExecutionContext(ctx);
    const { samples: after } = parseExposition(await scrape());
    expect(count(after, 'ack') - count(before, 'ack')).toBe(2);
    expect(count(after, 'retry') - count(before, 'retry')).toBe(1);
    expect(count(after, 'dead') - count(before, 'dead')).toBe(1);
  });
});

describe('city shard metrics', () => {
  it("reports the shard's gauges and counts its fixes under its city and cell", async () => {
    const { stub, key } = freshShard();
    const [city, shard] = shardLabels(key);
    expect(city).toMatch(/^cty_/);
    const driver = await onlineDriver(stub, `drv_obs${crypto.randomUUID().slice(0, 8)}`, 100);
    let samples: Sample[] = [];
    await expect
      .poll(async () => {
        samples = parseExposition(await scrape()).samples;
        return find(samples, 'delivery_shard_fixes_total', { city, shard })?.value;
      }, { timeout: 5_000, interval: 200 })
      .toBe(1);
    expect(find(samples, 'delivery_shard_drivers_online', { city, shard })?.value).toBe(1);
    expect(find(samples, 'delivery_shard_sockets', { city, shard, kind: 'driver' })?.value).toBe(1);
    expect(find(samples, 'delivery_shard_sockets', { city, shard, kind: 'watcher' })?.value).toBe(0);
    expect(find(samples, 'delivery_shard_open_offers', { city, shard })?.value).toBe(0);
    driver.close();
  });
});
