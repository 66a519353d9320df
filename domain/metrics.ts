/**
 * The platform's metrics: their catalog (names, types, labels, buckets) and
 * the per-isolate recorder that keeps a small delta until it is flushed to
 * the MetricsAggregator Durable Object (ADR 0090). Runtime-free: the Worker,
 * the queue consumers, the cron and the Durable Objects all record here.
 *
 * A recorder holds only what happened since its last flush; it never answers
 * a scrape, so no per-isolate value is ever presented as global.
 */

export type MetricType = 'counter' | 'histogram' | 'gauge';

export interface MetricDef {
  name: string;
  type: MetricType;
  help: string;
  labels: readonly string[];
  /** Histograms only: the upper bounds (le), ascending; +Inf is implied. */
  buckets?: readonly number[];
}

export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5, 5, 10] as const;
export const ASSIGN_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600] as const;
export const FIX_AGE_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5] as const;
export const DELIVERY_DELAY_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300] as const;

const def = (name: string, type: MetricType, help: string, labels: readonly string[] = [], buckets?: readonly number[]): MetricDef => ({
  name, type, help, labels, ...(buckets ? { buckets } : {}),
});

/** Every metric the aggregator accepts; a delta naming anything else is dropped. Names are a contract (docs/slo.md). */
export const METRICS = {
  httpRequests: def('delivery_http_requests_total', 'counter', 'HTTP requests answered, by route template, method and status.', ['route', 'method', 'status']),
  httpDuration: def('delivery_http_request_duration_seconds', 'histogram', 'Time to answer an HTTP request (handler and middleware), by route template.', ['route', 'method'], DURATION_BUCKETS),
  operationDuration: def('delivery_operation_duration_seconds', 'histogram', 'Time to answer a critical operation (create, pay_confirmation, accept, ready, pickup, deliver, tracking_read), errors included.', ['operation'], DURATION_BUCKETS),
  queueMessages: def('delivery_queue_messages_total', 'counter', 'Queue messages handled, by queue and outcome (ack, retry, dead).', ['queue', 'outcome']),
  queueBatchDuration: def('delivery_queue_batch_duration_seconds', 'histogram', 'Time to handle one queue batch.', ['queue'], DURATION_BUCKETS),
  cronRuns: def('delivery_cron_runs_total', 'counter', 'Cron sweeps run, by job and outcome (ok, error).', ['job', 'outcome']),
  cronDuration: def('delivery_cron_duration_seconds', 'histogram', 'Time one cron sweep took.', ['job'], DURATION_BUCKETS),
  dispatchAssign: def('delivery_dispatch_assign_seconds', 'histogram', 'From an order first offered to a driver committed to it.', [], ASSIGN_BUCKETS),
  fixAge: def('delivery_tracking_fix_age_seconds', 'histogram', "Age of a driver's fix when the shard relays it to the order's watchers.", [], FIX_AGE_BUCKETS),
  notificationDelay: def('delivery_notification_delay_seconds', 'histogram', 'From the event to the provider accepting the notification, by channel.', ['channel'], DELIVERY_DELAY_BUCKETS),
  webhookDelay: def('delivery_webhook_delivery_delay_seconds', 'histogram', "From the event to the merchant's receiver answering 2xx.", [], DELIVERY_DELAY_BUCKETS),
  providerRequests: def('delivery_provider_requests_total', 'counter', 'Requests to providers, by provider and outcome (ok, error).', ['provider', 'outcome']),
  shardFixes: def('delivery_shard_fixes_total', 'counter', 'Driver fixes ingested by a city shard.', ['city', 'shard']),
  shardDriversOnline: def('delivery_shard_drivers_online', 'gauge', 'Drivers with an open socket to the shard.', ['city', 'shard']),
  shardDriversAvailable: def('delivery_shard_drivers_available', 'gauge', 'Drivers available for an offer in the shard.', ['city', 'shard']),
  shardOpenOffers: def('delivery_shard_open_offers', 'gauge', 'Offers waiting for a driver answer in the shard.', ['city', 'shard']),
  shardSockets: def('delivery_shard_sockets', 'gauge', 'Open sockets of the shard by kind (driver, watcher, ops).', ['city', 'shard', 'kind']),
  shardIngestLag: def('delivery_shard_ingest_lag_seconds', 'gauge', "Age of the newest fix the shard had ingested when it reported (0 when it had none).", ['city', 'shard']),
} as const satisfies Record<string, MetricDef>;

export const METRIC_BY_NAME: ReadonlyMap<string, MetricDef> = new Map(Object.values(METRICS).map((m) => [m.name, m]));

/** A label value as the exposition format writes it inside quotes. */
export function escapeLabelValue(value: string): string {
  return /["\\\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/** `a="x",b="y"`: the label set of a series, in the metric's label order. */
export function labelText(metric: MetricDef, values: readonly string[]): string {
  let out = '';
  for (let i = 0; i < metric.labels.length; i++) out += `${i ? ',' : ''}${metric.labels[i]}="${escapeLabelValue(values[i] ?? '')}"`;
  return out;
}

/**
 * What a recorder sends: counters and histograms as increments, gauges as
 * values. Histogram `counts` are per bucket (not cumulative), the last one
 * being the +Inf overflow.
 */
export interface MetricsDelta {
  counters: [name: string, labels: string, inc: number][];
  histograms: [name: string, labels: string, counts: number[], sum: number, count: number][];
}

interface HistogramCell {
  counts: number[];
  sum: number;
  count: number;
}

const SEP = '\u0000';

export class MetricsRecorder {
  private counters = new Map<string, number>();
  private histograms = new Map<string, HistogramCell>();
  private pending = 0;

  inc(metric: MetricDef, labels: readonly string[] = [], by = 1): void {
    const key = metric.name + SEP + labelText(metric, labels);
    this.counters.set(key, (this.counters.get(key) ?? 0) + by);
    this.pending++;
  }

  observe(metric: MetricDef, labels: readonly string[], value: number): void {
    if (!Number.isFinite(value)) return;
    const buckets = metric.buckets ?? [];
    const key = metric.name + SEP + labelText(metric, labels);
    let cell = this.histograms.get(key);
    if (!cell) {
      cell = { counts: new Array<number>(buckets.length + 1).fill(0), sum: 0, count: 0 };
      this.histograms.set(key, cell);
    }
    let i = 0;
    while (i < buckets.length && value > buckets[i]!) i++;
    cell.counts[i]!++;
    cell.sum += value;
    cell.count++;
    this.pending++;
  }

  /** Observations since the last take. */
  get size(): number {
    return this.pending;
  }

  /** The delta so far, and a fresh start; null when nothing was recorded. */
  take(): MetricsDelta | null {
    if (this.pending === 0) return null;
    const delta: MetricsDelta = { counters: [], histograms: [] };
    for (const [key, inc] of this.counters) {
      const at = key.indexOf(SEP);
      delta.counters.push([key.slice(0, at), key.slice(at + 1), inc]);
    }
    for (const [key, h] of this.histograms) {
      const at = key.indexOf(SEP);
      delta.histograms.push([key.slice(0, at), key.slice(at + 1), h.counts, h.sum, h.count]);
    }
    this.counters = new Map();
    this.histograms = new Map();
    this.pending = 0;
    return delta;
  }
}

/** Flushes at most once per interval; a flush due later is scheduled on the invocation that made it due. */
export const FLUSH_INTERVAL_MS = 1_000;
/** A delta this large is flushed at once. */
export const FLUSH_MAX_OBSERVATIONS = 500;

export interface FlushPort {
  /** Sends a delta to the aggregator; a failure loses that delta only. */
  send(delta: MetricsDelta): Promise<void>;
  /** Keeps the invocation alive for the promise (ctx.waitUntil); never awaited by the caller. */
  waitUntil(promise: Promise<unknown>): void;
}

/**
 * The isolate's flush schedule: after an observation, either flush now (the
 * interval has passed, or the delta is large) or make sure one flush is
 * scheduled for when it has. Never throws and never awaits: the caller's
 * request is done before the delta leaves.
 */
export class FlushSchedule {
  private lastFlush = 0;
  private scheduled = false;

  constructor(
    private readonly recorder: MetricsRecorder,
    private readonly now: () => number = Date.now,
    private readonly wait: (ms: number) => Promise<unknown> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  after(port: FlushPort): void {
    if (this.recorder.size === 0 || this.scheduled) return;
    const due = this.lastFlush + FLUSH_INTERVAL_MS - this.now();
    if (due <= 0 || this.recorder.size >= FLUSH_MAX_OBSERVATIONS) {
      port.waitUntil(this.flush(port));
      return;
    }
    this.scheduled = true;
    port.waitUntil(this.wait(due).then(() => {
      this.scheduled = false;
      return this.flush(port);
    }));
  }

  /** Sends what there is now (tests, and a consumer's end of batch). */
  async flush(port: FlushPort): Promise<void> {
    this.lastFlush = this.now();
    const delta = this.recorder.take();
    if (!delta) return;
    try {
      await port.send(delta);
    } catch {
      // Lost: this delta's increments are missing from the totals (ADR 0090); the request never sees it.
    }
  }
}
