/**
 * How our payment record follows Stripe, as pure logic. Stripe sends events
 * at least once and in no guaranteed order, so every rule here is monotonic:
 * a late `payment_failed` never undoes `succeeded`, a late `succeeded` never
 * undoes a refund, and refunded amounts only grow. Applying the same event
 * twice changes nothing the second time.
 */
export type PaymentStatus = 'requires_payment' | 'processing' | 'succeeded' | 'failed' | 'canceled' | 'refunded' | 'partially_refunded';

export interface PaymentState {
  status: PaymentStatus;
  amountCents: number;
  refundedCents: number;
}

export type PaymentSignal =
  | { kind: 'succeeded' }
  | { kind: 'failed' }
  | { kind: 'canceled' }
  /** Cumulative amount refunded so far, as the provider reports it. */
  | { kind: 'refunded'; totalRefundedCents: number };

const OPEN: ReadonlySet<PaymentStatus> = new Set(['requires_payment', 'processing', 'failed']);
const CAPTURED: ReadonlySet<PaymentStatus> = new Set(['succeeded', 'partially_refunded', 'refunded']);

/** The next state, or null when the signal changes nothing (stale, duplicate or out of order). */
export function applyPaymentSignal(state: PaymentState, signal: PaymentSignal): PaymentState | null {
  switch (signal.kind) {
    case 'succeeded':
      // A refund may have been reported first; money captured is never "un-refunded".
      return OPEN.has(state.status) || state.status === 'canceled' ? { ...state, status: 'succeeded' } : null;
    case 'failed':
      // A failed attempt leaves the intent open for another card; it never undoes a capture.
      return state.status === 'requires_payment' || state.status === 'processing' ? { ...state, status: 'failed' } : null;
    case 'canceled':
      return OPEN.has(state.status) ? { ...state, status: 'canceled' } : null;
    case 'refunded': {
      const refunded = Math.min(state.amountCents, Math.max(state.refundedCents, signal.totalRefundedCents));
      if (refunded === state.refundedCents && CAPTURED.has(state.status)) return null;
      if (refunded === 0) return null;
      return { ...state, refundedCents: refunded, status: refunded >= state.amountCents ? 'refunded' : 'partially_refunded' };
    }
    default: {
      const never: never = signal;
      return never;
    }
  }
}

/** What is still refundable. */
export const refundableCents = (state: PaymentState): number => (CAPTURED.has(state.status) ? state.amountCents - state.refundedCents : 0);

/** Idempotency keys sent to the provider, derived from our ids so a retry can never double-charge or double-refund. */
export const providerKeys = {
  paymentIntent: (orderId: string) => `order:${orderId}:payment-intent`,
  cancelIntent: (orderId: string) => `order:${orderId}:cancel-intent`,
  refund: (refundId: string) => `refund:${refundId}`,
};
