import { describe, expect, it } from 'vitest';
import { parseSince, planCatchUp } from '../../durable-objects/merchant-feed/backlog';
import { FeedEventInputSchema } from '../../domain/protocol/merchant-feed';

describe('merchant feed catch-up', () => {
  it('replays exactly the events after `since` while they are all kept', () => {
    expect(planCatchUp(null, { oldestSeq: 1, latestSeq: 10 })).toEqual({ kind: 'none' });
    expect(planCatchUp(10, { oldestSeq: 1, latestSeq: 10 })).toEqual({ kind: 'none' });
    expect(planCatchUp(4, { oldestSeq: 1, latestSeq: 10 })).toEqual({ kind: 'replay', after: 4 });
    expect(planCatchUp(4, { oldestSeq: 5, latestSeq: 10 })).toEqual({ kind: 'replay', after: 4 });
    expect(planCatchUp(0, { oldestSeq: 1, latestSeq: 3 })).toEqual({ kind: 'replay', after: 0 });
  });

  it('asks for a resync when missed events were pruned or the position is from elsewhere', () => {
    expect(planCatchUp(3, { oldestSeq: 5, latestSeq: 10 })).toEqual({ kind: 'resync', reason: 'too_old' });
    expect(planCatchUp(3, { oldestSeq: null, latestSeq: 10 })).toEqual({ kind: 'resync', reason: 'too_old' });
    expect(planCatchUp(11, { oldestSeq: 1, latestSeq: 10 })).toEqual({ kind: 'resync', reason: 'unknown_seq' });
    expect(planCatchUp(0, { oldestSeq: null, latestSeq: 0 })).toEqual({ kind: 'none' });
  });

  it('parses ?since= strictly', () => {
    expect(parseSince('42')).toBe(42);
    expect(parseSince('0')).toBe(0);
    for (const bad of [null, '', '-1', '1.5', 'abc', '1e3', '9'.repeat(16)]) expect(parseSince(bad)).toBeNull();
  });

  it('validates what the Worker publishes', () => {
    const ok = { eventId: 'obx_1', event: 'order.placed', orderId: 'ord_1', status: 'placed', dispatch: 'unassigned', at: '2026-01-01T00:00:00.000Z' };
    expect(FeedEventInputSchema.parse(ok)).toEqual(ok);
    expect(FeedEventInputSchema.safeParse({ ...ok, status: 'eaten' }).success).toBe(false);
  });
});
