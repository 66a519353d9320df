/**
 * A scheduled order's offer (ADR 0108): the window the Worker passes with the
 * dispatch survives the shard's RPC validation, is kept on the job, and the
 * driver's offer shows it, in a frame the driver protocol accepts.
 */
import { describe, expect, it } from 'vitest';
import { DispatchRequestSchema } from '../../durable-objects/city-shard/rpc';
import { ServerToDriverSchema } from '../../domain/protocol/city-shard';
import { east, T0, ShardHarness as Shard } from '../support/shard-harness';

const scheduledFor = { start: '2026-12-04T18:00:00.000Z', end: '2026-12-04T18:30:00.000Z' };

describe('the offer of a scheduled order', () => {
  it('carries the delivery window from the dispatch request to the driver', () => {
    const request = { orderId: 'ord_s1', pickup: east(0), dropoff: east(2_000), payoutCents: 500, scheduledFor };
    expect(DispatchRequestSchema.parse(request).scheduledFor).toEqual(scheduledFor);

    const s = new Shard();
    s.online('d1', 100, T0);
    s.do({ type: 'dispatch.requested', request }, T0 + 1_000);
    expect(s.state.jobs.get('ord_s1')!.scheduledFor).toEqual(scheduledFor);
    const offer = s.sentTo('d1').find((m) => m.type === 'offer');
    expect(offer).toMatchObject({ type: 'offer', orderId: 'ord_s1', scheduledFor });
    expect(ServerToDriverSchema.safeParse(offer).success).toBe(true);
  });

  it('leaves an order delivered as soon as possible without one', () => {
    const s = new Shard();
    s.online('d1', 100, T0);
    s.dispatch('ord_a1', T0 + 1_000);
    const offer = s.sentTo('d1').find((m) => m.type === 'offer');
    expect(offer).toBeDefined();
    expect(offer).not.toHaveProperty('scheduledFor');
  });
});
