/**
 * Writes ops/prometheus/rules/*.yml and their promtool tests from the SLOs
 * (slos.ts) and the operational alerts (alerts.ts), and the Grafana
 * dashboard (dashboard.ts). The files are committed;
 * `npx tsx scripts/prometheus-rules.ts` rewrites them and the observability
 * test fails when they differ from what this writes.
 */
import { OPERATIONAL_ALERTS, type PromtoolCase } from './alerts';
import { DASHBOARD_FILE, dashboard } from './dashboard';
import { BURN_WINDOWS, RECORDED_WINDOWS, SLOS, type Slo } from './slos';

export const RULES_DIR = 'ops/prometheus/rules';
export const TESTS_DIR = 'ops/prometheus/tests';

type Yaml = string | number | boolean | Yaml[] | { [key: string]: Yaml };

/** A small YAML writer: block mappings and sequences, every string double-quoted (JSON escapes are valid YAML). */
export function toYaml(value: Yaml, indent = 0): string {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return value
      .map((item) => {
        const body = toYaml(item, indent + 2);
        return typeof item === 'object' ? `${pad}- ${body.trimStart()}` : `${pad}- ${body}`;
      })
      .join('\n');
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    return entries
      .map(([k, v]) => {
        if (typeof v === 'object' && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0)) return `${pad}${k}:\n${toYaml(v, indent + 2)}`;
        return `${pad}${k}: ${toYaml(v, indent + 2)}`;
      })
      .join('\n');
  }
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

const budget = (slo: Slo) => Number((1 - slo.objective).toPrecision(6));
const recorded = (window: string) => `slo:sli_error:ratio_rate${window}`;
const runbookUrl = (anchor: string) => `docs/runbook.md#${anchor}`;
const fastName = (slo: Slo) => `Delivery${slo.stem}FastBurn`;
const slowName = (slo: Slo) => `Delivery${slo.stem}SlowBurn`;

function burnExpr(slo: Slo, pairs: readonly { long: string; short: string; burn: number }[]): string {
  const threshold = (burn: number) => Number((burn * budget(slo)).toPrecision(6));
  const sel = `{slo="${slo.name}"}`;
  return pairs
    .map((p) => `(${recorded(p.long)}${sel} > ${threshold(p.burn)} and ${recorded(p.short)}${sel} > ${threshold(p.burn)})`)
    .join('\nor\n');
}

const annotations = (summary: string, anchor: string) => ({ summary, runbook_url: runbookUrl(anchor) });

function sloAlerts(slo: Slo): Yaml[] {
  const fastHours = BURN_WINDOWS.fast.map((p) => `${p.burn}x over ${p.long} and ${p.short}`).join(', or ');
  const slowHours = BURN_WINDOWS.slow.map((p) => `${p.burn}x over ${p.long} and ${p.short}`).join(', or ');
  return [
    {
      alert: fastName(slo),
      expr: burnExpr(slo, BURN_WINDOWS.fast),
      for: '2m',
      labels: { severity: 'page', slo: slo.name },
      annotations: { ...annotations(slo.summary, slo.runbook), description: `Error budget of ${slo.objective * 100}% burning ${fastHours}: at this pace 2-5% of the 30-day budget goes in an hour.` },
    },
    {
      alert: slowName(slo),
      expr: burnExpr(slo, BURN_WINDOWS.slow),
      for: '15m',
      labels: { severity: 'ticket', slo: slo.name },
      annotations: { ...annotations(slo.summary, slo.runbook), description: `Error budget of ${slo.objective * 100}% burning ${slowHours}: the budget runs out before the 30 days do.` },
    },
  ];
}

export function sloRules(): Yaml {
  const recording: Yaml[] = [
    // The outbox SLI is time-based: 1 at every evaluation the oldest unpublished event is over 60 s old.
    { record: 'slo:outbox_late:bool', expr: 'max(delivery_outbox_oldest_pending_seconds) > bool 60' },
    ...SLOS.flatMap((slo) => RECORDED_WINDOWS.map((w) => ({ record: recorded(w), expr: slo.errorRatio.replaceAll('$w', w), labels: { slo: slo.name } }))),
    ...SLOS.map((slo) => ({ record: 'slo:objective:ratio', expr: `vector(${slo.objective})`, labels: { slo: slo.name } })),
  ];
  const dashboards: Yaml[] = [
    { record: 'route_method:delivery_http_requests:rate5m', expr: 'sum by (route, method) (rate(delivery_http_requests_total[5m]))' },
    { record: 'operation:delivery_operation_duration_seconds:p99_5m', expr: 'histogram_quantile(0.99, sum by (operation, le) (rate(delivery_operation_duration_seconds_bucket[5m])))' },
    { record: 'route:delivery_http_request_duration_seconds:p99_5m', expr: 'histogram_quantile(0.99, sum by (route, le) (rate(delivery_http_request_duration_seconds_bucket[5m])))' },
  ];
  return {
    groups: [
      { name: 'delivery-slo-recording', interval: '1m', rules: [...recording, ...dashboards] },
      { name: 'delivery-slo-alerts', rules: SLOS.flatMap(sloAlerts) },
    ],
  };
}

export function operationalRules(): Yaml {
  return {
    groups: [
      {
        name: 'delivery-operations',
        rules: OPERATIONAL_ALERTS.map((a) => ({
          alert: a.alert,
          expr: a.expr,
          ...(a.for === '0m' ? {} : { for: a.for }),
          labels: { severity: a.severity },
          annotations: annotations(a.summary, a.runbook),
        })),
      },
    ],
  };
}

// --- promtool tests -------------------------------------------------------

const SCRAPE = 'job="delivery",instance="local"';

/** Input series of an SLO whose error share is `share` for `minutes` minutes (1,000 events a minute). */
function sloSeries(slo: Slo, share: number, minutes: number): { series: string; values: string }[] {
  const total = 1000;
  const bad = Number((total * share).toPrecision(6));
  const good = Number((total - bad).toPrecision(6));
  const counter = (perMinute: number) => `0+${perMinute}x${minutes}`;
  const histogram = (name: string, le: string, extra: string) => [
    { series: `${name}_count{${SCRAPE}${extra}}`, values: counter(total) },
    { series: `${name}_bucket{${SCRAPE}${extra},le="${le}"}`, values: counter(good) },
    { series: `${name}_bucket{${SCRAPE}${extra},le="+Inf"}`, values: counter(total) },
  ];
  switch (slo.name) {
    case 'availability':
      if (bad === 0) return [{ series: `delivery_http_requests_total{${SCRAPE},route="/v1/orders",method="POST",status="201"}`, values: counter(good) }];
      return [
        { series: `delivery_http_requests_total{${SCRAPE},route="/v1/orders",method="POST",status="201"}`, values: counter(good) },
        { series: `delivery_http_requests_total{${SCRAPE},route="/v1/orders",method="POST",status="500"}`, values: counter(bad) },
        // Probes are not user traffic: a failing readiness probe must not burn the budget.
        { series: `delivery_http_requests_total{${SCRAPE},route="/readyz",method="GET",status="503"}`, values: counter(total) },
      ];
    case 'latency':
      return histogram('delivery_operation_duration_seconds', '0.3', ',operation="accept"');
    case 'dispatch':
      return histogram('delivery_dispatch_assign_seconds', '120', '');
    case 'tracking_freshness':
      return histogram('delivery_tracking_fix_age_seconds', '5', '');
    case 'notification_delay':
      return histogram('delivery_notification_delay_seconds', '30', ',channel="sms"');
    case 'webhook_delay':
      // Prometheus 3 spells integer bounds "60.0": the rules match both.
      return histogram('delivery_webhook_delivery_delay_seconds', '60.0', '');
    case 'outbox_age': {
      // Time-based: late (300 s) at a share of the minutes, spread evenly; fine (5 s) otherwise.
      const every = share > 0 ? Math.round(1 / share) : 0;
      const values = Array.from({ length: minutes + 1 }, (_, i) => (every > 0 && i % every === every - 1 ? 300 : 5));
      return [{ series: `delivery_outbox_oldest_pending_seconds{${SCRAPE}}`, values: values.join(' ') }];
    }
    default:
      throw new Error(`no promtool series for SLO ${slo.name}`);
  }
}

/** Labels a burn alert of this SLO carries from its series. */
function sloAlertLabels(slo: Slo): Record<string, string> {
  if (slo.name === 'latency') return { operation: 'accept' };
  if (slo.name === 'notification_delay') return { channel: 'sms' };
  return {};
}

function expectAlerts(alert: string, severity: string, slo: string | undefined, annotation: Record<string, string>, evalMinutes: number, firing: Record<string, string>[]): Yaml {
  return {
    eval_time: `${evalMinutes}m`,
    alertname: alert,
    exp_alerts: firing.map((l) => ({ exp_labels: { severity, ...(slo ? { slo } : {}), ...l }, exp_annotations: annotation })),
  };
}

function sloTests(): Yaml[] {
  const rules = sloRules() as { groups: { rules: { alert?: string; annotations?: Record<string, string> }[] }[] };
  const annotationsOf = (name: string) => rules.groups.flatMap((g) => g.rules).find((r) => r.alert === name)!.annotations!;
  /** The SLO's fast and slow alerts at `minutes`: each firing (with the SLO's labels) or quiet. */
  const expect = (slo: Slo, minutes: number, fast: boolean, slow: boolean): Yaml[] => [
    expectAlerts(fastName(slo), 'page', slo.name, annotationsOf(fastName(slo)), minutes, fast ? [sloAlertLabels(slo)] : []),
    expectAlerts(slowName(slo), 'ticket', slo.name, annotationsOf(slowName(slo)), minutes, slow ? [sloAlertLabels(slo)] : []),
  ];
  // The SLIs read different metrics, so one group holds every SLO's series for a scenario (promtool evaluates every rule at every minute of a group).
  // The outbox SLI counts minutes: a single late minute is 1/60 of the last hour, over 14.4x a 0.1% budget, so its ticket-only case is its own.
  const ratioSlos = SLOS.filter((slo) => slo.name !== 'outbox_age');
  const outbox = SLOS.find((slo) => slo.name === 'outbox_age')!;
  return [
    {
      name: 'every SLO: errors at 20x the budget (the outbox late all the time) page within minutes; no ticket yet',
      interval: '1m',
      input_series: [...ratioSlos.flatMap((slo) => sloSeries(slo, 20 * budget(slo), 15)), ...sloSeries(outbox, 1, 15)],
      alert_rule_test: SLOS.flatMap((slo) => expect(slo, 10, true, false)),
    },
    {
      name: 'every ratio SLO: errors at 4.5x the budget open a ticket and do not page',
      interval: '1m',
      input_series: ratioSlos.flatMap((slo) => sloSeries(slo, 4.5 * budget(slo), 30)),
      alert_rule_test: ratioSlos.flatMap((slo) => expect(slo, 25, false, true)),
    },
    {
      name: 'outbox: one late minute in 40 opens a ticket and does not page between late minutes',
      interval: '1m',
      input_series: sloSeries(outbox, 1 / 40, 160),
      // Late minutes at 39, 79, 119, 159: at 154 the last was 35 minutes ago (no page), the slow windows still hold three.
      alert_rule_test: expect(outbox, 154, false, true),
    },
    {
      name: 'availability without a single 5xx is a ratio of 0, not missing',
      interval: '1m',
      input_series: sloSeries(SLOS.find((slo) => slo.name === 'availability')!, 0, 10),
      promql_expr_test: [{ expr: 'slo:sli_error:ratio_rate5m{slo="availability"}', eval_time: '5m', exp_samples: [{ labels: 'slo:sli_error:ratio_rate5m{slo="availability"}', value: 0 }] }],
    },
    {
      name: 'every SLO: errors within the budget alert nobody',
      interval: '1m',
      input_series: [...ratioSlos.flatMap((slo) => sloSeries(slo, 0.5 * budget(slo), 30)), ...sloSeries(outbox, 0, 30)],
      alert_rule_test: SLOS.flatMap((slo) => expect(slo, 25, false, false)),
    },
  ];
}

function operationalTests(): Yaml[] {
  return OPERATIONAL_ALERTS.flatMap((a) =>
    a.cases.map((c: PromtoolCase, i) => ({
      name: `${a.alert} case ${i + 1}: ${c.firing.length > 0 ? 'fires' : 'stays quiet'}`,
      interval: '1m',
      input_series: c.series,
      alert_rule_test: [expectAlerts(a.alert, a.severity, undefined, annotations(a.summary, a.runbook), c.evalMinutes, c.firing)],
    })),
  );
}

const HEADER = '# Generated by `npx tsx scripts/prometheus-rules.ts` from scripts/lib/observability/; edit those, not this file.\n';

/** Every generated file: path relative to the repository → content. */
export function ruleFiles(): Record<string, string> {
  return {
    [`${RULES_DIR}/slo.rules.yml`]: `${HEADER}${toYaml(sloRules())}\n`,
    [`${RULES_DIR}/operations.rules.yml`]: `${HEADER}${toYaml(operationalRules())}\n`,
    [`${TESTS_DIR}/slo.test.yml`]: `${HEADER}${toYaml({ rule_files: ['../rules/slo.rules.yml'], evaluation_interval: '1m', tests: sloTests() })}\n`,
    [`${TESTS_DIR}/operations.test.yml`]: `${HEADER}${toYaml({ rule_files: ['../rules/operations.rules.yml'], evaluation_interval: '1m', tests: operationalTests() })}\n`,
    [DASHBOARD_FILE]: `${JSON.stringify(dashboard(), null, 2)}\n`,
  };
}

/** Every alert name with the runbook anchor its runbook_url points at. */
export function alertRunbookAnchors(): { alert: string; anchor: string }[] {
  return [
    ...SLOS.flatMap((slo) => [fastName(slo), slowName(slo)].map((alert) => ({ alert, anchor: slo.runbook }))),
    ...OPERATIONAL_ALERTS.map((a) => ({ alert: a.alert, anchor: a.runbook })),
  ];
}
