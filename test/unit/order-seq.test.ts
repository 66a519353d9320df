import { describe, expect, it } from 'vitest';
import { acceptsSeq, laterView, maxSeq, newerOrder, newerOrders, seqOf } from '../../web/src/live/order-seq';

describe('order seq rule (web)', () => {
  it('replaces with a higher or equal seq, never a lower one', () => {
    expect(acceptsSeq(3, 4)).toBe(true);
    expect(acceptsSeq(3, 3)).toBe(true);
    expect(acceptsSeq(4, 3)).toBe(false);
  });

  it('takes anything without a seq as before (no seq on either side: replace)', () => {
    expect(acceptsSeq(5, undefined)).toBe(true);
    expect(acceptsSeq(5, null)).toBe(true);
    expect(acceptsSeq(undefined, 1)).toBe(true);
    expect(acceptsSeq(null, null)).toBe(true);
  });

  it('reads seq and orderSeq from frames, ignoring what is not a whole number', () => {
    expect(seqOf({ type: 'status', seq: 7 })).toBe(7);
    expect(seqOf({ type: 'status', seq: 12, orderSeq: 4 }, 'orderSeq')).toBe(4);
    expect(seqOf({ type: 'status', seq: 12 }, 'orderSeq')).toBeNull();
    for (const bad of [{ seq: '3' }, { seq: 1.5 }, { seq: -1 }, { seq: Number.NaN }, null, 'x', undefined]) expect(seqOf(bad)).toBeNull();
  });

  it('keeps the higher of two seqs', () => {
    expect(maxSeq(2, 5)).toBe(5);
    expect(maxSeq(5, 2)).toBe(5);
    expect(maxSeq(null, 2)).toBe(2);
    expect(maxSeq(2, undefined)).toBe(2);
    expect(maxSeq(undefined, null)).toBeNull();
  });

  it('holds the newer order across REST reads; a stale read is ignored', () => {
    const held = { id: 'ord_1', status: 'in_delivery', seq: 6 };
    expect(newerOrder(held, { id: 'ord_1', status: 'ready', seq: 4 })).toBe(held);
    const next = { id: 'ord_1', status: 'delivered', seq: 7 };
    expect(newerOrder(held, next)).toBe(next);
    const same = { id: 'ord_1', status: 'in_delivery', seq: 6 };
    expect(newerOrder(held, same)).toBe(same);
    const unsequenced = { id: 'ord_1', status: 'ready' };
    expect(newerOrder<{ id: string; status: string; seq?: number }>(held, unsequenced)).toBe(unsequenced);
    expect(newerOrder(undefined, next)).toBe(next);
  });

  it('merges a reloaded list order by order, in the reload’s order', () => {
    const held = [
      { id: 'a', seq: 5 },
      { id: 'b', seq: 1 },
    ];
    const read = [
      { id: 'c', seq: 1 },
      { id: 'b', seq: 2 },
      { id: 'a', seq: 3 },
    ];
    expect(newerOrders(held, read)).toEqual([{ id: 'c', seq: 1 }, { id: 'b', seq: 2 }, { id: 'a', seq: 5 }]);
  });

  it('picks the current of two views: by seq when both have one, else by the status path', () => {
    // The dispatch can step back (assigned → unassigned) at the same status: only seq can tell.
    const live = { status: 'preparing' as const, dispatch: 'unassigned', seq: 9 };
    const read = { status: 'preparing' as const, dispatch: 'assigned', seq: 8 };
    expect(laterView(live, read)).toBe(live);
    expect(laterView(read, live)).toBe(live);
    // A stale frame with a further status loses to a higher seq.
    expect(laterView({ status: 'in_delivery' as const, seq: 3 }, { status: 'cancelled' as const, seq: 4 }).status).toBe('cancelled');
    expect(laterView({ status: 'ready' as const, seq: 5 }, { status: 'in_delivery' as const, seq: 4 }).status).toBe('ready');
    // Without seqs: the further status.
    expect(laterView({ status: 'ready' as const }, { status: 'placed' as const, seq: 2 }).status).toBe('ready');
    expect(laterView({ status: 'placed' as const }, { status: 'delivered' as const }).status).toBe('delivered');
    expect(laterView({ status: null }, { status: 'placed' as const }).status).toBe('placed');
    expect(laterView({ status: 'placed' as const }, { status: undefined }).status).toBe('placed');
  });
});
