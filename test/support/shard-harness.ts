/**
 * The city shard's pure reducer (durable-objects/city-shard/state.ts) driven
 * step by step, for the unit tests of its transitions: a shard at a fixed
 * centre, drivers placed in metres east of it, the effects of the last step
 * and of every step, and readers for what drivers, watchers and Postgres
 * (the emitted facts) were told.
 */
import { expect } from 'vitest';
import type { ShardEvent } from '../../durable-objects/city-shard/events';
import { DEFAULT_POLICY, type Vehicle } from '../../durable-objects/city-shard/matching';
import type { Effect, ShardState, TimerKind } from '../../durable-objects/city-shard/model';
import type { ServerToDriver, ServerToWatcher } from '../../domain/protocol/city-shard';
import { createState, reduce, type ShardInput } from '../../durable-objects/city-shard/state';

export const CENTER = { lat: 48.8566, lng: 2.3522 };
export const T0 = 1_800_000_000_000;
const M_LNG = 111_195 * Math.cos((CENTER.lat * Math.PI) / 180);
/** A point `m` metres east of the centre. */
export const east = (m: number) => ({ lat: CENTER.lat, lng: CENTER.lng + m / M_LNG });
export const iso = (ms: number) => new Date(ms).toISOString();

export class ShardHarness {
  readonly state: ShardState = createState('cty_0test:0:0@48.8566,2.3522', CENTER, DEFAULT_POLICY);
  private n = 0;
  readonly ids = { offerId: () => `ofr_${++this.n}` };
  /** The effects of the last step. */
  effects: Effect[] = [];
  /** The effects of every step. */
  all: Effect[] = [];

  do<I extends ShardInput>(input: I, now: number) {
    const step = reduce(this.state, input, now, this.ids);
    this.effects = step.effects;
    this.all.push(...step.effects);
    return step.result;
  }

  /** A driver connected, available, with a fix `m` metres east of the centre. */
  online(driverId: string, m: number, now: number, vehicle: Vehicle = 'scooter') {
    this.do({ type: 'driver.connected', driverId, vehicle }, now);
    this.do({ type: 'driver.message', driverId, message: { type: 'availability', available: true } }, now);
    this.move(driverId, m, now);
  }

  move(driverId: string, m: number, now: number, at = now) {
    const p = east(m);
    return this.do({ type: 'driver.message', driverId, message: { type: 'location', lat: p.lat, lng: p.lng, at: iso(at) } }, now);
  }

  dispatch(orderId: string, now: number, pickupM = 0) {
    return this.do({ type: 'dispatch.requested', request: { orderId, pickup: east(pickupM), dropoff: east(pickupM + 2_000), payoutCents: 500 } }, now);
  }

  say(driverId: string, message: Extract<ShardInput, { type: 'driver.message' }>['message'], now: number) {
    return this.do({ type: 'driver.message', driverId, message }, now);
  }

  fire(kind: TimerKind, payload: string, now: number) {
    return this.do({ type: 'timer.fired', kind, payload }, now);
  }

  /** `driverId` accepts the open offer of `orderId` and Postgres confirms it. */
  assign(orderId: string, driverId: string, now: number) {
    const offer = this.state.offers.get(this.state.jobs.get(orderId)!.offerId!)!;
    expect(offer.driverId).toBe(driverId);
    this.do({ type: 'driver.message', driverId, message: { type: 'offer.accept', offerId: offer.offerId } }, now);
    this.do({ type: 'assignment.committed', orderId, offerId: offer.offerId, outcome: 'assigned', reason: null }, now);
  }

  sentTo(driverId: string, effects = this.effects): ServerToDriver[] {
    return effects.flatMap((e) => (e.type === 'send' && e.driverId === driverId ? [e.message] : []));
  }

  watchers(orderId: string, effects = this.effects): ServerToWatcher[] {
    return effects.flatMap((e) => (e.type === 'watchers' && e.orderId === orderId ? [e.message] : []));
  }

  /** The facts emitted for Postgres (all steps unless told), of one type or all. */
  events(type?: ShardEvent['type'], effects = this.all): ShardEvent[] {
    return effects.flatMap((e) => (e.type === 'emit' && (!type || e.event.type === type) ? [e.event] : []));
  }

  offerOf(orderId: string) {
    const job = this.state.jobs.get(orderId)!;
    return job.offerId ? this.state.offers.get(job.offerId)! : null;
  }

  timer(id: string, effects = this.effects) {
    return effects.find((e): e is Extract<Effect, { type: 'setTimer' }> => e.type === 'setTimer' && e.id === id);
  }
}
