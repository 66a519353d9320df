/**
 * The order vocabulary, in one place: statuses, dispatch states, which of them
 * are open or terminal, and the event types of an order's timeline. The pg
 * enums (db/schema/enums.ts), the API's zod schemas, the shard protocol, the
 * merchant feed, the web apps and the simulator all read these lists; none
 * keeps a second copy. Runtime-free: it imports nothing.
 */

export const ORDER_STATUSES = [
  'pending_payment',
  'placed',
  'preparing',
  'ready',
  'in_delivery',
  'delivered',
  'cancelled',
  'rejected',
  'failed',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** The happy path, in order (the web apps draw it as a timeline). */
export const STATUS_PATH: readonly OrderStatus[] = ['pending_payment', 'placed', 'preparing', 'ready', 'in_delivery', 'delivered'];

export const TERMINAL_STATUSES = ['delivered', 'cancelled', 'rejected', 'failed'] as const satisfies readonly OrderStatus[];
export const OPEN_STATUSES = ['pending_payment', 'placed', 'preparing', 'ready', 'in_delivery'] as const satisfies readonly OrderStatus[];
/** Statuses in which the shard may assign a driver (dispatch starts on accept). */
export const ASSIGNABLE_STATUSES = ['preparing', 'ready'] as const satisfies readonly OrderStatus[];

const TERMINAL: ReadonlySet<OrderStatus> = new Set(TERMINAL_STATUSES);
export const isTerminal = (status: OrderStatus): boolean => TERMINAL.has(status);

export const DISPATCH_STATES = ['unassigned', 'offered', 'assigned', 'picked_up', 'dropped_off'] as const;
export type DispatchState = (typeof DISPATCH_STATES)[number];

/** Rank of a status on the happy path; terminal statuses rank last, so nothing follows them. */
export function statusRank(status: OrderStatus): number {
  return isTerminal(status) ? STATUS_PATH.length : STATUS_PATH.indexOf(status);
}

/**
 * The event types of an order's timeline (order_status_events.type, the
 * outbox topic, the webhook type). `order.created` is the first event of an
 * order placed through checkout (`pending_payment`).
 */
export const ORDER_EVENT_TYPES = [
  'order.created',
  'order.placed',
  'order.preparing',
  'order.ready',
  'order.assigned',
  'order.dispatch_changed',
  'order.driver_arrived',
  /** Still `placed` past its city's deadline: the merchant is told again, operators see it (status unchanged). */
  'order.escalated',
  /** A scheduled order's release time came: its merchant may accept it now (status unchanged; ADR 0108). */
  'order.released',
  'order.in_delivery',
  'order.delivered',
  'order.cancelled',
  'order.rejected',
  'order.failed',
] as const;
export type OrderEventType = (typeof ORDER_EVENT_TYPES)[number];

/**
 * The cancel reason of an order its merchant never accepted: escalated after
 * its city's first deadline, cancelled by the platform (actor `system`) after
 * the second, with a refund (workers/services/orders/unaccepted.ts).
 */
export const MERCHANT_UNRESPONSIVE = 'merchant_unresponsive';

/** The event type announcing that an order reached a status. */
export const statusEventType = (status: OrderStatus): OrderEventType => (status === 'pending_payment' ? 'order.created' : `order.${status}`);

export const PAYMENT_EVENT_TYPES = ['payment.succeeded', 'payment.failed', 'payment.refunded'] as const;
export type PaymentEventType = (typeof PAYMENT_EVENT_TYPES)[number];

/** What a merchant may subscribe a webhook to (docs/api.md, Merchant webhooks). */
export const WEBHOOK_EVENT_TYPES = [
  'order.created',
  'order.placed',
  'order.preparing',
  'order.ready',
  'order.assigned',
  'order.in_delivery',
  'order.delivered',
  'order.cancelled',
  'order.rejected',
  'order.failed',
  ...PAYMENT_EVENT_TYPES,
] as const;

export const ACTOR_TYPES = ['customer', 'merchant', 'driver', 'ops', 'admin', 'system', 'stripe'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

/**
 * A human order number: 7 characters of an alphabet without look-alikes
 * (no 0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V): 23^7 ≈ 3.4·10^9 numbers. Unique in
 * the database (a collision is drawn again); shown as `#` + the number in
 * every app, SMS, email, push and webhook.
 */
export const ORDER_NUMBER_ALPHABET = '34679ACDEFGHJKMNPQRTWXY';
export const ORDER_NUMBER_LENGTH = 7;
export const ORDER_NUMBER_PATTERN = /^[34679ACDEFGHJKMNPQRTWXY]{7}$/;

/** Uniform over the alphabet (rejection sampling); Web Crypto, so it runs everywhere. */
export function newOrderNumber(): string {
  const n = ORDER_NUMBER_ALPHABET.length;
  const limit = 256 - (256 % n);
  let out = '';
  const buf = new Uint8Array(16);
  while (out.length < ORDER_NUMBER_LENGTH) {
    crypto.getRandomValues(buf);
    for (const b of buf) if (b < limit && out.length < ORDER_NUMBER_LENGTH) out += ORDER_NUMBER_ALPHABET[b % n];
  }
  return out;
}

/** How people see it: `#` and the number. */
export const displayOrderNumber = (number: string): string => `#${number}`;
