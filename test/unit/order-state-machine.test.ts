import { describe, expect, it } from 'vitest';
import { decideStep, ORDER_STATUSES, ORDER_STEPS, STEP_RULES, statusEventType, type OrderFacts, type OrderStatus, type StepActor } from '../../workers/services/orders/state-machine';

const order = (status: OrderStatus, over: Partial<OrderFacts> = {}): OrderFacts => ({ status, dispatch: 'unassigned', merchantId: 'mer_a', customerId: 'usr_c', driverId: 'drv_d', ...over });
const customer: StepActor = { kind: 'customer', userId: 'usr_c' };
const merchant: StepActor = { kind: 'merchant', merchantId: 'mer_a' };
const driver: StepActor = { kind: 'driver', driverId: 'drv_d' };
const stripe: StepActor = { kind: 'stripe' };

describe('order state machine', () => {
  it('follows the contract’s happy path', () => {
    const path: [OrderStatus, Parameters<typeof decideStep>[1], StepActor, OrderStatus][] = [
      ['pending_payment', 'paid', stripe, 'placed'],
      ['placed', 'accept', merchant, 'preparing'],
      ['preparing', 'ready', merchant, 'ready'],
      ['ready', 'pickup', driver, 'in_delivery'],
      ['in_delivery', 'deliver', driver, 'delivered'],
    ];
    const dispatchAt: Partial<Record<OrderStatus, OrderFacts['dispatch']>> = { ready: 'assigned', in_delivery: 'picked_up' };
    for (const [from, step, actor, to] of path) expect(decideStep(order(from, { dispatch: dispatchAt[from] ?? 'unassigned' }), step, actor)).toMatchObject({ ok: true, next: to });
  });

  it('checks status and dispatch together: a driver step needs the dispatch state it follows', () => {
    // Ready but not (yet) assigned in Postgres: the pickup waits for the assignment's commit.
    expect(decideStep(order('ready', { dispatch: 'offered' }), 'pickup', driver)).toEqual({ ok: false, reason: 'illegal', current: 'ready', currentDispatch: 'offered' });
    expect(decideStep(order('preparing', { dispatch: 'unassigned' }), 'arrived', driver)).toMatchObject({ ok: false, reason: 'illegal' });
    expect(decideStep(order('in_delivery', { dispatch: 'assigned' }), 'deliver', driver)).toMatchObject({ ok: false, reason: 'illegal' });
    // A merchant step never writes a dispatch state: the database keeps whatever it has when the step commits.
    for (const dispatch of ['unassigned', 'offered', 'assigned'] as const) {
      expect(decideStep(order('preparing', { dispatch }), 'ready', merchant)).toEqual({ ok: true, next: 'ready', dispatch: null });
    }
  });

  it('moves the dispatch state on pickup and delivery, and keeps the status on arrival', () => {
    expect(decideStep(order('ready', { dispatch: 'assigned' }), 'pickup', driver)).toEqual({ ok: true, next: 'in_delivery', dispatch: 'picked_up' });
    expect(decideStep(order('in_delivery', { dispatch: 'picked_up' }), 'deliver', driver)).toEqual({ ok: true, next: 'delivered', dispatch: 'dropped_off' });
    expect(decideStep(order('preparing', { dispatch: 'assigned' }), 'arrived', driver)).toEqual({ ok: true, next: 'preparing', dispatch: null });
  });

  it('lets the customer cancel before preparing and the merchant before in_delivery', () => {
    for (const s of ['pending_payment', 'placed'] as const) expect(decideStep(order(s), 'cancel', customer).ok).toBe(true);
    for (const s of ['preparing', 'ready', 'in_delivery', 'delivered'] as const) expect(decideStep(order(s), 'cancel', customer)).toEqual({ ok: false, reason: 'illegal', current: s, currentDispatch: 'unassigned' });
    for (const s of ['pending_payment', 'placed', 'preparing', 'ready'] as const) expect(decideStep(order(s), 'cancel', merchant).ok).toBe(true);
    for (const s of ['in_delivery', 'delivered', 'cancelled'] as const) expect(decideStep(order(s), 'cancel', merchant)).toMatchObject({ ok: false, reason: 'illegal' });
  });

  it('refuses steps to actors that are not the order’s party or not entitled to the step', () => {
    expect(decideStep(order('placed'), 'accept', customer)).toEqual({ ok: false, reason: 'forbidden' });
    expect(decideStep(order('placed'), 'accept', { kind: 'merchant', merchantId: 'mer_other' })).toEqual({ ok: false, reason: 'forbidden' });
    expect(decideStep(order('ready'), 'pickup', { kind: 'driver', driverId: 'drv_other' })).toEqual({ ok: false, reason: 'forbidden' });
    expect(decideStep(order('ready', { driverId: null }), 'pickup', driver)).toEqual({ ok: false, reason: 'forbidden' });
    expect(decideStep(order('pending_payment'), 'paid', customer)).toEqual({ ok: false, reason: 'forbidden' });
    expect(decideStep(order('placed', { customerId: null }), 'cancel', customer)).toEqual({ ok: false, reason: 'forbidden' });
  });

  it('never leaves a terminal status', () => {
    for (const terminal of ['delivered', 'cancelled', 'rejected', 'failed'] as const) {
      for (const step of ORDER_STEPS) {
        for (const actor of [customer, merchant, driver, stripe]) {
          const d = decideStep(order(terminal), step, actor);
          expect(d.ok, `${terminal} --${step}--> by ${actor.kind}`).toBe(false);
        }
      }
    }
  });

  it('every rule names real statuses, and every status but the initial one is reachable', () => {
    const reachable = new Set<OrderStatus>(['pending_payment']);
    for (const rule of Object.values(STEP_RULES)) {
      for (const froms of Object.values(rule.from)) for (const f of froms ?? []) expect(ORDER_STATUSES).toContain(f);
      if (rule.to !== 'same') reachable.add(rule.to);
    }
    expect([...reachable].sort()).toEqual([...ORDER_STATUSES].sort());
  });

  it('names outbox events after the status', () => {
    expect(statusEventType('pending_payment')).toBe('order.created');
    expect(statusEventType('in_delivery')).toBe('order.in_delivery');
  });
});
