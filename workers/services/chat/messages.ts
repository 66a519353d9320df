/**
 * Chat between an order's parties without exposing numbers
 * (docs/decisions/0113). Two threads per order: `customer_driver` and
 * `merchant_driver`. The customer reads and writes the first, the merchant
 * the second, the assigned driver both; nobody else (404, as for the order).
 * Messages are stored with the order (order_messages, 500 characters at
 * most) and, once committed, announced on the live channels the parties
 * already hold: the order's channel on its city shard (customer tracking,
 * merchant order view, driver job) and the driver's own channel. The frame
 * carries no text (that channel is open to both threads' parties); each app
 * reads its threads again. Writing needs a driver on the order, and stops
 * when the order ends; reading goes on.
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { newId } from '../../../db/ids';
import { orderMessages, type Order, type OrderMessage } from '../../../db/schema/index';
import { isTerminal } from '../../../domain/order';
import { log } from '../../../domain/log';
import { problems } from '../../problem';
import type { OrderViewer } from '../orders/view';
import { loadCityGeometry, shardAt } from '../city-shard-client';

export type Thread = 'customer_driver' | 'merchant_driver';
export type SenderRole = 'customer' | 'merchant' | 'driver';

export const MAX_MESSAGE_CHARS = 500;

/** The threads a party reads. */
export function threadsOf(viewer: OrderViewer): Thread[] {
  if (viewer === 'customer') return ['customer_driver'];
  if (viewer === 'merchant') return ['merchant_driver'];
  return ['customer_driver', 'merchant_driver'];
}

/** The thread a party writes to: its own, or for the driver the one it names. */
export function threadToWrite(viewer: OrderViewer, asked: Thread | undefined): Thread {
  if (viewer === 'driver') {
    if (!asked) throw problems.validation([{ path: 'thread', message: 'The driver names the thread: customer_driver or merchant_driver.' }]);
    return asked;
  }
  const own = threadsOf(viewer)[0]!;
  if (asked && asked !== own) throw problems.forbidden('You may not write in this thread.');
  return own;
}

export interface MessageView {
  id: string;
  thread: Thread;
  senderRole: SenderRole;
  /** True for the caller's own messages. */
  mine: boolean;
  body: string;
  at: string;
}

export const viewOf = (m: OrderMessage, senderId: string): MessageView => ({
  id: m.id,
  thread: m.thread as Thread,
  senderRole: m.senderRole as SenderRole,
  mine: m.senderId === senderId,
  body: m.body,
  at: m.createdAt.toISOString(),
});

export async function listMessages(db: Pick<Database, 'select'>, orderId: string, threads: Thread[], limit: number): Promise<OrderMessage[]> {
  return db
    .select()
    .from(orderMessages)
    .where(and(eq(orderMessages.orderId, orderId), inArray(orderMessages.thread, threads)))
    .orderBy(asc(orderMessages.createdAt), asc(orderMessages.id))
    .limit(limit);
}

/**
 * Stores a message in `db` (the caller's transaction when an Idempotency-Key
 * record commits with it). Announce it with `announceMessage` once committed.
 */
export async function insertMessage(
  db: Pick<Database, 'insert'>,
  order: Order,
  input: { thread: Thread; senderRole: SenderRole; senderId: string; body: string },
): Promise<OrderMessage> {
  if (!order.driverId) throw problems.conflict('chat-closed', 'The order has no driver yet: chat opens once a driver is assigned.', { reason: 'no_driver' });
  if (isTerminal(order.status)) throw problems.conflict('chat-closed', `The order is ${order.status}: its chat is closed.`, { reason: 'order_ended' });
  const [row] = await db
    .insert(orderMessages)
    .values({ id: newId('chm'), orderId: order.id, thread: input.thread, senderRole: input.senderRole, senderId: input.senderId, body: input.body })
    .returning();
  return row!;
}

/** After the commit: a `chat` frame (without the text) on the live channels, best effort. */
export function announceMessage(cx: { db: Database; env: Pick<Env, 'CITY_SHARD'>; ctx: { waitUntil(p: Promise<unknown>): void } }, order: Order, message: OrderMessage): void {
  cx.ctx.waitUntil(
    nudge(cx, order, message).catch((error: unknown) => {
      log.warn('chat: live nudge failed', { orderId: order.id, error });
    }),
  );
}

async function nudge(cx: { db: Database; env: Pick<Env, 'CITY_SHARD'> }, order: Order, m: OrderMessage): Promise<void> {
  const city = await loadCityGeometry(cx.db, order.cityId);
  if (!city) return;
  const frame = { type: 'chat', orderId: order.id, thread: m.thread, messageId: m.id, senderRole: m.senderRole, at: m.createdAt.toISOString() };
  await shardAt(cx.env, city, { lat: order.pickupLat, lng: order.pickupLng }).chatPosted(frame, m.senderRole === 'driver' ? null : order.driverId);
}
