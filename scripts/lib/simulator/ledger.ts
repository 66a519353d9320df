/**
 * The simulator's account of its own orders: when each was placed, accepted,
 * assigned, picked up, delivered or given up, from whoever saw it first (the
 * customer, the merchant's live feed, the assigned driver). Pure; the
 * periodic summary line is made from it.
 */
export interface OrderTimes {
  createdAt: number;
  placedAt?: number;
  acceptedAt?: number;
  assignedAt?: number;
  pickedUpAt?: number;
  deliveredAt?: number;
  failedAt?: number;
  failure?: string;
}

export interface LedgerSummary {
  /** Orders the simulated customers created. */
  placed: number;
  /** Paid (status `placed` reached). */
  paid: number;
  accepted: number;
  assigned: number;
  pickedUp: number;
  delivered: number;
  /** Not paid, or ended cancelled / rejected / failed. */
  failed: number;
  /** Neither delivered nor failed yet. */
  open: number;
  /** Median seconds from placed (paid) to a driver assigned; null before the first assignment. */
  medianToAssignS: number | null;
  /** Median seconds from placed (paid) to delivered. */
  medianToDeliverS: number | null;
}

const FAILED_STATUSES = new Set(['cancelled', 'rejected', 'failed']);

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export class SimLedger {
  readonly orders = new Map<string, OrderTimes>();

  has(orderId: string): boolean {
    return this.orders.has(orderId);
  }

  created(orderId: string, at: number): void {
    if (!this.orders.has(orderId)) this.orders.set(orderId, { createdAt: at });
  }

  private mark(orderId: string, key: Exclude<keyof OrderTimes, 'createdAt' | 'failure'>, at: number): void {
    const o = this.orders.get(orderId);
    if (!o) return;
    // Several observers report the same moment at slightly different times: keep the earliest.
    const current = o[key];
    if (current === undefined || at < current) o[key] = at;
  }

  placed(orderId: string, at: number): void {
    this.mark(orderId, 'placedAt', at);
  }

  accepted(orderId: string, at: number): void {
    this.mark(orderId, 'acceptedAt', at);
  }

  assigned(orderId: string, at: number): void {
    this.mark(orderId, 'assignedAt', at);
  }

  pickedUp(orderId: string, at: number): void {
    this.mark(orderId, 'pickedUpAt', at);
  }

  delivered(orderId: string, at: number): void {
    this.mark(orderId, 'deliveredAt', at);
  }

  failed(orderId: string, at: number, why: string): void {
    const o = this.orders.get(orderId);
    if (!o || o.deliveredAt !== undefined || o.failedAt !== undefined) return;
    o.failedAt = at;
    o.failure = why;
  }

  /** A status event (merchant feed: `status { orderId, status, dispatch, at }`) of an order the simulator placed. */
  observe(orderId: string, status: string, dispatch: string | undefined, at: number): void {
    if (!this.orders.has(orderId)) return;
    if (status === 'placed' || status === 'preparing' || status === 'ready' || status === 'in_delivery' || status === 'delivered') this.placed(orderId, at);
    if (status === 'preparing') this.accepted(orderId, at);
    if (dispatch === 'assigned' || dispatch === 'picked_up' || dispatch === 'dropped_off') this.assigned(orderId, at);
    if (status === 'in_delivery') this.pickedUp(orderId, at);
    if (status === 'delivered') this.delivered(orderId, at);
    if (FAILED_STATUSES.has(status)) this.failed(orderId, at, status);
  }

  summary(): LedgerSummary {
    const s: LedgerSummary = { placed: 0, paid: 0, accepted: 0, assigned: 0, pickedUp: 0, delivered: 0, failed: 0, open: 0, medianToAssignS: null, medianToDeliverS: null };
    const toAssign: number[] = [];
    const toDeliver: number[] = [];
    for (const o of this.orders.values()) {
      s.placed++;
      const from = o.placedAt ?? o.createdAt;
      if (o.placedAt !== undefined) s.paid++;
      if (o.acceptedAt !== undefined) s.accepted++;
      if (o.assignedAt !== undefined) {
        s.assigned++;
        toAssign.push(Math.max(0, o.assignedAt - from) / 1000);
      }
      if (o.pickedUpAt !== undefined) s.pickedUp++;
      if (o.deliveredAt !== undefined) {
        s.delivered++;
        toDeliver.push(Math.max(0, o.deliveredAt - from) / 1000);
      } else if (o.failedAt !== undefined) s.failed++;
      else s.open++;
    }
    s.medianToAssignS = median(toAssign);
    s.medianToDeliverS = median(toDeliver);
    return s;
  }
}

const secs = (s: number | null) => (s === null ? '-' : s < 120 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`);

/** The periodic one-line summary. */
export function summaryLine(
  s: LedgerSummary,
  drivers: { idle: number; busy: number; onBreak: number },
  extra: { offersAccepted: number; offersDeclined: number; fixesSent: number; errors: number; assignmentToReadMs?: number[]; assignmentReadsRefused?: number },
): string {
  const reads = [...(extra.assignmentToReadMs ?? [])].sort((a, b) => a - b);
  const readable = reads.length === 0 ? '' : `; assignment → readable by the driver: median ${reads[Math.floor(reads.length / 2)]} ms, max ${reads.at(-1)} ms over ${reads.length}, refused reads ${extra.assignmentReadsRefused ?? 0}`;
  return (
    `orders placed ${s.placed}, accepted ${s.accepted}, assigned ${s.assigned}, delivered ${s.delivered}, failed ${s.failed}, open ${s.open}; ` +
    `median to assignment ${secs(s.medianToAssignS)}, placed to delivered ${secs(s.medianToDeliverS)}; ` +
    `drivers busy ${drivers.busy}, free ${drivers.idle}, on a break ${drivers.onBreak}; ` +
    `offers accepted ${extra.offersAccepted}, declined ${extra.offersDeclined}; fixes ${extra.fixesSent}; errors ${extra.errors}` +
    readable
  );
}
