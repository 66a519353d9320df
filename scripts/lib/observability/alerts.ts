/**
 * Alerts that are not error-budget burns: what an operator must act on even
 * while every SLO holds (stuck orders, dead letters, a stuck outbox, a lagging
 * shard, a failing cron). Each comes with its promtool cases: input series and
 * whether the alert must fire at the evaluation time (ops/prometheus/tests/).
 */

export interface PromtoolCase {
  /** Series as Prometheus stores them, and their values in promtool's notation ('0+10x60'). */
  series: { series: string; values: string }[];
  /** Minutes after the start. */
  evalMinutes: number;
  /** Labels of each alert expected to fire (alertname and the rule's labels are added); [] = must not fire. */
  firing: Record<string, string>[];
}

export interface OperationalAlert {
  alert: string;
  expr: string;
  for: string;
  severity: 'page' | 'ticket';
  summary: string;
  runbook: string;
  cases: PromtoolCase[];
}

const scrape = { job: 'delivery', instance: 'local' };
const labels = (extra: Record<string, string> = {}) =>
  `{${Object.entries({ ...scrape, ...extra })
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;
const gauge = (name: string, values: string, extra: Record<string, string> = {}) => ({ series: `${name}${labels(extra)}`, values });

export const OPERATIONAL_ALERTS: readonly OperationalAlert[] = [
  {
    alert: 'DeliveryMetricsScrapeFailing',
    expr: 'up{job="delivery"} == 0',
    for: '2m',
    severity: 'page',
    summary: 'Prometheus cannot scrape /metrics: the platform is down, or the scrape token is refused',
    runbook: 'alert-deliverymetricsscrapefailing',
    cases: [
      { series: [gauge('up', '1x5 0x10')], evalMinutes: 12, firing: [scrape] },
      { series: [gauge('up', '1x5 0x1 1x10')], evalMinutes: 12, firing: [] },
    ],
  },
  {
    alert: 'DeliveryOrdersStuckAwaitingMerchant',
    // The unaccepted-orders sweep cancels at 900 s (the default deadline): 20 minutes means it is not running or failing.
    expr: 'max(delivery_orders_oldest_awaiting_merchant_seconds) > 1200',
    for: '5m',
    severity: 'page',
    summary: 'An order has waited more than 20 minutes for its merchant: the unaccepted-orders sweep is not cancelling it',
    runbook: 'alert-deliveryordersstuckawaitingmerchant',
    cases: [
      { series: [gauge('delivery_orders_oldest_awaiting_merchant_seconds', '1000+60x30')], evalMinutes: 20, firing: [{}] },
      // Orders accepted or cancelled by the sweep before 15 minutes: the age drops back.
      { series: [gauge('delivery_orders_oldest_awaiting_merchant_seconds', '0+60x15 0+60x15')], evalMinutes: 30, firing: [] },
    ],
  },
  {
    alert: 'DeliveryDeadLetters',
    expr: 'sum(increase(delivery_queue_messages_total{outcome="dead"}[15m])) > 0 or max(delivery_outbox_unconsumed{state="parked"}) > 0',
    for: '0m',
    severity: 'ticket',
    summary: 'Messages were given up and parked as dead letters: they wait for a fix and a replay',
    runbook: 'alert-deliverydeadletters',
    cases: [
      {
        series: [gauge('delivery_queue_messages_total', '0x10 1x10', { queue: 'delivery-events', outcome: 'dead' }), gauge('delivery_outbox_unconsumed', '0x20', { state: 'parked' })],
        evalMinutes: 15,
        firing: [{}],
      },
      {
        series: [gauge('delivery_queue_messages_total', '0x20', { queue: 'delivery-events', outcome: 'dead' }), gauge('delivery_outbox_unconsumed', '0x10 2x10', { state: 'parked' })],
        evalMinutes: 15,
        firing: [{}],
      },
      {
        series: [gauge('delivery_queue_messages_total', '0+50x30', { queue: 'delivery-events', outcome: 'ack' }), gauge('delivery_queue_messages_total', '0x30', { queue: 'delivery-events', outcome: 'dead' }), gauge('delivery_outbox_unconsumed', '0x30', { state: 'parked' })],
        evalMinutes: 25,
        firing: [],
      },
    ],
  },
  {
    alert: 'DeliveryOutboxStuck',
    expr: 'max(delivery_outbox_oldest_pending_seconds) > 300',
    for: '5m',
    severity: 'page',
    summary: 'Outbox events are not published for more than 5 minutes: notifications, webhooks and dispatch wait',
    runbook: 'alert-deliveryoutboxstuck',
    cases: [
      { series: [gauge('delivery_outbox_oldest_pending_seconds', '0x5 60+60x20')], evalMinutes: 20, firing: [{}] },
      { series: [gauge('delivery_outbox_oldest_pending_seconds', '0 2 1 0 3 1x20')], evalMinutes: 20, firing: [] },
    ],
  },
  {
    alert: 'DeliveryOutboxUnconsumed',
    expr: 'max(delivery_outbox_unconsumed{state="overdue"}) > 0',
    for: '5m',
    severity: 'ticket',
    summary: 'Published outbox events were not acknowledged in time and the redelivery sweep cannot clear them',
    runbook: 'alert-deliveryoutboxunconsumed',
    cases: [
      { series: [gauge('delivery_outbox_unconsumed', '0x5 4x15', { state: 'overdue' })], evalMinutes: 15, firing: [{}] },
      // The sweep republishes them within a minute or two.
      { series: [gauge('delivery_outbox_unconsumed', '0x5 4 3 0x15', { state: 'overdue' })], evalMinutes: 15, firing: [] },
    ],
  },
  {
    alert: 'DeliveryShardIngestLag',
    // The gauge is the age of the newest fix a shard took in (phone clock to receipt): up to the app's 2 s between fixes plus the network.
    expr: 'max by (city, shard) (delivery_shard_ingest_lag_seconds) > 5',
    for: '5m',
    severity: 'page',
    summary: 'A city shard takes in driver fixes more than 5 s after they were taken: live maps and dispatch run on stale positions',
    runbook: 'alert-deliveryshardingestlag',
    cases: [
      {
        series: [
          gauge('delivery_shard_ingest_lag_seconds', '0.1x5 8x10', { city: 'paris', shard: 'paris' }),
          gauge('delivery_shard_ingest_lag_seconds', '0.1x15', { city: 'lyon', shard: 'lyon' }),
        ],
        evalMinutes: 12,
        firing: [{ city: 'paris', shard: 'paris' }],
      },
      // A burst (a phone flushing fixes held while offline) that passes within minutes.
      { series: [gauge('delivery_shard_ingest_lag_seconds', '0.1x5 30 12 8 0.2x10', { city: 'paris', shard: 'paris' })], evalMinutes: 12, firing: [] },
    ],
  },
  {
    alert: 'DeliveryPaymentsAwaitingReconciliation',
    expr: 'max(delivery_payments_awaiting_reconciliation) > 0',
    for: '10m',
    severity: 'ticket',
    summary: 'Unpaid orders past the payment deadline are not being reconciled with Stripe',
    runbook: 'alert-deliverypaymentsawaitingreconciliation',
    cases: [
      { series: [gauge('delivery_payments_awaiting_reconciliation', '0x5 3x20')], evalMinutes: 20, firing: [{}] },
      // The sweep clears them within a minute or two.
      { series: [gauge('delivery_payments_awaiting_reconciliation', '0x5 3 1 0x20')], evalMinutes: 20, firing: [] },
    ],
  },
  {
    alert: 'DeliveryRefundsStuck',
    expr: 'max(delivery_refunds_oldest_pending_seconds) > 3600',
    for: '10m',
    severity: 'ticket',
    summary: 'A refund has waited more than an hour for the provider to confirm it',
    runbook: 'alert-deliveryrefundsstuck',
    cases: [
      { series: [gauge('delivery_refunds_oldest_pending_seconds', '3000+60x30')], evalMinutes: 25, firing: [{}] },
      { series: [gauge('delivery_refunds_oldest_pending_seconds', '0+60x10 0x20')], evalMinutes: 25, firing: [] },
    ],
  },
  {
    alert: 'DeliveryCronFailing',
    // The metric's own `job` label is stored as `exported_job`: the scrape's `job` wins (honor_labels: false).
    expr: 'sum by (exported_job) (increase(delivery_cron_runs_total{outcome="error"}[10m])) >= 3',
    for: '0m',
    severity: 'ticket',
    summary: 'A cron job failed three times in ten minutes',
    runbook: 'alert-deliverycronfailing',
    cases: [
      {
        series: [
          gauge('delivery_cron_runs_total', '0+1x20', { exported_job: 'outbox_redelivery', outcome: 'error' }),
          gauge('delivery_cron_runs_total', '0+1x20', { exported_job: 'payment_reconciliation', outcome: 'ok' }),
        ],
        evalMinutes: 15,
        firing: [{ exported_job: 'outbox_redelivery' }],
      },
      { series: [gauge('delivery_cron_runs_total', '0x10 1x10', { exported_job: 'outbox_redelivery', outcome: 'error' })], evalMinutes: 15, firing: [] },
    ],
  },
  {
    alert: 'DeliveryProviderErrors',
    expr: 'sum by (provider) (rate(delivery_provider_requests_total{outcome="error"}[10m])) / sum by (provider) (rate(delivery_provider_requests_total[10m])) > 0.2',
    for: '10m',
    severity: 'ticket',
    summary: 'More than a fifth of the calls to a provider fail: its messages queue up for retries',
    runbook: 'alert-deliveryprovidererrors',
    cases: [
      {
        series: [
          gauge('delivery_provider_requests_total', '0+5x40', { provider: 'twilio', outcome: 'error' }),
          gauge('delivery_provider_requests_total', '0+5x40', { provider: 'twilio', outcome: 'ok' }),
          gauge('delivery_provider_requests_total', '0+10x40', { provider: 'stripe', outcome: 'ok' }),
        ],
        evalMinutes: 30,
        firing: [{ provider: 'twilio' }],
      },
      {
        series: [gauge('delivery_provider_requests_total', '0+1x40', { provider: 'twilio', outcome: 'error' }), gauge('delivery_provider_requests_total', '0+20x40', { provider: 'twilio', outcome: 'ok' })],
        evalMinutes: 30,
        firing: [],
      },
    ],
  },
];
