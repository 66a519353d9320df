/** Reading orders: one order with what its view needs, and keyset-paginated lists. */
import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { jsonColumn, type Database } from '../../../db/client';
import { statement } from '../../../db/statement';
import { deliveryProofs, drivers, orderContacts, orderItems, orders, orderStatusEvents, payments, refunds, userProfiles, type Order, type OrderItem } from '../../../db/schema/index';
import { isTerminal } from '../../../domain/order';
import { encodeCursor, type Position } from './cursor';
import type { OrderStatus } from './state-machine';
import type { OrderDetail, OrderRefundInfo } from './view';

type Reader = Pick<Database, 'select'>;

const orderById = statement('order_by_id', (db) => db.select().from(orders).where(eq(orders.id, sql.placeholder('id'))));

export async function loadOrder(db: Reader, id: string): Promise<Order | null> {
  const [row] = await orderById(db, { id });
  return row ?? null;
}

async function itemsOf(db: Reader, orderIds: string[]): Promise<Map<string, OrderItem[]>> {
  const byOrder = new Map<string, OrderItem[]>();
  if (orderIds.length === 0) return byOrder;
  const rows = await db.select().from(orderItems).where(inArray(orderItems.orderId, orderIds)).orderBy(orderItems.orderId, orderItems.id);
  for (const row of rows) {
    const list = byOrder.get(row.orderId) ?? [];
    list.push(row);
    byOrder.set(row.orderId, list);
  }
  return byOrder;
}

/**
 * An order with its contact, and its driver and delivery proof as one JSON
 * column each: scalar subqueries rather than joins, because Postgres plans
 * every statement afresh (ADR 0104) and a five-table join costs more to plan
 * than to run (issue 14, docs/capacity.md). Each subquery finds at most one
 * row (a driver by id, a proof by its order: both primary keys).
 */
function detailQuery<Extra extends Record<string, SQL.Aliased | SQL>>(db: Reader, extra: Extra = {} as Extra) {
  return db
    .select({
      ...extra,
      order: orders,
      contact: orderContacts,
      driver: sql<DriverJson | string | null>`(select json_build_object('id', d.id, 'vehicle', d.vehicle, 'name', p.name)
        from ${drivers} d left join ${userProfiles} p on p.user_id = d.user_id where d.id = ${orders.driverId})`,
      proof: sql<ProofJson | string | null>`(select json_build_object('method', x.method, 'photoUrl', x.photo_url, 'at', x.created_at)
        from ${deliveryProofs} x where x.order_id = ${orders.id})`,
    })
    .from(orders)
    .leftJoin(orderContacts, eq(orderContacts.orderId, orders.id));
}

interface DriverJson {
  id: string;
  vehicle: NonNullable<OrderDetail['driver']>['vehicle'] | null;
  name: string | null;
}

interface ProofJson {
  method: NonNullable<OrderDetail['proof']>['method'] | null;
  photoUrl: string | null;
  at: string | null;
}

type DetailRow = Awaited<ReturnType<ReturnType<typeof detailQuery>['where']>>[number];

function toDetail(row: DetailRow, items: OrderItem[]): OrderDetail {
  const driver = row.driver === null ? null : jsonColumn<DriverJson>(row.driver);
  const proof = row.proof === null ? null : jsonColumn<ProofJson>(row.proof);
  return {
    order: row.order,
    contact: row.contact,
    items,
    driver: driver ? { id: driver.id, name: driver.name ?? null, vehicle: driver.vehicle ?? 'bike' } : null,
    proof: proof?.method && proof.at ? { method: proof.method, photoUrl: proof.photoUrl, at: new Date(proof.at) } : null,
  };
}

/** The order's items as one JSON column of the detail query, so one order's read is one round trip. */
const itemsColumn = sql<OrderItem[] | string>`(select coalesce(json_agg(json_build_object(
    'id', i.id, 'orderId', i.order_id, 'productId', i.product_id, 'name', i.name, 'unitPriceCents', i.unit_price_cents,
    'quantity', i.quantity, 'lineTotalCents', i.line_total_cents, 'requiresPrescription', i.requires_prescription) order by i.id), '[]'::json)
  from ${orderItems} i where i.order_id = ${orders.id})`;

/** One order's read (built once, db/statement.ts). */
const orderDetailById = statement('order_detail', (db) => detailQuery(db, { items: itemsColumn }).where(eq(orders.id, sql.placeholder('id'))));

export async function loadOrderDetail(db: Reader, id: string): Promise<OrderDetail | null> {
  const [row] = await orderDetailById(db, { id });
  if (!row) return null;
  const items = jsonColumn<OrderItem[]>(row.items);
  return toDetail(row, items);
}

export type ListScope = { customerId: string } | { merchantId: string } | { driverId: string };

export async function listOrders(
  db: Reader,
  params: { scope: ListScope; status?: OrderStatus; limit: number; after?: Position },
): Promise<{ details: OrderDetail[]; nextCursor: string | null }> {
  const { scope } = params;
  const conditions: SQL[] = [
    'customerId' in scope ? eq(orders.customerId, scope.customerId) : 'merchantId' in scope ? eq(orders.merchantId, scope.merchantId) : eq(orders.driverId, scope.driverId),
  ];
  if (params.status) conditions.push(eq(orders.status, params.status));
  if (params.after) conditions.push(sql`(${orders.createdAt}, ${orders.id}) < (${params.after.createdAt.toISOString()}::timestamptz, ${params.after.id})`);
  const rows = await detailQuery(db)
    .where(and(...conditions))
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(params.limit + 1);
  const page = rows.slice(0, params.limit);
  const items = await itemsOf(db, page.map((r) => r.order.id));
  const last = page.at(-1);
  return {
    details: page.map((r) => toDetail(r, items.get(r.order.id) ?? [])),
    nextCursor: rows.length > params.limit && last ? encodeCursor({ createdAt: last.order.createdAt, id: last.order.id }) : null,
  };
}

export async function loadStatusEvents(db: Reader, orderId: string) {
  return db
    .select({ seq: orderStatusEvents.seq, type: orderStatusEvents.type, snapshot: orderStatusEvents.snapshot, status: orderStatusEvents.status, dispatch: orderStatusEvents.dispatchState, actorType: orderStatusEvents.actorType, actorId: orderStatusEvents.actorId, reason: orderStatusEvents.reason, at: orderStatusEvents.at })
    .from(orderStatusEvents)
    .where(eq(orderStatusEvents.orderId, orderId))
    .orderBy(orderStatusEvents.seq);
}

/**
 * Adds each ended order's refund (summed over its rows) to its detail. One
 * query for a whole page, and none when no order in it has ended, so the read
 * of a live order costs nothing more.
 */
export async function withRefunds(db: Reader, details: OrderDetail[]): Promise<OrderDetail[]> {
  const ended = details.filter((d) => isTerminal(d.order.status) && d.order.status !== 'delivered').map((d) => d.order.id);
  if (ended.length === 0) return details;
  const rows = await db
    .select({ orderId: payments.orderId, status: refunds.status, amountCents: refunds.amountCents, currency: refunds.currency, updatedAt: refunds.updatedAt })
    .from(refunds)
    .innerJoin(payments, eq(payments.id, refunds.paymentId))
    .where(inArray(payments.orderId, ended));
  const byOrder = new Map<string, OrderRefundInfo>();
  for (const r of rows) {
    const acc = byOrder.get(r.orderId);
    const live = r.status === 'pending' || r.status === 'requires_action' || r.status === 'succeeded';
    const next: OrderRefundInfo = acc ?? { status: 'failed', amountCents: 0, currency: r.currency, updatedAt: r.updatedAt };
    if (live) next.amountCents += r.amountCents;
    if (r.status === 'pending' || r.status === 'requires_action') next.status = 'pending';
    else if (r.status === 'succeeded' && next.status !== 'pending') next.status = 'succeeded';
    if (r.updatedAt > next.updatedAt) next.updatedAt = r.updatedAt;
    byOrder.set(r.orderId, next);
  }
  // A failed refund shows what was to be given back.
  for (const r of rows) {
    const info = byOrder.get(r.orderId)!;
    if (info.status === 'failed' && info.amountCents === 0) info.amountCents = rows.filter((x) => x.orderId === r.orderId).reduce((n, x) => n + x.amountCents, 0);
  }
  return details.map((d) => (byOrder.has(d.order.id) ? { ...d, refund: byOrder.get(d.order.id)! } : d));
}
