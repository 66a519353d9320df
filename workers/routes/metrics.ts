import { createRoute, z } from '@hono/zod-openapi';
import { OPEN_STATUSES } from '../../domain/order';
import { sql } from 'drizzle-orm';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { authenticate } from '../middleware/auth';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { isOperator } from '../services/auth/principal';
import { reconciliationMetricLines } from './metrics-reconciliation';
import { aggregatorOf } from '../../durable-objects/metrics-aggregator/port';

/**
 * The fleet's counters, histograms and shard gauges, as the MetricsAggregator
 * holds them (ADR 0090). Unreachable: the Postgres gauges are still answered,
 * with delivery_metrics_aggregator_up 0 (a scrape never fails on it).
 */
async function aggregatedLines(env: Env): Promise<string[]> {
  const up = (v: 0 | 1) => [
    '# HELP delivery_metrics_aggregator_up The metrics aggregator answered this scrape (0: counters and histograms are missing from it).',
    '# TYPE delivery_metrics_aggregator_up gauge',
    `delivery_metrics_aggregator_up ${v}`,
  ];
  try {
    return [...(await aggregatorOf(env).exposition()), ...up(1)];
  } catch {
    return up(0);
  }
}

/**
 * Scrapers present `Bearer <METRICS_TOKEN>` (a secret set in production; empty
 * disables it); people present an ops/admin access token.
 */
const metricsAccess = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.METRICS_TOKEN;
  const header = c.req.header('authorization') ?? '';
  if (expected && expected.length >= 16 && timingSafeEqualText(header, `Bearer ${expected}`)) return next();
  return authenticate(c, async () => {
    const principal = c.get('principal');
    if (!principal) throw problems.unauthorized();
    if (!isOperator(principal)) throw problems.forbidden();
    await next();
  });
});

function timingSafeEqualText(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  if (x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

const metrics = createRoute({
  method: 'get',
  path: '/metrics',
  operationId: 'getMetrics',
  tags: ['Operations'],
  summary: 'Prometheus metrics (ops/admin token, or the scrape token)',
  description:
    'Prometheus text exposition format 0.0.4. Gauges read from Postgres at scrape time (open orders, outbox, reconciliation), and the fleet-wide ' +
    'counters and histograms of every isolate as the MetricsAggregator Durable Object sums them (requests by route template, method and status; ' +
    'request and critical-operation latency; queue messages by outcome and batch duration; cron runs; dispatch time to assign; tracking fix age; ' +
    'notification and webhook delay; provider outcomes) plus the city shards\' gauges (drivers online/available, open offers, sockets, ingest lag). ' +
    'Counters restart at zero when the aggregator restarts (delivery_metrics_aggregator_start_time_seconds). Prometheus authenticates with ' +
    '`Authorization: Bearer <METRICS_TOKEN>` (scrape config `authorization: { credentials: … }`); an ops/admin access token also works.',
  security: [{ bearer: [] }, { metricsToken: [] }],
  middleware: [metricsAccess] as const,
  responses: {
    200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: z.string() } } },
    ...problemResponses(401, 403, 503),
  },
});

function line(name: string, value: number, labels: Record<string, string> = {}): string {
  const l = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`).join(',');
  return `${name}${l ? `{${l}}` : ''} ${value}`;
}

export const metricsRoutes = createRouter().openapi(metrics, async (c) => {
  const db = c.var.db();
  const [orderRows, outboxRows, reconciliation, aggregated] = await Promise.all([
    db.execute<{ status: string; n: number }>(
      sql`select status::text as status, count(*)::int as n from orders where status in ${sql.raw(`(${OPEN_STATUSES.map((s) => `'${s}'`).join(',')})`)} group by status`,
    ),
    db.execute<{ pending: number; oldest: number | null }>(
      sql`select count(*)::int as pending, extract(epoch from now() - min(created_at))::float8 as oldest from outbox where published_at is null`,
    ),
    reconciliationMetricLines(db, c.env, line),
    aggregatedLines(c.env),
  ]);
  const byStatus = new Map(orderRows.map((r) => [r.status, Number(r.n)]));
  const outbox = outboxRows[0];
  const body = [
    '# HELP delivery_up The API answered this scrape.',
    '# TYPE delivery_up gauge',
    line('delivery_up', 1),
    '# HELP delivery_orders_open Orders in a non-terminal status.',
    '# TYPE delivery_orders_open gauge',
    ...OPEN_STATUSES.map((s) => line('delivery_orders_open', byStatus.get(s) ?? 0, { status: s })),
    '# HELP delivery_outbox_pending Outbox events not yet published to the queue.',
    '# TYPE delivery_outbox_pending gauge',
    line('delivery_outbox_pending', Number(outbox?.pending ?? 0)),
    '# HELP delivery_outbox_oldest_pending_seconds Age of the oldest unpublished outbox event.',
    '# TYPE delivery_outbox_oldest_pending_seconds gauge',
    line('delivery_outbox_oldest_pending_seconds', Number(outbox?.oldest ?? 0)),
    ...reconciliation,
    ...aggregated,
    '',
  ].join('\n');
  return c.text(body, 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' });
});
