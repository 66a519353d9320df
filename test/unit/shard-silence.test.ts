/**
 * The watch on an assigned driver who goes silent (durable-objects/city-shard/silence.ts,
 * ADR 0079), as pure transitions: ping, then release and offer again before
 * pickup, alert after it; a driver heard in time keeps the order; every
 * timer may fire twice.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../durable-objects/city-shard/matching';
import { ServerToDriverSchema } from '../../domain/protocol/city-shard';
import { driverAlertsOf, withSilenceOverrides } from '../../durable-objects/city-shard/silence';
import { T0, east, iso, ShardHarness as Shard } from '../support/shard-harness';

const PING = DEFAULT_POLICY.silencePingMs;
const RELEASE = DEFAULT_POLICY.silenceReleaseMs;

/** d1 (near) holds ord_1, assigned at T0 and silent since; d2 (farther) is free and keeps sending fixes. */
function assigned() {
  const s = new Shard();
  s.online('d1', 300, T0 - 5_000);
  s.online('d2', 900, T0 - 5_000);
  s.do({ type: 'dispatch.requested', request: { orderId: 'ord_1', pickup: east(0), dropoff: east(2_000), payoutCents: 500 } }, T0 - 1_000);
  s.assign('ord_1', 'd1', T0);
  return s;
}

describe('silence watch: before pickup', () => {
  it('starts with the committed assignment, pings once at the ping time, releases at the release time, then offers the order again', () => {
    const s = assigned();
    expect(s.timer('silence:ord_1')).toMatchObject({ kind: 'driver_silence', fireAt: T0 + PING, payload: 'ord_1' });
    s.do({ type: 'driver.disconnected', driverId: 'd1' }, T0 + 1_000); // the socket closes for good

    s.fire('driver_silence', 'ord_1', T0 + PING);
    expect(s.sentTo('d1')).toEqual([{ type: 'assignment.ping', orderId: 'ord_1', silentSeconds: 120, releaseAt: iso(T0 + RELEASE) }]);
    expect(ServerToDriverSchema.safeParse(s.sentTo('d1')[0]).success).toBe(true);
    expect(s.events('dispatch.driver_pinged')).toEqual([expect.objectContaining({ orderId: 'ord_1', driverId: 'd1', silentSeconds: 120, releaseAt: iso(T0 + RELEASE), id: `ord_1:d1:${T0}:dispatch.driver_pinged` })]);
    expect(s.effects).toContainEqual({ type: 'note', orderId: 'ord_1', kind: 'driver_silent', detail: { driverId: 'd1', silentSeconds: 120 } });
    expect(s.timer('silence:ord_1')?.fireAt).toBe(T0 + RELEASE);
    expect(driverAlertsOf(s.state, T0 + PING)).toEqual([{ orderId: 'ord_1', driverId: 'd1', kind: 'silent', silentSince: iso(T0), releaseAt: iso(T0 + RELEASE), releasedAt: null }]);

    // Alarms run at least once: the same timer again pings nobody twice.
    s.fire('driver_silence', 'ord_1', T0 + PING + 10);
    expect(s.effects).toEqual([{ type: 'setTimer', id: 'silence:ord_1', kind: 'driver_silence', fireAt: T0 + RELEASE, payload: 'ord_1' }]);
    expect(s.events('dispatch.driver_pinged')).toHaveLength(1);

    s.move('d2', 900, T0 + RELEASE - 5_000); // the other driver is fresh
    s.fire('driver_silence', 'ord_1', T0 + RELEASE);
    expect(s.effects).toContainEqual({ type: 'commitRelease', orderId: 'ord_1' });
    expect(s.timer('release:ord_1')).toMatchObject({ kind: 'release_commit', payload: 'ord_1' });
    expect(s.effects).toContainEqual({ type: 'note', orderId: 'ord_1', kind: 'driver_unresponsive', detail: { driverId: 'd1', silentSeconds: 240 } });
    expect(s.state.jobs.get('ord_1')).toMatchObject({ driverId: 'd1', pendingRelease: { driverId: 'd1', silentSince: T0 } });
    // Nobody is told before Postgres has it; a repeated timer asks nothing more.
    expect(s.sentTo('d1')).toEqual([]);
    s.fire('driver_silence', 'ord_1', T0 + RELEASE + 10);
    expect(s.effects).toEqual([]);

    s.do({ type: 'release.committed', orderId: 'ord_1', driverId: 'd1', outcome: 'released', reason: null }, T0 + RELEASE + 100);
    const job = s.state.jobs.get('ord_1')!;
    expect(job).toMatchObject({ driverId: null, pendingRelease: null, watch: null, dispatch: 'offered' });
    expect(job.excluded.d1?.why).toMatch(/lost this order/);
    expect(s.state.offers.get(job.offerId!)!.driverId).toBe('d2');
    expect(s.sentTo('d2')[0]).toMatchObject({ type: 'offer', orderId: 'ord_1' });
    expect(s.state.drivers.get('d1')).toMatchObject({ orderId: null, available: false, notice: { orderId: 'ord_1', reason: 'driver_unresponsive', silentSeconds: 240, sentLive: false } });
    expect(s.events('dispatch.driver_released')).toEqual([expect.objectContaining({ orderId: 'ord_1', driverId: 'd1', reason: 'driver_unresponsive', silentSeconds: 240 })]);
    expect(s.effects).toContainEqual({ type: 'clearTimer', id: 'release:ord_1' });
    // The released driver's accepted offer ends: one live offer per order.
    expect(s.state.offers.get('ofr_1')).toMatchObject({ driverId: 'd1', status: 'cancelled', outcomeReason: 'released: not heard from for 240 s' });
    expect(s.events('dispatch.offer_resolved').at(-1)).toMatchObject({ id: 'ofr_1:released:dispatch.offer_resolved', status: 'cancelled' });
    expect(driverAlertsOf(s.state, T0 + RELEASE + 200)).toEqual([expect.objectContaining({ orderId: 'ord_1', driverId: 'd1', kind: 'released', releasedAt: iso(T0 + RELEASE + 100) })]);

    // A repeated answer, and a late silence timer, change nothing.
    s.do({ type: 'release.committed', orderId: 'ord_1', driverId: 'd1', outcome: 'released', reason: null }, T0 + RELEASE + 200);
    expect(s.effects).toEqual([]);
    s.fire('driver_silence', 'ord_1', T0 + RELEASE + 300);
    expect(s.effects).toEqual([]);

    // The other driver takes it; the watch is theirs now.
    s.assign('ord_1', 'd2', T0 + RELEASE + 1_000);
    expect(s.sentTo('d2')).toContainEqual({ type: 'assignment', orderId: 'ord_1' });
    expect(s.state.jobs.get('ord_1')!.watch).toMatchObject({ driverId: 'd2', since: T0 + RELEASE + 1_000 });

    // The first driver comes back: the session names no order, then says it was taken away, once.
    s.do({ type: 'driver.connected', driverId: 'd1', vehicle: 'scooter' }, T0 + RELEASE + 60_000);
    expect(s.sentTo('d1')).toEqual([
      expect.objectContaining({ type: 'session', orderId: null, available: false }),
      { type: 'assignment.released', orderId: 'ord_1', reason: 'driver_unresponsive', silentSeconds: 240 },
    ]);
    expect(s.state.drivers.get('d1')!.notice).toBeNull();
    s.do({ type: 'driver.connected', driverId: 'd1', vehicle: 'scooter' }, T0 + RELEASE + 90_000);
    expect(s.sentTo('d1').map((m) => m.type)).toEqual(['session']);
  });

  it('tells a driver whose socket is still open at once, and forgets the notice once that socket speaks', () => {
    const s = assigned();
    s.do({ type: 'driver.message', driverId: 'd2', message: { type: 'ping' } }, T0 + RELEASE - 1_000);
    s.move('d2', 900, T0 + RELEASE - 1_000);
    s.fire('driver_silence', 'ord_1', T0 + PING);
    s.fire('driver_silence', 'ord_1', T0 + RELEASE);
    s.do({ type: 'release.committed', orderId: 'ord_1', driverId: 'd1', outcome: 'duplicate', reason: null }, T0 + RELEASE);
    expect(s.sentTo('d1')).toEqual([{ type: 'assignment.released', orderId: 'ord_1', reason: 'driver_unresponsive', silentSeconds: 240 }]);
    expect(s.state.drivers.get('d1')!.notice).toMatchObject({ sentLive: true });
    s.do({ type: 'driver.message', driverId: 'd1', message: { type: 'availability', available: true } }, T0 + RELEASE + 5_000);
    expect(s.state.drivers.get('d1')!.notice).toBeNull();
    // Never offered this order again, even free and near.
    s.move('d1', 100, T0 + RELEASE + 6_000);
    expect(s.state.offers.get(s.state.jobs.get('ord_1')!.offerId!)!.driverId).toBe('d2');
  });

  it('keeps the order with a driver heard from in time: a fix, a message or an order step resets the silence', () => {
    const s = assigned();
    s.fire('driver_silence', 'ord_1', T0 + PING);
    expect(s.events('dispatch.driver_pinged')).toHaveLength(1);
    s.move('d1', 320, T0 + PING + 30_000); // back, 30 s after the ping
    s.fire('driver_silence', 'ord_1', T0 + RELEASE);
    expect(s.effects).toEqual([{ type: 'setTimer', id: 'silence:ord_1', kind: 'driver_silence', fireAt: T0 + PING + 30_000 + PING, payload: 'ord_1' }]);
    expect(s.state.jobs.get('ord_1')!.driverId).toBe('d1');
    expect(s.state.jobs.get('ord_1')!.pendingRelease ?? null).toBeNull();
    expect(driverAlertsOf(s.state, T0 + RELEASE)).toEqual([]);

    // Silent again: a new silence gets its own ping; a step through the API answers it.
    const t1 = T0 + PING + 30_000;
    s.fire('driver_silence', 'ord_1', t1 + PING);
    expect(s.events('dispatch.driver_pinged').map((e) => e.id)).toEqual([`ord_1:d1:${T0}:dispatch.driver_pinged`, `ord_1:d1:${t1}:dispatch.driver_pinged`]);
    s.do({ type: 'order.status', orderId: 'ord_1', status: 'preparing', dispatch: 'assigned', seq: 7, driverId: 'd1' }, t1 + PING + 60_000);
    s.fire('driver_silence', 'ord_1', t1 + RELEASE);
    expect(s.effects.some((e) => e.type === 'commitRelease')).toBe(false);
    // The bare ping frame never reaches the object; an explicit one does.
    s.do({ type: 'driver.message', driverId: 'd1', message: { type: 'ping', v: 1 } }, t1 + PING + 170_000);
    s.fire('driver_silence', 'ord_1', t1 + PING + 60_000 + PING);
    expect(s.effects.some((e) => e.type === 'emit')).toBe(false);
  });

  it('gives a driver pinged late (the alarm was behind) the whole grace before the release', () => {
    const s = assigned();
    s.fire('driver_silence', 'ord_1', T0 + 10 * 60_000);
    expect(s.sentTo('d1')[0]).toMatchObject({ type: 'assignment.ping', silentSeconds: 600, releaseAt: iso(T0 + 10 * 60_000 + RELEASE - PING) });
    s.fire('driver_silence', 'ord_1', T0 + 10 * 60_000 + 1_000);
    expect(s.effects.some((e) => e.type === 'commitRelease')).toBe(false);
    s.fire('driver_silence', 'ord_1', T0 + 10 * 60_000 + RELEASE - PING);
    expect(s.effects).toContainEqual({ type: 'commitRelease', orderId: 'ord_1' });
  });

  it('leaves the order with the driver when Postgres refuses the release (picked up meanwhile), and watches on', () => {
    const s = assigned();
    s.fire('driver_silence', 'ord_1', T0 + PING);
    s.fire('driver_silence', 'ord_1', T0 + RELEASE);
    s.fire('release_commit', 'ord_1', T0 + RELEASE + 2_000); // no answer yet: asked again
    expect(s.effects).toContainEqual({ type: 'commitRelease', orderId: 'ord_1' });
    expect(s.timer('release:ord_1')?.fireAt).toBe(T0 + RELEASE + 2_000 + 4_000);
    s.do({ type: 'release.committed', orderId: 'ord_1', driverId: 'd1', outcome: 'refused', reason: 'order is in_delivery (dispatch picked_up)' }, T0 + RELEASE + 3_000);
    expect(s.state.jobs.get('ord_1')).toMatchObject({ driverId: 'd1', pendingRelease: null, watch: { driverId: 'd1' } });
    expect(s.state.drivers.get('d1')!.orderId).toBe('ord_1');
    expect(s.sentTo('d1')).toEqual([]);
    expect(s.effects).toContainEqual({ type: 'note', orderId: 'ord_1', kind: 'release_refused', detail: { driverId: 'd1', reason: 'order is in_delivery (dispatch picked_up)' } });
    expect(s.timer('silence:ord_1')?.fireAt).toBe(T0 + RELEASE + 3_000 + PING);
  });

  it('stops watching when the order ends', () => {
    const s = assigned();
    s.do({ type: 'dispatch.cancelled', orderId: 'ord_1', reason: 'customer cancelled' }, T0 + 60_000);
    expect(s.effects).toContainEqual({ type: 'clearTimer', id: 'silence:ord_1' });
    s.fire('driver_silence', 'ord_1', T0 + PING);
    expect(s.effects).toEqual([]);
  });
});

describe('silence watch: after pickup', () => {
  it('pings, then alerts operators once per silence and never takes the order away', () => {
    const s = assigned();
    s.do({ type: 'order.status', orderId: 'ord_1', status: 'in_delivery', dispatch: 'picked_up', seq: 9, driverId: 'd1' }, T0);
    s.fire('driver_silence', 'ord_1', T0 + PING);
    expect(s.sentTo('d1')).toEqual([{ type: 'assignment.ping', orderId: 'ord_1', silentSeconds: 120, releaseAt: null }]);
    s.fire('driver_silence', 'ord_1', T0 + RELEASE);
    expect(s.events('dispatch.driver_silent')).toEqual([expect.objectContaining({ orderId: 'ord_1', driverId: 'd1', silentSeconds: 240, afterPickup: true })]);
    expect(s.effects).toContainEqual({ type: 'note', orderId: 'ord_1', kind: 'driver_unresponsive', detail: { driverId: 'd1', silentSeconds: 240, afterPickup: true } });
    expect(s.effects.some((e) => e.type === 'commitRelease')).toBe(false);
    expect(driverAlertsOf(s.state, T0 + RELEASE)).toEqual([expect.objectContaining({ kind: 'silent_after_pickup', driverId: 'd1', releaseAt: null })]);
    s.fire('driver_silence', 'ord_1', T0 + RELEASE + PING);
    s.fire('driver_silence', 'ord_1', T0 + RELEASE + PING);
    expect(s.events('dispatch.driver_silent')).toHaveLength(1);
    expect(s.state.jobs.get('ord_1')!.driverId).toBe('d1');
    // Heard again: the alert clears.
    s.move('d1', 1_500, T0 + RELEASE + PING + 1_000);
    expect(driverAlertsOf(s.state, T0 + RELEASE + PING + 2_000)).toEqual([]);
  });
});

describe('silence watch: a driver of another shard (ADR 0060)', () => {
  it('is heard through relayed trip positions, pushed (no socket here), and released through its shard', () => {
    const s = new Shard();
    s.do({ type: 'dispatch.requested', request: { orderId: 'ord_x', pickup: east(0), dropoff: east(2_000), payoutCents: 500 } }, T0 - 1_000);
    const job = s.state.jobs.get('ord_x')!;
    // As the owner after a remote acceptance was committed (cross-shard.ts, offers.ts).
    Object.assign(job, { driverId: 'rd', driverShard: 'cty_0test:0:1@48.8566,2.46147#8', dispatch: 'assigned', offerId: null });
    s.do({ type: 'remote.trip', body: { orderId: 'ord_x', driverId: 'rd', vehicle: 'bike', position: { ...east(500), heading: null, speed: null, accuracy: null, at: T0 + 30_000 } } }, T0 + 30_000);
    job.watch = { driverId: 'rd', since: T0, pingedFor: null, pingedAt: null, alertedFor: null };

    s.fire('driver_silence', 'ord_x', T0 + PING);
    expect(s.effects).toEqual([{ type: 'setTimer', id: 'silence:ord_x', kind: 'driver_silence', fireAt: T0 + 30_000 + PING, payload: 'ord_x' }]);
    s.fire('driver_silence', 'ord_x', T0 + 30_000 + PING);
    expect(s.sentTo('rd')).toEqual([]);
    expect(s.events('dispatch.driver_pinged')).toEqual([expect.objectContaining({ driverId: 'rd', silentSeconds: 120 })]);
    s.fire('driver_silence', 'ord_x', T0 + 30_000 + RELEASE);
    expect(s.effects).toContainEqual({ type: 'commitRelease', orderId: 'ord_x' });
    s.do({ type: 'release.committed', orderId: 'ord_x', driverId: 'rd', outcome: 'released', reason: null }, T0 + 30_000 + RELEASE);
    expect(s.effects).toContainEqual({
      type: 'remoteCall',
      call: { id: 'release:ord_x:rd', shardKey: 'cty_0test:0:1@48.8566,2.46147#8', kind: 'release', body: { orderId: 'ord_x', driverId: 'rd', cancelled: false, reason: 'driver_unresponsive', silentSeconds: 240 } },
    });
    expect(job).toMatchObject({ driverId: null, driverShard: null, dispatch: 'unassigned' });
  });

  it('on the driver’s shard: the release tells the driver and frees them', () => {
    const s = new Shard();
    s.online('rd', 300, T0);
    Object.assign(s.state.drivers.get('rd')!, { orderId: 'ord_x', orderShard: 'cty_other' });
    s.do({ type: 'remote.release', body: { orderId: 'ord_x', driverId: 'rd', cancelled: false, reason: 'driver_unresponsive', silentSeconds: 240 } }, T0 + RELEASE);
    expect(s.sentTo('rd')).toEqual([{ type: 'assignment.released', orderId: 'ord_x', reason: 'driver_unresponsive', silentSeconds: 240 }]);
    expect(s.state.drivers.get('rd')).toMatchObject({ orderId: null, orderShard: null, available: false, notice: { orderId: 'ord_x', sentLive: true } });
  });
});

describe('silence times', () => {
  it('take a deployment override in seconds, and keep the defaults for invalid ones', () => {
    expect(withSilenceOverrides(DEFAULT_POLICY, {})).toBe(DEFAULT_POLICY);
    expect(withSilenceOverrides(DEFAULT_POLICY, { DRIVER_SILENCE_PING_SECONDS: '120', DRIVER_SILENCE_RELEASE_SECONDS: '240' })).toBe(DEFAULT_POLICY);
    expect(withSilenceOverrides(DEFAULT_POLICY, { DRIVER_SILENCE_PING_SECONDS: '60', DRIVER_SILENCE_RELEASE_SECONDS: '300' })).toMatchObject({ silencePingMs: 60_000, silenceReleaseMs: 300_000 });
    expect(withSilenceOverrides(DEFAULT_POLICY, { DRIVER_SILENCE_PING_SECONDS: 'soon', DRIVER_SILENCE_RELEASE_SECONDS: '-1' })).toBe(DEFAULT_POLICY);
    // A release not after the ping is refused: twice the ping at least.
    expect(withSilenceOverrides(DEFAULT_POLICY, { DRIVER_SILENCE_PING_SECONDS: '300', DRIVER_SILENCE_RELEASE_SECONDS: '200' })).toMatchObject({ silencePingMs: 300_000, silenceReleaseMs: 600_000 });
  });
});
