import { describe, expect, it } from 'vitest';
import { FLUSH_INTERVAL_MS, FlushSchedule, METRICS, MetricsRecorder, escapeLabelValue, type MetricsDelta } from '../../domain/metrics';
import { GAUGE_TTL_MS, MetricsStore } from '../../domain/metrics-store';

describe('MetricsRecorder', () => {
  it('puts a value equal to a bound in that bucket (le is inclusive) and one above every bound in +Inf', () => {
    const r = new MetricsRecorder();
    r.observe(METRICS.fixAge, [], 0.01);
    r.observe(METRICS.fixAge, [], 0.011);
    r.observe(METRICS.fixAge, [], 99);
    r.observe(METRICS.fixAge, [], Number.NaN);
    const [name, labels, counts, sum, count] = r.take()!.histograms[0]!;
    expect([name, labels]).toEqual(['delivery_tracking_fix_age_seconds', '']);
    expect(counts).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(sum).toBeCloseTo(99.021);
    expect(count).toBe(3);
    expect(r.take()).toBeNull();
  });

  it('escapes label values as the exposition format asks', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const r = new MetricsRecorder();
    r.inc(METRICS.cronRuns, ['x"y', 'ok'], 2);
    expect(r.take()!.counters).toEqual([['delivery_cron_runs_total', 'job="x\\"y",outcome="ok"', 2]]);
  });
});

describe('FlushSchedule', () => {
  function setup() {
    let now = 10_000;
    const sent: MetricsDelta[] = [];
    const kept: Promise<unknown>[] = [];
    const waits: { ms: number; resolve: () => void }[] = [];
    const recorder = new MetricsRecorder();
    const schedule = new FlushSchedule(recorder, () => now, (ms) => new Promise<void>((resolve) => waits.push({ ms, resolve })));
    const port = { send: (d: MetricsDelta) => (sent.push(d), Promise.resolve()), waitUntil: (p: Promise<unknown>) => void kept.push(p) };
    return { recorder, schedule, port, sent, kept, waits, tick: (ms: number) => (now += ms) };
  }

  it('flushes at once when a second has passed, else schedules one flush for when it has', async () => {
    const { recorder, schedule, port, sent, kept, waits, tick } = setup();
    recorder.inc(METRICS.cronRuns, ['a', 'ok']);
    schedule.after(port);
    await Promise.all(kept);
    expect(sent).toHaveLength(1);
    tick(200);
    recorder.inc(METRICS.cronRuns, ['a', 'ok']);
    schedule.after(port);
    recorder.inc(METRICS.cronRuns, ['a', 'ok']);
    schedule.after(port);
    expect(waits.map((w) => w.ms)).toEqual([FLUSH_INTERVAL_MS - 200]);
    expect(sent).toHaveLength(1);
    tick(800);
    waits[0]!.resolve();
    await Promise.all(kept);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.counters).toEqual([['delivery_cron_runs_total', 'job="a",outcome="ok"', 2]]);
  });

  it('loses only the delta of a failed send, and never throws', async () => {
    const { recorder, schedule, sent } = setup();
    recorder.inc(METRICS.cronRuns, ['a', 'ok']);
    await schedule.flush({ send: () => Promise.reject(new Error('aggregator restarting')), waitUntil: () => undefined });
    recorder.inc(METRICS.cronRuns, ['b', 'ok']);
    await schedule.flush({ send: (d) => (sent.push(d), Promise.resolve()), waitUntil: () => undefined });
    expect(sent.map((d) => d.counters)).toEqual([[['delivery_cron_runs_total', 'job="b",outcome="ok"', 1]]]);
  });
});

describe('MetricsStore', () => {
  it('sums deltas, refuses unknown or malformed series, and renders cumulative buckets', () => {
    const store = new MetricsStore();
    const a = new MetricsRecorder();
    a.observe(METRICS.dispatchAssign, [], 3);
    a.inc(METRICS.providerRequests, ['stripe', 'ok']);
    const b = new MetricsRecorder();
    b.observe(METRICS.dispatchAssign, [], 700);
    b.inc(METRICS.providerRequests, ['stripe', 'ok'], 2);
    store.merge(a.take()!);
    store.merge(b.take()!);
    store.merge({ counters: [['delivery_unknown_total', '', 1], ['delivery_provider_requests_total', 'provider="x"\nbad', 1]], histograms: [['delivery_dispatch_assign_seconds', '', [1], 1, 1]] });
    const text = store.render(0).join('\n');
    expect(text).toContain('delivery_provider_requests_total{provider="stripe",outcome="ok"} 3');
    expect(text).toContain('delivery_dispatch_assign_seconds_bucket{le="2"} 0');
    expect(text).toContain('delivery_dispatch_assign_seconds_bucket{le="5"} 1');
    expect(text).toContain('delivery_dispatch_assign_seconds_bucket{le="600"} 1');
    expect(text).toContain('delivery_dispatch_assign_seconds_bucket{le="+Inf"} 2');
    expect(text).toContain('delivery_dispatch_assign_seconds_count 2');
    expect(text).not.toContain('unknown');
    expect(text).not.toContain('bad');
    expect(store.refused).toBe(1);
    expect(text.match(/^# TYPE delivery_dispatch_assign_seconds histogram$/gm)).toHaveLength(1);
  });

  it('replaces a source’s gauges and forgets a source silent for GAUGE_TTL_MS', () => {
    const store = new MetricsStore();
    store.setGauges('s1', [['delivery_shard_open_offers', 'city="cty_a",shard="0:0"', 2]], 0);
    store.setGauges('s1', [['delivery_shard_open_offers', 'city="cty_a",shard="0:0"', 5]], 1_000);
    expect(store.render(2_000)).toContain('delivery_shard_open_offers{city="cty_a",shard="0:0"} 5');
    expect(store.render(2_000).join('\n')).not.toMatch(/} 2$/m);
    expect(store.render(1_000 + GAUGE_TTL_MS + 1).join('\n')).not.toContain('delivery_shard_open_offers');
  });
});
