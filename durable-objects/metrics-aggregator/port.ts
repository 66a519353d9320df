import { FlushSchedule, MetricsRecorder, type FlushPort, type MetricsDelta } from '../../domain/metrics';
import type { GaugeSample } from '../../domain/metrics-store';

/**
 * This isolate's recorder and its flush schedule (ADR 0090). Module state on
 * purpose: one per isolate, shared by every request, batch and object the
 * isolate runs; it only ever holds the delta since its last flush.
 */
export const metrics = new MetricsRecorder();
const schedule = new FlushSchedule(metrics);

/** The aggregator's one object (a fixed name: one series set, no merge at scrape). */
export const AGGREGATOR_NAME = 'global';

type AggregatorEnv = Pick<Env, 'METRICS_AGGREGATOR'>;

export const aggregatorOf = (env: AggregatorEnv) => env.METRICS_AGGREGATOR.get(env.METRICS_AGGREGATOR.idFromName(AGGREGATOR_NAME));

function portOf(env: AggregatorEnv, waitUntil: (p: Promise<unknown>) => void): FlushPort {
  return { send: (delta: MetricsDelta) => aggregatorOf(env).merge(delta), waitUntil };
}

/** After recording: flush now or later on this invocation, never awaited by the caller. */
export function flushMetricsLater(env: AggregatorEnv, ctx: { waitUntil(p: Promise<unknown>): void }): void {
  try {
    schedule.after(portOf(env, (p) => ctx.waitUntil(p)));
  } catch {
    // A missing binding or context never fails what was measured.
  }
}

/** Sends this isolate's delta now (the end of a queue batch or cron run, and tests). */
export function flushMetricsNow(env: AggregatorEnv): Promise<void> {
  return schedule.flush(portOf(env, () => {}));
}

/** A shard's gauges, replacing its previous report. */
export function reportGauges(env: AggregatorEnv, source: string, samples: GaugeSample[]): Promise<void> {
  return aggregatorOf(env).setGauges(source, samples);
}
