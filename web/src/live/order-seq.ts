/**
 * The one rule for replacing an order's state in the browser (docs/api.md v1.1):
 * every change of an order has a per-order `seq`; an app keeps the highest
 * `seq` it has seen and ignores anything lower. A REST read (GET
 * /v1/orders/{id} carries `seq`), an order-channel `status` frame (`seq`) and
 * a merchant-feed `status` frame (`orderSeq`; the feed's own `seq` counts the
 * merchant's events) can each be behind another for a moment.
 *
 * Something without a seq (a server before v1.1, a frame that does not carry
 * it) is taken as before: it replaces what is held. The same seq is the same
 * version of the order and replaces it too (a reread may fill in fields such
 * as the driver's name that do not change the seq).
 */
import { statusRank, type OrderStatus } from '../../../domain/order';

export type Seq = number | null | undefined;

/** A usable seq in `value[field]`: a whole number ≥ 0; anything else is no seq. */
export function seqOf(value: unknown, field: 'seq' | 'orderSeq' = 'seq'): number | null {
  if (typeof value !== 'object' || value === null) return null;
  const seq = (value as Record<string, unknown>)[field];
  return typeof seq === 'number' && Number.isInteger(seq) && seq >= 0 ? seq : null;
}

/** Whether a version with seq `incoming` may replace one with seq `held`. */
export function acceptsSeq(held: Seq, incoming: Seq): boolean {
  if (held === null || held === undefined || incoming === null || incoming === undefined) return true;
  return incoming >= held;
}

/** The higher of two seqs (either may be unknown). */
export function maxSeq(a: Seq, b: Seq): number | null {
  if (a === null || a === undefined) return b ?? null;
  if (b === null || b === undefined) return a;
  return Math.max(a, b);
}

/** The order to hold after reading `incoming` while holding `held`. */
export function newerOrder<T extends { seq?: Seq }>(held: T | undefined, incoming: T): T {
  return held !== undefined && !acceptsSeq(held.seq, incoming.seq) ? held : incoming;
}

/** A list of orders after a reload: each order keeps the newer of the held and the read version. */
export function newerOrders<T extends { id: string; seq?: Seq }>(held: readonly T[], incoming: readonly T[]): T[] {
  const byId = new Map(held.map((o) => [o.id, o]));
  return incoming.map((o) => newerOrder(byId.get(o.id), o));
}

export interface StatusView<S extends OrderStatus = OrderStatus> {
  status: S | null | undefined;
  seq?: Seq;
}

/**
 * Which of two views of an order (say the live channel's and a fresh GET) is
 * current: the higher seq when both have one; without, the further status on
 * the order's path (statuses only move forward), the first on a tie.
 */
export function laterView<A extends StatusView, B extends StatusView>(a: A, b: B): A | B {
  if (!a.status) return b;
  if (!b.status) return a;
  if (a.seq !== null && a.seq !== undefined && b.seq !== null && b.seq !== undefined) return b.seq > a.seq ? b : a;
  return statusRank(b.status) > statusRank(a.status) ? b : a;
}
