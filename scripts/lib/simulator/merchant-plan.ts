/**
 * What a simulated merchant decides about an order (behaviour.ts holds the
 * drivers' minds): deterministic, no I/O, no clock of its own.
 */
export interface MerchantTiming {
  acceptDelaySeconds: number;
  prepSeconds: number;
  humanOrderGraceSeconds: number;
  /** A simulated order still without a driver this long after it was placed is cancelled (0: never). */
  giveUpAfterSeconds: number;
}

export type MerchantStep = 'accept' | 'ready' | 'cancel';

const WITHOUT_DRIVER = new Set(['unassigned', 'offered']);

/**
 * What a simulated merchant does about an order it sees in `status` (since
 * `sinceMs`, with `dispatch` when known): accept a simulated order after the
 * accept delay, a person's only after the grace period; mark ready after the
 * preparation time; give up on (cancel, which refunds) a simulated order no
 * driver came for, so a backlog cannot grow for ever. Null: leave it
 * (someone else's step, or people only).
 */
export function merchantPlan(
  order: {
    status: string;
    dispatch?: string | undefined;
    simulated: boolean;
    acceptedBySim: boolean;
    sinceMs: number;
    /** A scheduled order's window start (ms, ADR 0108): a shop prepares it to be ready then, not at once. */
    readyBy?: number | undefined;
  },
  now: number,
  t: MerchantTiming,
): { step: MerchantStep; delaySeconds: number } | null {
  const grace = t.humanOrderGraceSeconds;
  const age = Math.max(0, (now - order.sinceMs) / 1000);
  const prep = Math.max(t.prepSeconds, order.readyBy !== undefined ? (order.readyBy - now) / 1000 : 0);
  if (order.status === 'placed') {
    if (order.simulated) return { step: 'accept', delaySeconds: t.acceptDelaySeconds };
    return grace > 0 ? { step: 'accept', delaySeconds: Math.max(0, grace - age) } : null;
  }
  if ((order.status === 'preparing' || order.status === 'ready') && order.simulated && t.giveUpAfterSeconds > 0 && order.dispatch && WITHOUT_DRIVER.has(order.dispatch) && age >= t.giveUpAfterSeconds) {
    return { step: 'cancel', delaySeconds: 0 };
  }
  if (order.status === 'preparing') {
    if (order.simulated || order.acceptedBySim) return { step: 'ready', delaySeconds: prep };
    // Accepted by a person (or before a restart): ready anyway, later, so nothing stays stuck.
    return grace > 0 ? { step: 'ready', delaySeconds: Math.max(prep, 2 * grace + t.prepSeconds - age) } : null;
  }
  return null;
}
