import { METRIC_BY_NAME, type MetricDef, type MetricsDelta } from './metrics';

/**
 * The cumulative side of the metrics (ADR 0090): what the MetricsAggregator
 * Durable Object holds. Deltas from every isolate add up here; gauges are
 * reported whole by their source (a city shard) and replaced on each report.
 * `render` writes the Prometheus text exposition format (0.0.4).
 */

export type GaugeSample = [name: string, labels: string, value: number];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/** A source that has not reported for this long is dropped (its shard went idle or away). */
export const GAUGE_TTL_MS = 5 * 60_000;

const KEY_SEP = '\u0000';
const BAD_LABELS = /\p{Cc}/u;

export class MetricsStore {
  private readonly counters = new Map<string, number>();
  private readonly histograms = new Map<string, Histogram>();
  private readonly gauges = new Map<string, { at: number; samples: GaugeSample[] }>();
  /** Label sets already checked: series repeat in every delta, the check runs once per series. */
  private readonly checked = new Set<string>();
  /** Deltas merged and refused since this store was created (the aggregator's own health). */
  merged = 0;
  refused = 0;

  merge(delta: MetricsDelta): void {
    let refused = false;
    for (const [name, labels, inc] of delta.counters ?? []) {
      const metric = METRIC_BY_NAME.get(name);
      if (metric?.type !== 'counter' || !this.valid(labels) || !(inc >= 0) || !Number.isFinite(inc)) {
        refused = true;
        continue;
      }
      const key = name + KEY_SEP + labels;
      this.counters.set(key, (this.counters.get(key) ?? 0) + inc);
    }
    for (const [name, labels, counts, sum, count] of delta.histograms ?? []) {
      const metric = METRIC_BY_NAME.get(name);
      const width = (metric?.buckets?.length ?? -1) + 1;
      if (metric?.type !== 'histogram' || !this.valid(labels) || !Array.isArray(counts) || counts.length !== width || !Number.isFinite(sum) || !(count >= 0)) {
        refused = true;
        continue;
      }
      const key = name + KEY_SEP + labels;
      let h = this.histograms.get(key);
      if (!h) {
        h = { counts: new Array<number>(width).fill(0), sum: 0, count: 0 };
        this.histograms.set(key, h);
      }
      for (let i = 0; i < width; i++) h.counts[i]! += Number(counts[i]) || 0;
      h.sum += sum;
      h.count += count;
    }
    if (refused) this.refused++;
    this.merged++;
  }

  private valid(labels: unknown): labels is string {
    if (typeof labels === 'string' && this.checked.has(labels)) return true;
    if (!validLabels(labels)) return false;
    if (this.checked.size < 100_000) this.checked.add(labels);
    return true;
  }

  /** Replaces what `source` reported before. */
  setGauges(source: string, samples: GaugeSample[], at: number): void {
    const valid = samples.filter(([name, labels, value]) => METRIC_BY_NAME.get(name)?.type === 'gauge' && validLabels(labels) && Number.isFinite(value));
    this.gauges.set(source, { at, samples: valid });
  }

  /** The exposition text of everything held, grouped by metric, each with its HELP and TYPE. */
  render(now: number): string[] {
    for (const [source, g] of this.gauges) if (now - g.at > GAUGE_TTL_MS) this.gauges.delete(source);
    const byName = new Map<string, string[]>();
    const add = (name: string, line: string) => {
      let lines = byName.get(name);
      if (!lines) byName.set(name, (lines = []));
      lines.push(line);
    };
    for (const [key, value] of this.counters) {
      const [name, labels] = split(key);
      add(name, `${name}${labels ? `{${labels}}` : ''} ${value}`);
    }
    for (const [key, h] of this.histograms) {
      const [name, labels] = split(key);
      const bounds = METRIC_BY_NAME.get(name)!.buckets!;
      const prefix = labels ? `${labels},` : '';
      let cumulative = 0;
      for (let i = 0; i < bounds.length; i++) {
        cumulative += h.counts[i]!;
        add(name, `${name}_bucket{${prefix}le="${bounds[i]}"} ${cumulative}`);
      }
      add(name, `${name}_bucket{${prefix}le="+Inf"} ${h.count}`);
      add(name, `${name}_sum${labels ? `{${labels}}` : ''} ${h.sum}`);
      add(name, `${name}_count${labels ? `{${labels}}` : ''} ${h.count}`);
    }
    for (const g of this.gauges.values()) for (const [name, labels, value] of g.samples) add(name, `${name}${labels ? `{${labels}}` : ''} ${value}`);
    const out: string[] = [];
    for (const [name, lines] of [...byName].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const metric = METRIC_BY_NAME.get(name)!;
      out.push(...header(metric), ...lines);
    }
    return out;
  }
}

export function header(metric: MetricDef): string[] {
  return [`# HELP ${metric.name} ${metric.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${metric.name} ${metric.type}`];
}

function split(key: string): [string, string] {
  const at = key.indexOf(KEY_SEP);
  return [key.slice(0, at), key.slice(at + 1)];
}

/** A label set as `labelText` writes it: `k="v",…` with values escaped, no raw control characters. */
function validLabels(labels: unknown): labels is string {
  return typeof labels === 'string' && labels.length <= 1_000 && !BAD_LABELS.test(labels) && /^(?:[a-z_]+="(?:[^"\\]|\\.)*"(?:,|$))*$/.test(labels);
}
