/** Reading orders: one order with what its view needs, and keyset-paginated lists. */
import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { deliveryProofs, drivers, orderContacts, orderItems, orders, orderStatusEvents, userProfiles, type Order, type OrderItem } from '../../../db/schema/index';
import { encodeCursor, type Position } from './cursor';
import type { OrderStatus } from './state-machine';
import type { OrderDetail } from './view';

type Reader = Pick<Database, 'select'>;

export async function loadOrder(db: Reader, id: string): Promise<Order | null> {
  const [row] = await db.select().from(orders).where(eq(orders.id, id));
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

function detailQuery(db: Reader) {
  return db
    .select({
      order: orders,
      contact: orderContacts,
      driverId: drivers.id,
      driverVehicle: drivers.vehicle,
      driverName: userProfiles.name,
      proofMethod: deliveryProofs.method,
      proofPhotoUrl: deliveryProofs.photoUrl,
      proofAt: deliveryProofs.createdAt,
    })
    .from(orders)
    .leftJoin(orderContacts, eq(orderContacts.orderId, orders.id))
    .leftJoin(deliveryProofs, eq(deliveryProofs.orderId, orders.id))
    .leftJoin(drivers, eq(drivers.id, orders.driverId))
    .leftJoin(userProfiles, eq(userProfiles.userId, drivers.userId));
}

type DetailRow = Awaited<ReturnType<ReturnType<typeof detailQuery>['where']>>[number];

function toDetail(row: DetailRow, items: OrderItem[]): OrderDetail {
  return {
    order: row.order,
    contact: row.contact,
    items,
    driver: row.driverId ? { id: row.driverId, name: row.driverName ?? null, vehicle: row.driverVehicle ?? 'bike' } : null,
    proof: row.proofMethod && row.proofAt ? { method: row.proofMethod, photoUrl: row.proofPhotoUrl, at: row.proofAt } : null,
  };
}

export async function loadOrderDetail(db: Reader, id: string): Promise<OrderDetail | null> {
  const [row] = await detailQuery(db).where(eq(orders.id, id));
  if (!row) return null;
  const items = await itemsOf(db, [id]);
  return toDetail(row, items.get(id) ?? []);
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
