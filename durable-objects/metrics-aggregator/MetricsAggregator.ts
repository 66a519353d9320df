import { DurableObject } from 'cloudflare:workers';
import type { MetricsDelta } from '../../domain/metrics';
import { MetricsStore, type GaugeSample } from '../../domain/metrics-store';

/**
 * The one place the fleet's metrics add up (ADR 0090). Every isolate (the
 * Worker's, the queue consumers', the city shards') keeps a small delta and
 * sends it here at most once a second with `merge`; city shards replace their
 * gauges with `setGauges`; GET /metrics reads `exposition`.
 *
 * Totals are held in memory: a restart of this object (deploy, crash, idle
 * eviction) starts every counter and histogram at zero again, which
 * Prometheus reads as a counter reset (rate() and increase() stay right).
 * `delivery_metrics_aggregator_start_time_seconds` tells when it happened.
 * Nothing is persisted on purpose: a restore from a checkpoint older than
 * the last scrape would go backwards by less than the total, which
 * Prometheus would misread as a reset and count the whole total again.
 */
export class MetricsAggregator extends DurableObject<Env> {
  private readonly store = new MetricsStore();
  private readonly startedAt = Date.now();

  merge(delta: MetricsDelta): void {
    this.store.merge(delta);
  }

  setGauges(source: string, samples: GaugeSample[]): void {
    this.store.setGauges(source, samples, Date.now());
  }

  /** The exposition lines of every metric held, and the aggregator's own. */
  exposition(): string[] {
    return [
      ...this.store.render(Date.now()),
      '# HELP delivery_metrics_aggregator_start_time_seconds When the metrics aggregator (re)started: counters and histograms count from then.',
      '# TYPE delivery_metrics_aggregator_start_time_seconds gauge',
      `delivery_metrics_aggregator_start_time_seconds ${Math.floor(this.startedAt / 1000)}`,
      '# HELP delivery_metrics_deltas_total Isolate deltas merged by the aggregator (refused: carried an unknown or malformed series).',
      '# TYPE delivery_metrics_deltas_total counter',
      `delivery_metrics_deltas_total{outcome="merged"} ${this.store.merged}`,
      `delivery_metrics_deltas_total{outcome="refused"} ${this.store.refused}`,
    ];
  }
}
