/**
 * The living demo city's decisions (scripts/lib/simulator/behaviour.ts) run
 * step by step on a simulated clock against a small in-memory platform that
 * keeps the rules the real one enforces (docs/api.md: order steps, PIN at the
 * door, one open offer per driver, a driver freed when its order ends, moves
 * faster than 50 m/s refused). No timers, no network: the same seed gives the
 * same city.
 */
import { describe, expect, it } from 'vitest';
import {
  DriverBrain,
  effectiveSpeedFactor,
  MAX_APPARENT_MPS,
  merchantPlan,
  nextOrderGapMs,
  DROPOFF_RANGE_M,
  type DriverCommand,
  type DriverInput,
  type DriverStepName,
  type OrderInfo,
} from '../../scripts/lib/simulator/behaviour';
import { distanceM, offset, randomPointNear, seededRandom, type LatLng, type Random, type Vehicle } from '../../scripts/lib/simulator/geo';
import { SimLedger, summaryLine } from '../../scripts/lib/simulator/ledger';
import { DEFAULTS } from '../../scripts/lib/simulator/options';

const CENTER: LatLng = { lat: 48.8566, lng: 2.3522 };
const SHOPS: LatLng[] = [offset(CENTER, -700, 600), offset(CENTER, 300, 200), offset(CENTER, 900, -600)];
const VEHICLES: Vehicle[] = ['bike', 'scooter', 'car'];
const TIMING = { acceptDelaySeconds: 5, prepSeconds: 20, humanOrderGraceSeconds: 45, giveUpAfterSeconds: 600 };

interface FakeOrder {
  id: string;
  status: string;
  pickup: LatLng;
  dropoff: LatLng;
  pin: string;
  placedAt: number;
  requiresPrescription: boolean;
  dispatching: boolean;
  driverId: number | null;
  offerId: string | null;
  excluded: Map<number, number>;
}

interface FakeDriver {
  connected: boolean;
  available: boolean;
  orderId: string | null;
  offerId: string | null;
  position: { lat: number; lng: number; at: number } | null;
  inbox: DriverInput[];
}

/** The platform as the simulated people see it: the order API and the driver's live channel. */
class FakePlatform {
  readonly orders = new Map<string, FakeOrder>();
  readonly drivers: FakeDriver[] = [];
  private readonly offers = new Map<string, { orderId: string; driverId: number; expiresAt: number }>();
  private seq = 0;
  implausible = 0;
  wrongProof = 0;

  constructor(private readonly rand: Random) {}

  addDriver(): number {
    this.drivers.push({ connected: false, available: false, orderId: null, offerId: null, position: null, inbox: [] });
    return this.drivers.length - 1;
  }

  online(i: number): void {
    const d = this.drivers[i]!;
    d.connected = true;
    d.available = true;
    d.inbox.push({ type: 'session', orderId: d.orderId });
  }

  offline(i: number): void {
    const d = this.drivers[i]!;
    d.connected = false;
    d.available = false;
    if (d.offerId) this.expire(d.offerId);
  }

  /** The shard's position rules: a move faster than 50 m/s is refused. */
  fix(i: number, p: LatLng, now: number): void {
    const d = this.drivers[i]!;
    if (!d.connected) return;
    if (d.position && distanceM(d.position, p) > 20 && distanceM(d.position, p) / Math.max(1, (now - d.position.at) / 1000) > 50) {
      this.implausible++;
      return;
    }
    d.position = { ...p, at: now };
  }

  place(shop: LatLng, now: number): FakeOrder {
    const id = `ord_${++this.seq}`;
    const order: FakeOrder = {
      id,
      status: 'placed',
      pickup: shop,
      dropoff: randomPointNear(shop, DROPOFF_RANGE_M[0], DROPOFF_RANGE_M[1], this.rand),
      pin: String(1000 + Math.floor(this.rand() * 9000)),
      placedAt: now,
      requiresPrescription: this.rand() < 0.1,
      dispatching: false,
      driverId: null,
      offerId: null,
      excluded: new Map(),
    };
    this.orders.set(id, order);
    return order;
  }

  merchantStep(orderId: string, step: 'accept' | 'ready' | 'cancel'): boolean {
    const o = this.orders.get(orderId)!;
    if (step === 'cancel' && ['placed', 'preparing', 'ready'].includes(o.status)) {
      o.status = 'cancelled';
      o.dispatching = false;
      if (o.offerId) this.expire(o.offerId);
      if (o.driverId !== null) {
        this.drivers[o.driverId]!.orderId = null;
        this.drivers[o.driverId]!.inbox.push({ type: 'assignment.cancelled', orderId });
      }
      return true;
    }
    if (step === 'accept' && o.status === 'placed') {
      o.status = 'preparing';
      o.dispatching = true; // the merchant's accept starts dispatch
      return true;
    }
    if (step === 'ready' && o.status === 'preparing') {
      o.status = 'ready';
      return true;
    }
    return false;
  }

  private expire(offerId: string): void {
    const offer = this.offers.get(offerId);
    if (!offer) return;
    this.offers.delete(offerId);
    const o = this.orders.get(offer.orderId)!;
    const d = this.drivers[offer.driverId]!;
    o.offerId = null;
    d.offerId = null;
    d.inbox.push({ type: 'offer.expired', offerId });
  }

  /** The offer loop: nearest free driver, 20 s to answer, a driver who declined or let it expire is skipped for a while. */
  dispatch(now: number): void {
    for (const [offerId, offer] of this.offers) {
      if (offer.expiresAt <= now) {
        this.orders.get(offer.orderId)!.excluded.set(offer.driverId, now + 120_000);
        this.expire(offerId);
      }
    }
    for (const o of this.orders.values()) {
      if (!o.dispatching || o.driverId !== null || o.offerId !== null) continue;
      let best: number | null = null;
      let bestM = 10_000;
      this.drivers.forEach((d, i) => {
        if (!d.connected || !d.available || d.orderId || d.offerId || !d.position || (o.excluded.get(i) ?? 0) > now) return;
        const m = distanceM(d.position, o.pickup);
        if (m < bestM) [best, bestM] = [i, m];
      });
      if (best === null) continue;
      const offerId = `off_${++this.seq}`;
      this.offers.set(offerId, { orderId: o.id, driverId: best, expiresAt: now + 20_000 });
      o.offerId = offerId;
      this.drivers[best]!.offerId = offerId;
      this.drivers[best]!.inbox.push({ type: 'offer', offerId, orderId: o.id });
    }
  }

  answer(i: number, offerId: string, accept: boolean, now: number): void {
    const offer = this.offers.get(offerId);
    if (!offer || offer.driverId !== i) return;
    this.offers.delete(offerId);
    const o = this.orders.get(offer.orderId)!;
    const d = this.drivers[i]!;
    o.offerId = null;
    d.offerId = null;
    if (!accept) {
      o.excluded.set(i, now + 600_000);
      return;
    }
    o.driverId = i;
    d.orderId = o.id;
    d.inbox.push({ type: 'assignment', orderId: o.id });
  }

  read(i: number, orderId: string): { order: OrderInfo | null; status: number } {
    const o = this.orders.get(orderId);
    if (!o || o.driverId !== i) return { order: null, status: 404 };
    return { order: { id: o.id, status: o.status, pickup: { location: o.pickup }, dropoff: { location: o.dropoff }, requiresPrescription: o.requiresPrescription }, status: 200 };
  }

  /** The driver's order steps, with the contract's rules; a terminal status frees the driver (the shard's release). */
  step(i: number, orderId: string, step: DriverStepName, body: Record<string, unknown> | undefined): { ok: boolean; status: number } {
    const o = this.orders.get(orderId);
    if (!o || o.driverId !== i) return { ok: false, status: 404 };
    if (step === 'arrived') return o.status === 'preparing' || o.status === 'ready' ? { ok: true, status: 200 } : { ok: false, status: 409 };
    if (step === 'pickup') {
      if (o.status !== 'ready') return { ok: false, status: 409 };
      o.status = 'in_delivery';
      return { ok: true, status: 200 };
    }
    if (o.status !== 'in_delivery') return { ok: false, status: 409 };
    if (step === 'fail') {
      o.status = 'failed';
      this.drivers[i]!.orderId = null;
      return { ok: true, status: 200 };
    }
    const proofOk = body?.pin !== undefined ? body.pin === o.pin : body?.photoUrl === `photo:${o.id}`;
    if (!proofOk || (o.requiresPrescription && !body?.idCheck)) {
      this.wrongProof++;
      return { ok: false, status: 422 };
    }
    o.status = 'delivered';
    this.drivers[i]!.orderId = null;
    return { ok: true, status: 200 };
  }
}

interface CityRun {
  platform: FakePlatform;
  brains: DriverBrain[];
  ledger: SimLedger;
  phasesSeen: Set<string>;
  /** Per driver: how many offers it was sent. */
  offersSeen: number[];
}

/** Runs a city on a simulated clock: orders for `orderMinutes`, then `drainMinutes` with none. */
function runCity(o: {
  drivers: number;
  ordersPerMinute: number;
  speed: number;
  orderMinutes: number;
  drainMinutes: number;
  seed: number;
  breakRate?: number;
  giveUpAfterSeconds?: number;
  brainFor?: (i: number) => DriverBrain | null;
}): CityRun {
  const timing = { ...TIMING, giveUpAfterSeconds: o.giveUpAfterSeconds ?? TIMING.giveUpAfterSeconds };
  const rand = seededRandom(o.seed);
  const platform = new FakePlatform(rand);
  const ledger = new SimLedger();
  const brains: DriverBrain[] = [];
  for (let i = 0; i < o.drivers; i++) {
    platform.addDriver();
    brains.push(
      o.brainFor?.(i) ??
        new DriverBrain(randomPointNear(SHOPS[i % SHOPS.length]!, 200, 2500, rand), VEHICLES[i % VEHICLES.length]!, SHOPS, CENTER, rand, {
          speed: o.speed,
          declineRate: 0.1,
          breakRate: o.breakRate ?? 0.1,
          breakSeconds: [60, 150],
          // Some orders were placed by people: their code is unknown, a photo is the proof.
          pinFor: (id) => (Number(id.slice(4)) % 5 === 0 ? undefined : platform.orders.get(id)?.pin),
        }),
    );
    platform.online(i);
  }
  const answers: DriverInput[][] = brains.map(() => []);
  const merchantSteps: { at: number; orderId: string; step: 'accept' | 'ready' | 'cancel' }[] = [];
  const phasesSeen = new Set<string>();
  const offersSeen = brains.map(() => 0);
  const plan = (orderId: string, now: number) => {
    const order = platform.orders.get(orderId)!;
    const p = merchantPlan({ status: order.status, simulated: true, acceptedBySim: true, sinceMs: now }, now, timing);
    if (p) merchantSteps.push({ at: now + p.delaySeconds * 1000, orderId, step: p.step });
  };
  const run = (i: number, commands: DriverCommand[], now: number) => {
    for (const c of commands) {
      if (c.type === 'answer') platform.answer(i, c.offerId, c.accept, now);
      else if (c.type === 'read') answers[i]!.push({ type: 'order', orderId: c.orderId, ...platform.read(i, c.orderId) });
      // A photo is uploaded first; the fake accepts the URL it would have answered.
      else if (c.type === 'step') answers[i]!.push({ type: 'step.done', orderId: c.orderId, step: c.step, ...platform.step(i, c.orderId, c.step, c.photo ? { ...c.body, photoUrl: `photo:${c.orderId}` } : c.body) });
      else if (c.type === 'go_offline') platform.offline(i);
      else if (c.type === 'go_online') platform.online(i);
      else if (c.what === 'assigned') ledger.assigned(c.orderId, now);
      else if (c.what === 'picked_up') ledger.pickedUp(c.orderId, now);
      else ledger.delivered(c.orderId, now);
    }
  };

  const placeUntil = o.orderMinutes * 60_000;
  const end = placeUntil + o.drainMinutes * 60_000;
  let nextOrderAt = nextOrderGapMs(rand, o.ordersPerMinute);
  for (let now = 0; now <= end; now += 1_000) {
    while (nextOrderAt <= now && nextOrderAt < placeUntil) {
      const order = platform.place(SHOPS[Math.floor(rand() * SHOPS.length)]!, now);
      ledger.created(order.id, now);
      ledger.placed(order.id, now);
      plan(order.id, now);
      nextOrderAt += nextOrderGapMs(rand, o.ordersPerMinute);
    }
    // The merchants' 15 s sweep: orders no driver took for too long are given up.
    if (now % 15_000 === 0) {
      for (const order of platform.orders.values()) {
        const p = merchantPlan({ status: order.status, dispatch: order.driverId === null ? 'unassigned' : 'assigned', simulated: true, acceptedBySim: true, sinceMs: order.placedAt }, now, timing);
        if (p?.step === 'cancel') merchantSteps.push({ at: now, orderId: order.id, step: 'cancel' });
      }
    }
    merchantSteps.sort((a, b) => a.at - b.at);
    while (merchantSteps.length > 0 && merchantSteps[0]!.at <= now) {
      const s = merchantSteps.shift()!;
      if (platform.merchantStep(s.orderId, s.step)) {
        if (s.step === 'accept') ledger.accepted(s.orderId, now);
        if (s.step === 'cancel') ledger.failed(s.orderId, now, 'cancelled: no driver');
        else plan(s.orderId, now);
      }
    }
    platform.dispatch(now);
    brains.forEach((brain, i) => {
      // What the channel brought and the answers to last second's requests (requests take a moment).
      const inputs = [...platform.drivers[i]!.inbox.splice(0), ...answers[i]!.splice(0)];
      for (const input of inputs) {
        if (input.type === 'offer') offersSeen[i]!++;
        run(i, brain.handle(input, now), now);
      }
      // The phone's fix interval: 2 s.
      if (now % 2_000 === 0) {
        run(i, brain.tick(now), now);
        const f = brain.fix();
        if (f) platform.fix(i, f.position, now);
      }
      phasesSeen.add(brain.phase);
    });
  }
  return { platform, brains, ledger, phasesSeen, offersSeen };
}

describe('the living demo city, step by step', () => {
  it('keeps flowing at the default settings: orders are delivered with the PIN and drivers come back for more', () => {
    // The defaults of `npm start` (scripts/lib/simulator/options.ts): 17 drivers, 6 orders a minute, driving compressed 5 times.
    const { platform, brains, ledger, phasesSeen } = runCity({ drivers: DEFAULTS.drivers, ordersPerMinute: DEFAULTS.ordersPerMinute, speed: DEFAULTS.speed, breakRate: DEFAULTS.breakRate, orderMinutes: 10, drainMinutes: 7, seed: 42 });
    const s = ledger.summary();
    expect(s.placed).toBeGreaterThan(40);
    // Every order was accepted, assigned, picked up and delivered; none is left open and none failed.
    expect(s.accepted).toBe(s.placed);
    expect(s.assigned).toBe(s.placed);
    expect(s.delivered).toBe(s.placed);
    expect(s.open).toBe(0);
    expect(s.failed).toBe(0);
    expect([...platform.orders.values()].every((o) => o.status === 'delivered')).toBe(true);
    expect(platform.wrongProof).toBe(0);
    // Far more deliveries than drivers: each driver went back to available and took more orders.
    const perDriver = brains.map((b) => b.deliveries);
    expect(perDriver.reduce((a, b) => a + b, 0)).toBe(s.delivered);
    expect(perDriver.filter((n) => n >= 2).length).toBeGreaterThanOrEqual(10);
    // After the drain every driver is free again, online and available (breaks are over too).
    for (const [i, b] of brains.entries()) {
      expect(b.phase, `driver ${i}`).toBe('idle');
      expect(platform.drivers[i], `driver ${i}`).toMatchObject({ connected: true, available: true, orderId: null });
    }
    expect(phasesSeen).toEqual(new Set(['idle', 'assigned', 'to_pickup', 'at_pickup', 'to_dropoff', 'at_dropoff', 'break']));
    // Quick assignment, and a delivery in a few minutes on the compressed clock.
    expect(s.medianToAssignS!).toBeLessThan(15);
    expect(s.medianToDeliverS!).toBeLessThan(240);
    // The time compression never makes a fix look faster than the shard accepts.
    expect(platform.implausible).toBe(0);
  });

  it('a run of about five minutes shows tens of deliveries', () => {
    const { ledger, brains } = runCity({ drivers: DEFAULTS.drivers, ordersPerMinute: DEFAULTS.ordersPerMinute, speed: DEFAULTS.speed, breakRate: DEFAULTS.breakRate, orderMinutes: 5, drainMinutes: 0, seed: 7 });
    // 6 orders a minute, about 1 min 45 s from placed to delivered: the first deliveries come after two minutes.
    expect(ledger.summary().delivered).toBeGreaterThanOrEqual(15);
    // Already within five minutes, some drivers are on their second order.
    expect(brains.filter((b) => b.deliveries >= 2).length).toBeGreaterThanOrEqual(3);
  });

  it('fails loudly when drivers never come back: a driver that stays busy after delivering takes one order only', () => {
    // Sanity of the harness: brains that never free themselves deliver at most one order each, and orders pile up.
    class StuckBrain extends DriverBrain {
      override tick(now: number): DriverCommand[] {
        return super.tick(now).filter((c) => this.deliveries === 0 || c.type !== 'answer');
      }
    }
    const rand = seededRandom(5);
    const { ledger, brains } = runCity({
      drivers: 6,
      ordersPerMinute: 6,
      speed: 5,
      orderMinutes: 6,
      drainMinutes: 4,
      seed: 5,
      breakRate: 0,
      brainFor: (i) => new StuckBrain(SHOPS[i % 3]!, 'car', SHOPS, CENTER, rand, { speed: 5, declineRate: 0, breakRate: 0, breakSeconds: [60, 60], pinFor: () => undefined }),
    });
    expect(brains.every((b) => b.deliveries <= 1)).toBe(true);
    expect(ledger.summary().open).toBeGreaterThan(20);
  });

  it('a driver whose handover is refused retries, then reports the delivery failed instead of staying stuck (and busy)', () => {
    const rand = seededRandom(1);
    const brain = new DriverBrain(SHOPS[0]!, 'car', SHOPS, CENTER, rand, { speed: 5, declineRate: 0, breakRate: 0, breakSeconds: [60, 60], pinFor: () => '0000' });
    const order: OrderInfo = { id: 'ord_x', status: 'in_delivery', pickup: { location: SHOPS[0]! }, dropoff: { location: offset(SHOPS[0]!, 300, 0) } };
    let now = 0;
    const out = brain.handle({ type: 'assignment', orderId: 'ord_x' }, now);
    expect(out).toContainEqual({ type: 'read', orderId: 'ord_x' });
    brain.handle({ type: 'order', orderId: 'ord_x', order, status: 200 }, now);
    expect(brain.phase).toBe('to_dropoff');
    let delivers = 0;
    let failed: DriverCommand | undefined;
    for (now = 2_000; now < 300_000 && !failed; now += 2_000) {
      for (const c of brain.tick(now)) {
        if (c.type === 'step' && c.step === 'deliver') {
          delivers++;
          expect(c.body).toEqual({ pin: '0000' });
          for (const r of brain.handle({ type: 'step.done', orderId: 'ord_x', step: 'deliver', ok: false, status: 422 }, now)) {
            if (r.type === 'read') failed = brain.handle({ type: 'order', orderId: 'ord_x', order, status: 200 }, now).find((f) => f.type === 'step');
          }
        }
      }
    }
    expect(delivers).toBeGreaterThan(1);
    expect(delivers).toBeLessThanOrEqual(7);
    // The order is ended as failed, which frees the driver on the platform's side too.
    expect(failed).toEqual({ type: 'step', orderId: 'ord_x', step: 'fail', body: { reason: 'could not hand the order over' } });
    expect(brain.phase).toBe('at_dropoff');
    brain.handle({ type: 'step.done', orderId: 'ord_x', step: 'fail', ok: true, status: 200 }, now);
    expect(brain.phase).toBe('idle');
  });

  it('after a reconnect the shard decides: an order that ended meanwhile frees the driver', () => {
    const brain = new DriverBrain(SHOPS[0]!, 'bike', SHOPS, CENTER, seededRandom(2), { speed: 5, declineRate: 0, breakRate: 0, breakSeconds: [60, 60], pinFor: () => undefined });
    brain.handle({ type: 'assignment', orderId: 'ord_y' }, 0);
    brain.handle({ type: 'order', orderId: 'ord_y', status: 200, order: { id: 'ord_y', status: 'preparing', pickup: { location: offset(SHOPS[0]!, 800, 0) }, dropoff: { location: SHOPS[1]! } } }, 0);
    expect(brain.phase).toBe('to_pickup');
    const check = brain.handle({ type: 'session', orderId: null }, 10_000);
    expect(check).toEqual([{ type: 'read', orderId: 'ord_y' }]);
    brain.handle({ type: 'order', orderId: 'ord_y', status: 200, order: { id: 'ord_y', status: 'cancelled', dropoff: { location: SHOPS[1]! } } }, 10_500);
    expect(brain.phase).toBe('idle');
    expect(brain.orderId).toBeNull();
  });

  it('an overloaded city does not pile up for ever: merchants give up on orders no driver took', () => {
    const overloaded = { drivers: 4, ordersPerMinute: 8, speed: 5, orderMinutes: 20, drainMinutes: 0, seed: 11 } as const;
    const piled = runCity({ ...overloaded, giveUpAfterSeconds: 0 }).ledger.summary();
    const bounded = runCity({ ...overloaded, giveUpAfterSeconds: 300 }).ledger.summary();
    expect(piled.failed).toBe(0);
    expect(piled.open).toBeGreaterThan(80);
    // At most about five minutes of orders wait; the rest were cancelled (refunded) by their merchants.
    expect(bounded.failed).toBeGreaterThan(40);
    expect(bounded.open).toBeLessThan(60);
    expect(bounded.open).toBeLessThan(piled.open / 2);
    expect(bounded.delivered).toBeGreaterThan(20);
  });
});

describe('simulator knobs', () => {
  it('caps the time compression so no vehicle looks faster than the shard allows', () => {
    expect(effectiveSpeedFactor('bike', 5)).toBe(5);
    expect(effectiveSpeedFactor('car', 5)).toBeLessThan(5);
    for (const v of VEHICLES) for (const speed of [1, 2, 5, 20]) expect(effectiveSpeedFactor(v, speed) * { bike: 4.5, scooter: 7, car: 8 }[v] * 1.15).toBeLessThanOrEqual(MAX_APPARENT_MPS + 1e-9);
    expect(effectiveSpeedFactor('car', 1)).toBe(1);
  });

  it('places orders at the configured rate on average', () => {
    const rand = seededRandom(9);
    let total = 0;
    for (let i = 0; i < 2_000; i++) total += nextOrderGapMs(rand, 6);
    expect(total / 2_000).toBeGreaterThan(9_000);
    expect(total / 2_000).toBeLessThan(11_000);
  });

  it('merchants accept simulated orders after the accept delay and people’s after the grace period', () => {
    const now = 100_000;
    expect(merchantPlan({ status: 'placed', simulated: true, acceptedBySim: false, sinceMs: now }, now, TIMING)).toEqual({ step: 'accept', delaySeconds: 5 });
    // A scheduled order (ADR 0108) is prepared to be ready at its window's start, not at once.
    expect(merchantPlan({ status: 'preparing', simulated: true, acceptedBySim: true, sinceMs: now, readyBy: now + 600_000 }, now, TIMING)).toEqual({ step: 'ready', delaySeconds: 600 });
    expect(merchantPlan({ status: 'preparing', simulated: true, acceptedBySim: true, sinceMs: now, readyBy: now - 60_000 }, now, TIMING)).toEqual({ step: 'ready', delaySeconds: TIMING.prepSeconds });
    expect(merchantPlan({ status: 'placed', simulated: false, acceptedBySim: false, sinceMs: now - 30_000 }, now, TIMING)).toEqual({ step: 'accept', delaySeconds: 15 });
    expect(merchantPlan({ status: 'placed', simulated: false, acceptedBySim: false, sinceMs: now }, now, { ...TIMING, humanOrderGraceSeconds: 0 })).toBeNull();
    expect(merchantPlan({ status: 'preparing', simulated: false, acceptedBySim: true, sinceMs: now }, now, TIMING)).toEqual({ step: 'ready', delaySeconds: 20 });
    expect(merchantPlan({ status: 'preparing', simulated: false, acceptedBySim: false, sinceMs: now }, now, TIMING)).toEqual({ step: 'ready', delaySeconds: 110 });
    expect(merchantPlan({ status: 'ready', simulated: true, acceptedBySim: true, sinceMs: now }, now, TIMING)).toBeNull();
    // Given up: a simulated order without a driver ten minutes after it was placed; never a person's, never one with a driver.
    const old = now - 601_000;
    expect(merchantPlan({ status: 'ready', dispatch: 'unassigned', simulated: true, acceptedBySim: true, sinceMs: old }, now, TIMING)).toEqual({ step: 'cancel', delaySeconds: 0 });
    expect(merchantPlan({ status: 'preparing', dispatch: 'offered', simulated: true, acceptedBySim: true, sinceMs: old }, now, TIMING)).toEqual({ step: 'cancel', delaySeconds: 0 });
    expect(merchantPlan({ status: 'ready', dispatch: 'assigned', simulated: true, acceptedBySim: true, sinceMs: old }, now, TIMING)).toBeNull();
    expect(merchantPlan({ status: 'ready', dispatch: 'unassigned', simulated: false, acceptedBySim: false, sinceMs: old }, now, TIMING)).toBeNull();
    expect(merchantPlan({ status: 'ready', dispatch: 'unassigned', simulated: true, acceptedBySim: true, sinceMs: now - 599_000 }, now, TIMING)).toBeNull();
    expect(merchantPlan({ status: 'ready', dispatch: 'unassigned', simulated: true, acceptedBySim: true, sinceMs: old }, now, { ...TIMING, giveUpAfterSeconds: 0 })).toBeNull();
  });

  it('the summary counts each order once, from whoever saw each step first', () => {
    const ledger = new SimLedger();
    ledger.created('a', 0);
    ledger.created('b', 0);
    ledger.created('c', 0);
    ledger.observe('a', 'placed', 'unassigned', 1_000);
    ledger.placed('a', 1_500);
    ledger.observe('a', 'preparing', 'assigned', 9_000);
    ledger.assigned('a', 8_000);
    ledger.observe('a', 'delivered', 'dropped_off', 121_000);
    ledger.observe('b', 'placed', 'unassigned', 2_000);
    ledger.observe('b', 'cancelled', 'unassigned', 3_000);
    ledger.observe('zzz', 'delivered', 'dropped_off', 3_000);
    const s = ledger.summary();
    expect(s).toMatchObject({ placed: 3, paid: 2, accepted: 1, assigned: 1, delivered: 1, failed: 1, open: 1, medianToAssignS: 7, medianToDeliverS: 120 });
    expect(summaryLine(s, { idle: 3, busy: 2, onBreak: 1 }, { offersAccepted: 1, offersDeclined: 0, fixesSent: 10, errors: 0 })).toMatch(
      /^orders placed 3, accepted 1, assigned 1, delivered 1, failed 1, open 1; median to assignment 7\.0 s, placed to delivered 2 min 00 s; drivers busy 2, free 3, on a break 1;/,
    );
  });
});
