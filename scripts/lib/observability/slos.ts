/**
 * The service level objectives (docs/slo.md) as data: each SLI is an error
 * ratio over a window, from the metric names of the observability contract.
 * scripts/prometheus-rules.ts turns them into the recording rules and the
 * multi-window, multi-burn-rate alerts of ops/prometheus/rules/ (ADR 0093).
 */

export interface Slo {
  /** Value of the `slo` label on every recorded series and alert. */
  name: string;
  /** Alert name stem: Delivery<Stem>FastBurn / Delivery<Stem>SlowBurn. */
  stem: string;
  /** Share of good events (or good time) over 30 days. */
  objective: number;
  /** What a reader of the alert needs to know, one sentence. */
  summary: string;
  /** PromQL of the error ratio over the window `$w` (bad / all); labels it keeps (e.g. operation) stay on the alert. */
  errorRatio: string;
  /** Anchor in docs/runbook.md. */
  runbook: string;
}

/** Routes that are probes or scrapes, not users: left out of the availability SLI. */
const NOT_USER_TRAFFIC = 'route!~"/metrics|/healthz|/readyz"';

/** Share of a histogram's observations above `le` (both spellings: Prometheus 3 writes integer bounds as "120.0"). */
function slowerThan(histogram: string, le: string, by = ''): string {
  const group = by ? ` by (${by})` : '';
  const leMatch = le.includes('.') ? `le="${le}"` : `le=~"${le}|${le}.0"`;
  return (
    `(sum${group} (rate(${histogram}_count[$w])) - sum${group} (rate(${histogram}_bucket{${leMatch}}[$w])))` +
    ` / sum${group} (rate(${histogram}_count[$w]))`
  );
}

export const SLOS: readonly Slo[] = [
  {
    name: 'availability',
    stem: 'Availability',
    objective: 0.999,
    summary: 'API answers 5xx: the availability error budget (0.1% of requests in 30 days) is burning',
    // `or vector(0)`: without a single 5xx series the numerator is empty, and so would the ratio be.
    errorRatio: `(sum(rate(delivery_http_requests_total{status=~"5..",${NOT_USER_TRAFFIC}}[$w])) or vector(0)) / sum(rate(delivery_http_requests_total{${NOT_USER_TRAFFIC}}[$w]))`,
    runbook: 'alert-availability-budget-burn',
  },
  {
    name: 'latency',
    stem: 'OperationLatency',
    objective: 0.99,
    summary: 'A critical operation answers slower than 300 ms for more than 1% of its requests (p99 over 300 ms)',
    errorRatio: slowerThan('delivery_operation_duration_seconds', '0.3', 'operation'),
    runbook: 'alert-operation-latency-budget-burn',
  },
  {
    name: 'dispatch',
    stem: 'DispatchAssign',
    objective: 0.99,
    summary: 'Orders wait more than 2 minutes from the first offer to a driver committed',
    errorRatio: slowerThan('delivery_dispatch_assign_seconds', '120'),
    runbook: 'alert-dispatch-assign-budget-burn',
  },
  {
    name: 'tracking_freshness',
    stem: 'TrackingFreshness',
    objective: 0.99,
    // The driver app takes a fix every 2 s and sends them every 4 s (domain/live/driver-channel.ts): a fix leaves
    // the phone up to 4 s old, so 5 s leaves a second for the network and the shard.
    summary: 'Driver fixes reach the watchers more than 5 s after they were taken',
    errorRatio: slowerThan('delivery_tracking_fix_age_seconds', '5'),
    runbook: 'alert-tracking-freshness-budget-burn',
  },
  {
    name: 'notification_delay',
    stem: 'NotificationDelay',
    objective: 0.99,
    summary: 'Notifications (SMS, email, push) reach their provider more than 30 s after their event',
    errorRatio: slowerThan('delivery_notification_delay_seconds', '30', 'channel'),
    runbook: 'alert-notification-delay-budget-burn',
  },
  {
    name: 'webhook_delay',
    stem: 'WebhookDelay',
    objective: 0.99,
    summary: 'Merchant webhooks are answered 2xx more than 60 s after their event',
    errorRatio: slowerThan('delivery_webhook_delivery_delay_seconds', '60'),
    runbook: 'alert-webhook-delay-budget-burn',
  },
  {
    name: 'outbox_age',
    stem: 'OutboxAge',
    objective: 0.999,
    summary: 'The oldest unpublished outbox event is older than 60 s for too much of the time',
    // A time-based SLI: the share of evaluations at which the outbox was late (recorded as 0/1 below).
    errorRatio: 'avg_over_time(slo:outbox_late:bool[$w])',
    runbook: 'alert-outbox-age-budget-burn',
  },
];

/** Multi-window, multi-burn-rate pairs (Google SRE workbook, chapter 5, table 5-8). */
export const BURN_WINDOWS = {
  fast: [
    { long: '1h', short: '5m', burn: 14.4 },
    { long: '6h', short: '30m', burn: 6 },
  ],
  slow: [
    { long: '1d', short: '2h', burn: 3 },
    { long: '3d', short: '6h', burn: 1 },
  ],
} as const;

/** Every window a burn-rate alert reads, recorded once each. */
export const RECORDED_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;
