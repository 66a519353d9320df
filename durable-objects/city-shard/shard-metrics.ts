import { METRICS, labelText } from '../../domain/metrics';
import type { GaugeSample } from '../../domain/metrics-store';
import { flushMetricsLater, metrics, reportGauges } from '../metrics-aggregator/port';
import { driverStatus, type ShardState } from './model';

/** A shard reports its gauges at most this often, after something happened in it. */
export const GAUGE_REPORT_MS = 10_000;

export interface ShardGauges {
  driversOnline: number;
  driversAvailable: number;
  openOffers: number;
  sockets: { drivers: number; watchers: number };
}

/** `cty_abc:3:-1@…` → city `cty_abc`, shard `3:-1`; a name that is no shard key stays whole. */
export function shardLabels(shardKey: string): [city: string, shard: string] {
  const m = /^([a-z]{3}_[0-9a-z]+):(-?\d+):(-?\d+)@/.exec(shardKey);
  return m ? [m[1]!, `${m[2]}:${m[3]}`] : ['(none)', shardKey.slice(0, 64)];
}

/**
 * A city shard's measurements (ADR 0090): fixes ingested and the age of each
 * fix relayed to watchers go to the isolate's recorder; the shard's gauges
 * are reported whole to the aggregator at most every GAUGE_REPORT_MS, on
 * the event that finds them due (never a timer of their own, so an idle
 * shard still hibernates; the aggregator drops a report after 5 minutes).
 */
export class ShardMetrics {
  private lastReport = 0;
  /** Receive time minus the fix's own time, of the newest fix since the last report. */
  private lagMs = 0;

  constructor(
    private readonly env: Pick<Env, 'METRICS_AGGREGATOR'>,
    private readonly waitUntil: (p: Promise<unknown>) => void,
  ) {}

  fixesIngested(shardKey: string, count: number, newestFixAt: string | undefined, now: number): void {
    metrics.inc(METRICS.shardFixes, shardLabels(shardKey), count);
    const at = newestFixAt ? Date.parse(newestFixAt) : NaN;
    if (Number.isFinite(at)) this.lagMs = Math.max(0, now - at);
  }

  /** A fix relayed to an order's watchers: its age then (a driver clock ahead of ours counts as 0). */
  fixRelayed(fixAt: string, now: number): void {
    const at = Date.parse(fixAt);
    if (Number.isFinite(at)) metrics.observe(METRICS.fixAge, [], Math.max(0, now - at) / 1000);
  }

  /** After an event: the recorder's flush, and the gauges when due. Never throws, never awaited. */
  after(shardKey: string, now: number, gauges: () => ShardGauges): void {
    try {
      flushMetricsLater(this.env, { waitUntil: this.waitUntil });
      if (now - this.lastReport < GAUGE_REPORT_MS) return;
      this.lastReport = now;
      const g = gauges();
      const [city, shard] = shardLabels(shardKey);
      const labels = labelText(METRICS.shardDriversOnline, [city, shard]);
      const sockets = (kind: string, n: number): GaugeSample => [METRICS.shardSockets.name, labelText(METRICS.shardSockets, [city, shard, kind]), n];
      const samples: GaugeSample[] = [
        [METRICS.shardDriversOnline.name, labels, g.driversOnline],
        [METRICS.shardDriversAvailable.name, labels, g.driversAvailable],
        [METRICS.shardOpenOffers.name, labels, g.openOffers],
        [METRICS.shardIngestLag.name, labels, this.lagMs / 1000],
        sockets('driver', g.sockets.drivers),
        sockets('watcher', g.sockets.watchers),
        // The operators' live view is a snapshot over HTTP (GET /v1/cities/{id}/live): a shard holds no ops socket.
        sockets('ops', 0),
      ];
      this.lagMs = 0;
      this.waitUntil(reportGauges(this.env, shardKey, samples).catch(() => undefined));
    } catch {
      // Measuring never fails the shard's work.
    }
  }
}

/** What the shard reports to the metrics aggregator (every GAUGE_REPORT_MS at most). */
export function gaugesOf(state: ShardState, now: number, sockets: ShardGauges['sockets']): ShardGauges {
  let online = 0;
  let available = 0;
  for (const d of state.drivers.values()) {
    const status = driverStatus(d, now, state.policy);
    if (status !== 'offline') online++;
    if (status === 'available') available++;
  }
  return { driversOnline: online, driversAvailable: available, openOffers: openOffersOf(state), sockets };
}

export function openOffersOf(state: ShardState): number {
  let open = 0;
  for (const o of state.offers.values()) if (o.status === 'pending') open++;
  return open;
}
