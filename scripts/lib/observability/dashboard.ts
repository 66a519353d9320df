/**
 * The Grafana overview dashboard (ops/grafana/dashboards/delivery-overview.json)
 * as data: one row per concern, each panel one or more PromQL targets over the
 * contract's metric names and the recording rules of ops/prometheus/rules/.
 * Written by `npx tsx scripts/prometheus-rules.ts` with the rules; the
 * observability test sends every target to a real Prometheus (ADR 0094).
 */

export const DATASOURCE_UID = 'delivery-prometheus';
export const DASHBOARD_FILE = 'ops/grafana/dashboards/delivery-overview.json';

interface PanelSpec {
  title: string;
  kind: 'timeseries' | 'stat';
  unit: string;
  targets: { expr: string; legend: string }[];
  description?: string;
}

const RI = '$__rate_interval';
const USER = 'route!~"/metrics|/healthz|/readyz"';
const q = (histogram: string, quantile: number, by = '') =>
  `histogram_quantile(${quantile}, sum by (${by ? `${by}, ` : ''}le) (rate(${histogram}_bucket[${RI}])))`;

export const ROWS: { title: string; panels: PanelSpec[] }[] = [
  {
    title: 'SLO burn',
    panels: [
      {
        title: 'Error budget burn rate (1 h)',
        kind: 'timeseries',
        unit: 'none',
        description: '1 = the budget lasts exactly 30 days; 14.4 over an hour pages (docs/slo.md).',
        targets: [{ expr: 'slo:sli_error:ratio_rate1h / on (slo) group_left () (1 - slo:objective:ratio)', legend: '{{slo}} {{operation}}{{channel}}' }],
      },
      {
        title: 'Error budget burn rate (3 d)',
        kind: 'timeseries',
        unit: 'none',
        targets: [{ expr: 'slo:sli_error:ratio_rate3d / on (slo) group_left () (1 - slo:objective:ratio)', legend: '{{slo}} {{operation}}{{channel}}' }],
      },
      {
        title: 'API availability (30 d)',
        kind: 'stat',
        unit: 'percentunit',
        targets: [{ expr: `1 - (sum(increase(delivery_http_requests_total{status=~"5..",${USER}}[30d])) or vector(0)) / sum(increase(delivery_http_requests_total{${USER}}[30d]))`, legend: 'availability' }],
      },
      {
        title: 'Alerts firing',
        kind: 'stat',
        unit: 'none',
        targets: [{ expr: 'count by (severity) (ALERTS{alertstate="firing", alertname=~"Delivery.*"})', legend: '{{severity}}' }],
      },
    ],
  },
  {
    title: 'Traffic',
    panels: [
      { title: 'Requests per second', kind: 'timeseries', unit: 'reqps', targets: [{ expr: `sum(rate(delivery_http_requests_total{${USER}}[${RI}]))`, legend: 'all' }] },
      { title: 'Requests per second by route (top 10)', kind: 'timeseries', unit: 'reqps', targets: [{ expr: `topk(10, sum by (route, method) (rate(delivery_http_requests_total[${RI}])))`, legend: '{{method}} {{route}}' }] },
      { title: 'Open orders by status', kind: 'timeseries', unit: 'none', targets: [{ expr: 'sum by (status) (delivery_orders_open)', legend: '{{status}}' }] },
    ],
  },
  {
    title: 'Errors',
    panels: [
      {
        title: 'Answers by status class',
        kind: 'timeseries',
        unit: 'reqps',
        targets: [{ expr: `sum by (class) (label_replace(rate(delivery_http_requests_total{${USER}}[${RI}]), "class", "\${1}xx", "status", "(.).."))`, legend: '{{class}}' }],
      },
      { title: '5xx by route', kind: 'timeseries', unit: 'reqps', targets: [{ expr: `sum by (route, status) (rate(delivery_http_requests_total{status=~"5.."}[${RI}]))`, legend: '{{route}} {{status}}' }] },
      { title: 'Error ratio (availability SLI, 5 m)', kind: 'timeseries', unit: 'percentunit', targets: [{ expr: 'slo:sli_error:ratio_rate5m{slo="availability"}', legend: '5xx share' }] },
    ],
  },
  {
    title: 'Latency',
    panels: [
      { title: 'Critical operations p99 (objective 300 ms)', kind: 'timeseries', unit: 's', targets: [{ expr: q('delivery_operation_duration_seconds', 0.99, 'operation'), legend: '{{operation}}' }] },
      {
        title: 'All requests p50 / p99',
        kind: 'timeseries',
        unit: 's',
        targets: [
          { expr: q('delivery_http_request_duration_seconds', 0.5), legend: 'p50' },
          { expr: q('delivery_http_request_duration_seconds', 0.99), legend: 'p99' },
        ],
      },
      { title: 'Slowest routes p99 (top 10)', kind: 'timeseries', unit: 's', targets: [{ expr: `topk(10, ${q('delivery_http_request_duration_seconds', 0.99, 'route')})`, legend: '{{route}}' }] },
    ],
  },
  {
    title: 'Dispatch',
    panels: [
      {
        title: 'Time to assign a driver p50 / p90 / p99',
        kind: 'timeseries',
        unit: 's',
        targets: [0.5, 0.9, 0.99].map((p) => ({ expr: q('delivery_dispatch_assign_seconds', p), legend: `p${p * 100}` })),
      },
      {
        title: 'Orders awaiting their merchant',
        kind: 'timeseries',
        unit: 'none',
        targets: [
          { expr: 'sum by (stage) (delivery_orders_awaiting_merchant)', legend: '{{stage}}' },
          { expr: 'max(delivery_orders_oldest_awaiting_merchant_seconds) / 60', legend: 'oldest (min)' },
        ],
      },
      { title: 'Open offers by city', kind: 'timeseries', unit: 'none', targets: [{ expr: 'sum by (city) (delivery_shard_open_offers)', legend: '{{city}}' }] },
    ],
  },
  {
    title: 'Live tracking',
    panels: [
      { title: 'Fix age at the watchers p50 / p99', kind: 'timeseries', unit: 's', targets: [0.5, 0.99].map((p) => ({ expr: q('delivery_tracking_fix_age_seconds', p), legend: `p${p * 100}` })) },
      {
        title: 'Drivers online / available by city',
        kind: 'timeseries',
        unit: 'none',
        targets: [
          { expr: 'sum by (city) (delivery_shard_drivers_online)', legend: '{{city}} online' },
          { expr: 'sum by (city) (delivery_shard_drivers_available)', legend: '{{city}} available' },
        ],
      },
      { title: 'Fixes ingested per second by shard', kind: 'timeseries', unit: 'ops', targets: [{ expr: `sum by (city, shard) (rate(delivery_shard_fixes_total[${RI}]))`, legend: '{{shard}}' }] },
      { title: 'Ingest lag by shard', kind: 'timeseries', unit: 's', targets: [{ expr: 'max by (city, shard) (delivery_shard_ingest_lag_seconds)', legend: '{{shard}}' }] },
      { title: 'Open sockets by kind', kind: 'timeseries', unit: 'none', targets: [{ expr: 'sum by (kind) (delivery_shard_sockets)', legend: '{{kind}}' }] },
    ],
  },
  {
    title: 'Queues',
    panels: [
      { title: 'Queue messages by outcome', kind: 'timeseries', unit: 'ops', targets: [{ expr: `sum by (queue, outcome) (rate(delivery_queue_messages_total[${RI}]))`, legend: '{{queue}} {{outcome}}' }] },
      { title: 'Queue batch p99', kind: 'timeseries', unit: 's', targets: [{ expr: q('delivery_queue_batch_duration_seconds', 0.99, 'queue'), legend: '{{queue}}' }] },
      {
        title: 'Outbox',
        kind: 'timeseries',
        unit: 's',
        targets: [
          { expr: 'max(delivery_outbox_oldest_pending_seconds)', legend: 'oldest unpublished' },
          { expr: 'max(delivery_outbox_oldest_unconsumed_seconds)', legend: 'oldest unconsumed' },
        ],
      },
      {
        title: 'Outbox events by state',
        kind: 'timeseries',
        unit: 'none',
        targets: [
          { expr: 'sum(delivery_outbox_pending)', legend: 'pending' },
          { expr: 'sum by (state) (delivery_outbox_unconsumed)', legend: '{{state}}' },
        ],
      },
      // The metric's `job` label is stored as `exported_job` (the scrape's own `job` wins).
      { title: 'Cron runs by outcome', kind: 'timeseries', unit: 'ops', targets: [{ expr: `sum by (exported_job, outcome) (rate(delivery_cron_runs_total[${RI}]))`, legend: '{{exported_job}} {{outcome}}' }] },
    ],
  },
  {
    title: 'Providers',
    panels: [
      { title: 'Provider calls by outcome', kind: 'timeseries', unit: 'ops', targets: [{ expr: `sum by (provider, outcome) (rate(delivery_provider_requests_total[${RI}]))`, legend: '{{provider}} {{outcome}}' }] },
      { title: 'Notification delay p99 by channel', kind: 'timeseries', unit: 's', targets: [{ expr: q('delivery_notification_delay_seconds', 0.99, 'channel'), legend: '{{channel}}' }] },
      { title: 'Webhook delivery delay p99', kind: 'timeseries', unit: 's', targets: [{ expr: q('delivery_webhook_delivery_delay_seconds', 0.99), legend: 'p99' }] },
      {
        title: 'Payments and refunds waiting',
        kind: 'timeseries',
        unit: 'none',
        targets: [
          { expr: 'max(delivery_payments_awaiting_reconciliation)', legend: 'payments awaiting reconciliation' },
          { expr: 'max(delivery_refunds_pending)', legend: 'refunds pending' },
        ],
      },
    ],
  },
];

/** The dashboard JSON Grafana's file provisioning loads. */
export function dashboard(): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of ROWS) {
    panels.push({ type: 'row', id: id++, title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    const width = Math.max(6, Math.floor(24 / Math.min(row.panels.length, 4)));
    row.panels.forEach((p, i) => {
      const x = (i * width) % 24;
      if (i > 0 && x === 0) y += 8;
      panels.push({
        type: p.kind,
        id: id++,
        title: p.title,
        ...(p.description ? { description: p.description } : {}),
        datasource: { type: 'prometheus', uid: DATASOURCE_UID },
        gridPos: { h: 8, w: width, x, y },
        fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
        options: p.kind === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'] } } : { legend: { displayMode: 'list', placement: 'bottom' } },
        targets: p.targets.map((t, j) => ({ refId: String.fromCharCode(65 + j), datasource: { type: 'prometheus', uid: DATASOURCE_UID }, expr: t.expr, legendFormat: t.legend })),
      });
    });
    y += 8;
  }
  return {
    uid: 'delivery-overview',
    title: 'Delivery platform overview',
    description: 'SLO burn, traffic, errors, latency, dispatch, live tracking, queues and providers (docs/slo.md, docs/runbook.md).',
    tags: ['delivery', 'slo'],
    timezone: 'utc',
    schemaVersion: 39,
    version: 1,
    editable: true,
    refresh: '10s',
    time: { from: 'now-1h', to: 'now' },
    panels,
  };
}

/** Every target of the dashboard, as Prometheus would receive it (Grafana's $__rate_interval filled in). */
export function dashboardQueries(json: Record<string, unknown>, rateInterval = '1m'): { panel: string; expr: string }[] {
  const out: { panel: string; expr: string }[] = [];
  for (const panel of json.panels as { title: string; targets?: { expr: string }[] }[]) {
    for (const t of panel.targets ?? []) out.push({ panel: panel.title, expr: t.expr.replaceAll('$__rate_interval', rateInterval) });
  }
  return out;
}
