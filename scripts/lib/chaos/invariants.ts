/**
 * What must hold after every fault, checked against Postgres and the fakes
 * (issue #12, docs/reliability.md): every acknowledged create exists once;
 * every paid PaymentIntent has a placed (or refunded) order; every outbox
 * event is published and consumed; notifications reach each provider once
 * per (event, channel, recipient); webhooks reach each receiver with one 2xx
 * per event id and every delivery ends delivered; no order is left open.
 */
import { TERMINAL_STATUSES } from '../../../domain/order';
import type { ChaosWorld } from './faults';

export interface Figures {
  ordersAcknowledged: number;
  ordersInDatabase: number;
  ordersLost: number;
  ordersDuplicated: number;
  ordersStuck: number;
  paidWithoutOrder: number;
  eventsCommitted: number;
  eventsUnpublished: number;
  /** null: the platform keeps no consumption acknowledgement (column missing). */
  eventsUnconsumed: number | null;
  /** null: not checked for this window (notifications are checked for the whole run). */
  notificationsDuplicated: number | null;
  webhooksDuplicated: number;
  webhooksUndelivered: number;
}

export interface Verdict {
  figures: Figures;
  violations: string[];
}

interface FakeRequest {
  at: string;
  method: string;
  path: string;
  status: number;
}

const SEND_PATHS: Record<'sms' | 'email' | 'push', RegExp> = {
  sms: /\/Messages\.json$/,
  email: /^\/email$/,
  push: /messages:send$/,
};

async function fakeRequests(base: string): Promise<FakeRequest[]> {
  const res = await fetch(`${base}/_fake/requests`);
  if (!res.ok) throw new Error(`${base}/_fake/requests: ${res.status}`);
  const body = (await res.json()) as { items?: FakeRequest[] } | FakeRequest[];
  return Array.isArray(body) ? body : (body.items ?? []);
}

export interface Window {
  from: Date;
  to: Date;
}

/** The run's orders: placed by the simulated customers within the window. */
export async function runOrders(world: ChaosWorld, w: Window): Promise<{ id: string; status: string }[]> {
  return world.sql<{ id: string; status: string }[]>`
    SELECT o.id, o.status::text AS status FROM orders o JOIN user_profiles u ON u.user_id = o.customer_id
     WHERE o.created_at >= ${w.from} AND o.created_at < ${w.to} AND u.email LIKE 'sim-customer-%'`;
}

/** Waits (at most `timeoutMs`) until every order of the run has ended; returns those still open. */
export async function drain(world: ChaosWorld, since: Date, timeoutMs: number): Promise<string[]> {
  const terminal = new Set<string>(TERMINAL_STATUSES);
  const until = Date.now() + timeoutMs;
  for (;;) {
    const open = (await runOrders(world, { from: since, to: new Date(Date.now() + 60_000) })).filter((o) => !terminal.has(o.status)).map((o) => o.id);
    if (open.length === 0 || Date.now() >= until) return open;
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

/**
 * What the run still has in motion (0 everywhere: settled): orders not yet
 * ended, outbox events not yet published or consumed, notifications being
 * sent, merchant webhooks not yet delivered. What the invariants check once
 * it is all 0; waiting on it replaces fixed waits for the backstops' deadlines.
 */
export async function pendingWork(world: ChaosWorld, since: Date): Promise<Record<'openOrders' | 'unpublishedEvents' | 'unconsumedEvents' | 'notificationsSending' | 'webhooksUndelivered', number>> {
  const { sql } = world;
  const terminal = new Set<string>(TERMINAL_STATUSES);
  const openOrders = (await runOrders(world, { from: since, to: new Date(Date.now() + 60_000) })).filter((o) => !terminal.has(o.status)).length;
  const [hasConsumed] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'outbox' AND column_name = 'consumed_at'`;
  const [events] = hasConsumed?.n
    ? await sql<{ unpublished: number; unconsumed: number }[]>`
        SELECT count(*) FILTER (WHERE published_at IS NULL)::int AS unpublished, count(*) FILTER (WHERE consumed_at IS NULL)::int AS unconsumed
          FROM outbox WHERE created_at >= ${since}`
    : await sql<{ unpublished: number; unconsumed: number }[]>`
        SELECT count(*) FILTER (WHERE published_at IS NULL)::int AS unpublished, 0 AS unconsumed FROM outbox WHERE created_at >= ${since}`;
  const [sending] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM notification_log WHERE status = 'queued' AND created_at >= ${since}`;
  const [webhooks] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM (
      SELECT d.endpoint_id, d.event_id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
       WHERE e.url LIKE '%/hooks/chaos-%' AND d.created_at >= ${since}
       GROUP BY d.endpoint_id, d.event_id HAVING NOT bool_or(d.status = 'succeeded')) pending`;
  return {
    openOrders,
    unpublishedEvents: events?.unpublished ?? 0,
    unconsumedEvents: events?.unconsumed ?? 0,
    notificationsSending: sending?.n ?? 0,
    webhooksUndelivered: webhooks?.n ?? 0,
  };
}

/**
 * The invariants for what happened in one window (a fault's, or the whole
 * run's): orders created in it, events committed in it, webhooks of those
 * events. Notifications are counted for the window by when they were logged
 * and received, so they are checked for the whole run only (`notifications`).
 */
export async function checkInvariants(
  world: ChaosWorld,
  w: Window,
  /** Every create the run's clients saw answered, with when (order id → ms). */
  acks: ReadonlyMap<string, number>,
  stillOpen: readonly string[],
  notifications = false,
): Promise<Verdict> {
  const { sql } = world;
  const since = w.from;
  const violations: string[] = [];
  const orders = await runOrders(world, w);
  const inDb = new Set(orders.map((o) => o.id));
  const ackedHere = [...acks].filter(([, at]) => at >= w.from.getTime() && at < w.to.getTime()).map(([id]) => id);
  const present = new Set((await sql<{ id: string }[]>`SELECT id FROM orders WHERE id = ANY(${ackedHere})`).map((r) => r.id));
  const lost = ackedHere.filter((id) => !present.has(id));
  // An order no create was answered with: a retry that made a second order.
  const extra = orders.filter((o) => !acks.has(o.id));
  const stuck = stillOpen.filter((id) => inDb.has(id));
  if (lost.length > 0) violations.push(`acknowledged orders missing from Postgres: ${lost.slice(0, 5).join(', ')}`);
  if (extra.length > 0) violations.push(`orders no create was answered with (duplicates): ${extra.slice(0, 5).map((o) => `${o.id} (${o.status})`).join(', ')}`);
  if (stuck.length > 0) violations.push(`orders still open after the drain: ${stuck.slice(0, 5).join(', ')}`);

  // Every PaymentIntent the customer paid has its order placed, or the money back.
  const paid = await sql<{ order_id: string; intent: string; status: string; payment: string; refunded: number }[]>`
    SELECT o.id AS order_id, p.provider_payment_id AS intent, o.status::text AS status, p.status::text AS payment, p.refunded_cents AS refunded
      FROM orders o JOIN payments p ON p.order_id = o.id
     WHERE o.id = ANY(${[...inDb]}) AND p.provider_payment_id IS NOT NULL`;
  let paidWithoutOrder = 0;
  for (const row of paid) {
    const res = await fetch(`${world.stripe.base}/v1/payment_intents/${row.intent}`, { headers: { Authorization: `Bearer ${world.stripe.secretKey}` } });
    const intent = (await res.json()) as { status?: string };
    if (intent.status !== 'succeeded') continue;
    const placed = row.status !== 'pending_payment' && row.status !== 'cancelled';
    const refunded = row.status === 'cancelled' && row.refunded > 0;
    if (!placed && !refunded) {
      paidWithoutOrder++;
      violations.push(`PaymentIntent ${row.intent} succeeded but order ${row.order_id} is ${row.status} (payment ${row.payment}, refunded ${row.refunded})`);
    }
  }

  // The outbox: every event committed during the run went out and was consumed.
  const [hasConsumed] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'outbox' AND column_name = 'consumed_at'`;
  const [events] = hasConsumed?.n
    ? await sql<{ total: number; unpublished: number; unconsumed: number }[]>`
        SELECT count(*)::int AS total, count(*) FILTER (WHERE published_at IS NULL)::int AS unpublished,
               count(*) FILTER (WHERE consumed_at IS NULL)::int AS unconsumed
          FROM outbox WHERE created_at >= ${since} AND created_at < ${w.to}`
    : await sql<{ total: number; unpublished: number; unconsumed: null }[]>`
        SELECT count(*)::int AS total, count(*) FILTER (WHERE published_at IS NULL)::int AS unpublished, NULL AS unconsumed
          FROM outbox WHERE created_at >= ${since} AND created_at < ${w.to}`;
  if (events!.unpublished > 0) violations.push(`${events!.unpublished} outbox events never published`);
  if (events!.unconsumed === null) violations.push('the outbox keeps no consumption acknowledgement: lost queue messages cannot be found');
  else if (events!.unconsumed > 0) violations.push(`${events!.unconsumed} outbox events published but never consumed`);

  // Notifications: what each provider accepted, against what the log says was sent once.
  let notificationsDuplicated = 0;
  const bases = { sms: world.fakes.twilio, email: world.fakes.email, push: world.fakes.fcm } as const;
  for (const channel of notifications ? (['sms', 'email', 'push'] as const) : []) {
    const accepted = (await fakeRequests(bases[channel])).filter((r) => r.method === 'POST' && SEND_PATHS[channel].test(r.path) && r.status >= 200 && r.status < 300 && Date.parse(r.at) >= since.getTime()).length;
    const [logged] = await sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM notification_log
       WHERE channel = ${channel} AND provider_message_id IS NOT NULL AND created_at >= ${since} AND created_at < ${w.to}`;
    if (accepted > logged!.n) {
      notificationsDuplicated += accepted - logged!.n;
      violations.push(`${channel}: the provider accepted ${accepted} messages, the log sent ${logged!.n} (duplicates)`);
    }
  }

  // Webhooks: one 2xx per event id at the receiver, and every delivery ended delivered.
  const windowEvents = new Set((await sql<{ id: string }[]>`SELECT id FROM outbox WHERE created_at >= ${since} AND created_at < ${w.to}`).map((r) => r.id));
  const received = ((await (await fetch(`${world.fakes.receiver}/_fake/received`)).json()) as { items: { webhookId: string | null; status: number; name: string; body: { id?: string } | null }[] }).items.filter(
    (r) => r.name.startsWith('chaos-') && typeof r.body?.id === 'string' && windowEvents.has(r.body.id),
  );
  const okById = new Map<string, number>();
  for (const r of received) if (r.webhookId && r.status >= 200 && r.status < 300) okById.set(r.webhookId, (okById.get(r.webhookId) ?? 0) + 1);
  const webhooksDuplicated = [...okById.values()].filter((n) => n > 1).length;
  if (webhooksDuplicated > 0) violations.push(`${webhooksDuplicated} webhook events answered 2xx more than once`);
  // A delivery has a row per attempt: an event is delivered when any attempt at that endpoint succeeded.
  const [undelivered] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM (
      SELECT d.endpoint_id, d.event_id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
       WHERE e.url LIKE '%/hooks/chaos-%' AND d.event_id = ANY(${[...windowEvents]})
       GROUP BY d.endpoint_id, d.event_id HAVING NOT bool_or(d.status = 'succeeded')) pending`;
  if (undelivered!.n > 0) violations.push(`${undelivered!.n} webhook deliveries not delivered`);

  return {
    figures: {
      ordersAcknowledged: ackedHere.length,
      ordersInDatabase: orders.length,
      ordersLost: lost.length,
      ordersDuplicated: extra.length,
      ordersStuck: stuck.length,
      paidWithoutOrder,
      eventsCommitted: events!.total,
      eventsUnpublished: events!.unpublished,
      eventsUnconsumed: events!.unconsumed,
      notificationsDuplicated: notifications ? notificationsDuplicated : null,
      webhooksDuplicated,
      webhooksUndelivered: undelivered!.n,
    },
    violations,
  };
}
