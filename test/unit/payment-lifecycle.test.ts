import { describe, expect, it } from 'vitest';
import { applyPaymentSignal, refundableCents, type PaymentSignal, type PaymentState } from '../../workers/services/payments/lifecycle';

const state = (status: PaymentState['status'], refundedCents = 0): PaymentState => ({ status, amountCents: 1000, refundedCents });
const apply = (s: PaymentState, ...signals: PaymentSignal[]) => signals.reduce((acc, sig) => applyPaymentSignal(acc, sig) ?? acc, s);

describe('payment lifecycle (monotonic, order-independent)', () => {
  it('moves open payments on success, failure and cancellation', () => {
    expect(applyPaymentSignal(state('requires_payment'), { kind: 'succeeded' })?.status).toBe('succeeded');
    expect(applyPaymentSignal(state('requires_payment'), { kind: 'failed' })?.status).toBe('failed');
    expect(applyPaymentSignal(state('failed'), { kind: 'succeeded' })?.status).toBe('succeeded');
    expect(applyPaymentSignal(state('requires_payment'), { kind: 'canceled' })?.status).toBe('canceled');
  });

  it('never undoes a capture', () => {
    expect(applyPaymentSignal(state('succeeded'), { kind: 'failed' })).toBeNull();
    expect(applyPaymentSignal(state('succeeded'), { kind: 'canceled' })).toBeNull();
    expect(applyPaymentSignal(state('refunded', 1000), { kind: 'succeeded' })).toBeNull();
  });

  it('treats refunds as cumulative totals that only grow, capped at the amount', () => {
    expect(applyPaymentSignal(state('succeeded'), { kind: 'refunded', totalRefundedCents: 400 })).toEqual({ status: 'partially_refunded', amountCents: 1000, refundedCents: 400 });
    expect(applyPaymentSignal(state('partially_refunded', 400), { kind: 'refunded', totalRefundedCents: 300 })).toBeNull();
    expect(applyPaymentSignal(state('partially_refunded', 400), { kind: 'refunded', totalRefundedCents: 1000 })?.status).toBe('refunded');
    expect(applyPaymentSignal(state('succeeded'), { kind: 'refunded', totalRefundedCents: 5000 })?.refundedCents).toBe(1000);
  });

  it('reaches the same state whatever order the events arrive in, and twice', () => {
    const events: PaymentSignal[] = [{ kind: 'failed' }, { kind: 'succeeded' }, { kind: 'refunded', totalRefundedCents: 1000 }];
    const permutations = [
      [0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0],
    ].map((p) => p.map((i) => events[i]!));
    for (const order of permutations) {
      expect(apply(state('requires_payment'), ...order, ...order)).toEqual({ status: 'refunded', amountCents: 1000, refundedCents: 1000 });
    }
  });

  it('knows what is still refundable', () => {
    expect(refundableCents(state('succeeded'))).toBe(1000);
    expect(refundableCents(state('partially_refunded', 300))).toBe(700);
    expect(refundableCents(state('requires_payment'))).toBe(0);
    expect(refundableCents(state('refunded', 1000))).toBe(0);
  });
});
