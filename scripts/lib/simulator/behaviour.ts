/**
 * What the simulated people decide, as deterministic step functions with no
 * I/O and no clock of their own: the shells (driver.ts, merchant.ts, index.ts)
 * feed them the time, the platform's messages and the answers to their
 * requests, and carry out the commands they return. test/unit/simulator-city
 * runs a whole city through them against an in-memory platform.
 */
import { OPEN_STATUSES, TERMINAL_STATUSES } from '../../../domain/order';
import { CRUISE_MPS, Mover, randomPointNear, type Fix, type LatLng, type Random, type Vehicle } from './geo';
import type { DriverCommand, DriverInput, DriverPhase, OrderInfo, RouteStop } from './driver-types';
import { stackOn } from './stacking';

/**
 * No simulated fix may look faster than this: the city shard refuses moves
 * faster than 50 m/s (durable-objects/city-shard/state.ts), and a fix carries
 * up to 4 m of noise each way. The time compression of driving is capped per
 * vehicle so that cruising (+15 %) stays under it.
 */
export const MAX_APPARENT_MPS = 40;

/** Customers live between these distances from the shop (metres, straight line). */
export const DROPOFF_RANGE_M: readonly [number, number] = [300, 2000];

/** The time compression a vehicle actually drives with: `speed`, capped so no fix looks faster than {@link MAX_APPARENT_MPS}. */
export function effectiveSpeedFactor(vehicle: Vehicle, speed: number): number {
  return Math.max(0, Math.min(speed, MAX_APPARENT_MPS / (CRUISE_MPS[vehicle] * 1.15)));
}

/** Milliseconds until the next order of a Poisson process at `perMinute` (at most 5 minutes). */
export function nextOrderGapMs(rand: Random, perMinute: number): number {
  if (perMinute <= 0) return 5 * 60_000;
  return Math.min(5 * 60_000, (-Math.log(1 - rand()) / perMinute) * 60_000);
}

// Merchants' decisions are in merchant-plan.ts (re-exported: one import for the shells and tests).
export { merchantPlan, type MerchantStep, type MerchantTiming } from './merchant-plan';

// ---- drivers -----------------------------------------------------------------

export type { DriverCommand, DriverInput, DriverPhase, DriverStepName, OrderInfo, RouteStop } from './driver-types';

export interface DriverBehaviour {
  /** Time compression of driving (capped per vehicle, see {@link effectiveSpeedFactor}). */
  speed: number;
  /** Share of offers declined. */
  declineRate: number;
  /** Share of deliveries after which the driver takes a break (goes offline). */
  breakRate: number;
  /** Length of a break, seconds (uniform between the two). */
  breakSeconds: readonly [number, number];
  /** Accept a second order stacked on the one carried (the simulator's batching switch); default no. */
  stacking?: boolean;
  /** The code the customer gives at the door (known for simulated customers' orders only). */
  pinFor: (orderId: string) => string | undefined;
}

const TERMINAL: ReadonlySet<string> = new Set(TERMINAL_STATUSES);
/** Open and not yet picked up: the driver heads for the shop. */
const AT_SHOP: ReadonlySet<string> = new Set(OPEN_STATUSES.filter((s) => s !== 'in_delivery'));
/** A read of a freshly assigned order is retried this often: the assignment reaches the socket a moment before the order records it. */
const READ_RETRIES = 15;
const DELIVER_RETRIES = 5;

/**
 * One simulated driver's mind. Deterministic: `tick(now)` and `handle(input,
 * now)` return commands; randomness comes from the seeded `rand`. One request
 * is in flight at a time; an answer that does not come (status 0) is retried.
 */
export class DriverBrain {
  phase: DriverPhase = 'idle';
  orderId: string | null = null;
  order: OrderInfo | null = null;
  deliveries = 0;
  readonly mover: Mover;
  readonly factor: number;
  private offers: { offerId: string; orderId: string; answerAt: number; batch?: { withOrderId: string; stops: RouteStop[] } | undefined }[] = [];
  /** Stops still to visit after the current one, when carrying two orders; the routes of stacked offers accepted. */
  private route: RouteStop[] = [];
  private readonly stackedRoutes = new Map<string, RouteStop[]>();
  private readonly known = new Map<string, OrderInfo>();
  private pending = false;
  private nextActionAt = 0;
  private pauseUntil = 0;
  private breakUntil = 0;
  private tries = 0;
  private lastTick: number | null = null;

  constructor(
    start: LatLng,
    readonly vehicle: Vehicle,
    private readonly anchors: readonly LatLng[],
    private readonly center: LatLng,
    private readonly rand: Random,
    private readonly b: DriverBehaviour,
  ) {
    this.mover = new Mover(start, CRUISE_MPS[vehicle], rand);
    this.factor = effectiveSpeedFactor(vehicle, b.speed);
  }

  get busy(): boolean {
    return this.phase !== 'idle' && this.phase !== 'break';
  }

  /** The fix the phone would send now (none on a break: the app is closed); speed as it appears on the compressed clock. */
  fix(): Fix | null {
    if (this.phase === 'break') return null;
    const f = this.mover.fix();
    return { ...f, speed: Math.round(f.speed * this.factor * 10) / 10 };
  }

  /** Time passes: drive, answer offers that have been read, take the next step when it is due. */
  tick(now: number): DriverCommand[] {
    const out: DriverCommand[] = [];
    const dt = this.lastTick === null ? 0 : Math.max(0, (now - this.lastTick) / 1000) * this.factor;
    this.lastTick = now;
    const arrived = this.phase !== 'break' && this.mover.moving ? this.mover.advance(dt) : false;

    // Offers are read for a moment, then answered.
    const due = this.offers.filter((o) => o.answerAt <= now);
    this.offers = this.offers.filter((o) => o.answerAt > now);
    for (const o of due) {
      if (this.phase !== 'idle' && this.canStack(o)) {
        this.stackedRoutes.set(o.orderId, o.batch!.stops);
        out.push({ type: 'answer', offerId: o.offerId, accept: true });
      } else if (this.phase !== 'idle') out.push({ type: 'answer', offerId: o.offerId, accept: false, reason: o.batch ? 'not stacking' : 'busy' });
      else if (this.rand() < this.b.declineRate) out.push({ type: 'answer', offerId: o.offerId, accept: false, reason: 'too far for me' });
      else out.push({ type: 'answer', offerId: o.offerId, accept: true });
    }

    switch (this.phase) {
      case 'idle':
        if (arrived) this.pauseUntil = now + 5_000 + this.rand() * 20_000;
        else if (!this.mover.moving && now >= this.pauseUntil) {
          // Roam towards the shops, where offers come from, with a pause between trips.
          const anchor = this.anchors.length > 0 && this.rand() < 0.7 ? this.anchors[Math.floor(this.rand() * this.anchors.length)]! : this.center;
          this.mover.go(randomPointNear(anchor, 100, 1000, this.rand));
        }
        break;
      case 'break':
        if (now >= this.breakUntil) {
          this.phase = 'idle';
          this.pauseUntil = now;
          out.push({ type: 'go_online' });
        }
        break;
      case 'to_pickup':
        if (arrived) {
          this.phase = 'at_pickup';
          this.tries = 0;
          out.push(...this.request(now, { type: 'step', orderId: this.orderId!, step: 'arrived' }));
        }
        break;
      case 'to_dropoff':
        if (arrived) {
          this.phase = 'at_dropoff';
          this.tries = 0;
          // The customer comes to the door.
          this.nextActionAt = now + 2_000 + this.rand() * 4_000;
        }
        break;
      case 'assigned':
      case 'at_pickup':
        if (!this.pending && now >= this.nextActionAt) out.push(...this.request(now, { type: 'read', orderId: this.orderId! }));
        break;
      case 'at_dropoff':
        if (!this.pending && now >= this.nextActionAt) out.push(...this.request(now, this.deliverStep()));
        break;
    }
    return out;
  }

  handle(input: DriverInput, now: number): DriverCommand[] {
    switch (input.type) {
      case 'offer':
        // A person reads the offer first.
        this.offers.push({ offerId: input.offerId, orderId: input.orderId, answerAt: now + 800 + this.rand() * 2_500, batch: input.batch });
        return [];
      case 'offer.expired':
        this.offers = this.offers.filter((o) => o.offerId !== input.offerId);
        return [];
      case 'assignment':
        if (input.orderId === this.orderId || this.route.some((s) => s.orderId === input.orderId)) return [];
        return this.stackedRoutes.has(input.orderId) && this.busy ? stackOn(this, input.orderId, now) : this.assigned(input.orderId, now);
      case 'session':
        // The shard names the order carried first; while carrying two, that may be the other one.
        if (input.orderId && input.orderId !== this.orderId && !this.route.some((s) => s.orderId === input.orderId)) return this.assigned(input.orderId, now);
        if (!input.orderId && this.busy && this.orderId) {
          // The shard has the driver free: the order may have ended while the channel was down; its status decides.
          if (!this.pending) return this.request(now, { type: 'read', orderId: this.orderId });
        }
        return [];
      case 'assignment.cancelled':
        this.route = this.route.filter((s) => s.orderId !== input.orderId);
        return input.orderId === this.orderId ? this.dropCurrent(now) : [];
      case 'order':
        return input.orderId === this.orderId ? this.onOrder(input, now) : [];
      case 'step.done':
        return input.orderId === this.orderId ? this.onStep(input, now) : [];
    }
  }

  private request(now: number, command: Extract<DriverCommand, { type: 'read' | 'step' }>): DriverCommand[] {
    this.pending = true;
    this.nextActionAt = now;
    return [command];
  }

  private deliverStep(): Extract<DriverCommand, { type: 'step' }> {
    const orderId = this.orderId!;
    const pin = this.b.pinFor(orderId);
    const idCheck = this.order?.requiresPrescription ? { idCheck: { documentType: 'id_card', birthYear: 1960 + Math.floor(this.rand() * 40) } } : {};
    // A person's order: its code went to that person, so a photo of the handover is the proof.
    return pin ? { type: 'step', orderId, step: 'deliver', body: { pin, ...idCheck } } : { type: 'step', orderId, step: 'deliver', body: idCheck, photo: true };
  }

  private assigned(orderId: string, now: number): DriverCommand[] {
    this.offers = [];
    this.orderId = orderId;
    this.order = null;
    this.phase = 'assigned';
    this.tries = 0;
    this.mover.stop();
    this.pending = false;
    return [{ type: 'note', what: 'assigned', orderId }, ...this.request(now, { type: 'read', orderId })];
  }

  private becomeIdle(now: number): void {
    this.route = [];
    this.stackedRoutes.clear();
    this.phase = 'idle';
    this.orderId = null;
    this.order = null;
    this.pending = false;
    this.mover.stop();
    this.pauseUntil = now + 3_000;
  }

  /** A stacked offer this driver takes: on the order it carries, and not carrying two already. */
  private canStack(o: { batch?: { withOrderId: string } | undefined }): boolean {
    return !!this.b.stacking && !!o.batch && o.batch.withOrderId === this.orderId && this.route.length === 0 && this.busy;
  }

  /** Heads for a stop of the route: the order is read first (its status says pickup or dropoff). */
  goTo(stop: RouteStop, now: number): DriverCommand[] {
    this.orderId = stop.orderId;
    this.order = this.known.get(stop.orderId) ?? null;
    this.phase = 'assigned';
    this.tries = 0;
    this.mover.stop();
    this.pending = false;
    return this.request(now, { type: 'read', orderId: stop.orderId });
  }

  /** The current order is over (ended, or taken away): on to the route's next stop, or free. */
  private dropCurrent(now: number): DriverCommand[] {
    this.route = this.route.filter((s) => s.orderId !== this.orderId);
    if (this.route.length > 0) return this.goTo(this.route.shift()!, now);
    this.becomeIdle(now);
    return [];
  }

  /** Where the driver is on its current order (for stacking): heading somewhere, or busy at a stop. */
  get onTheRoad(): boolean {
    return this.phase === 'to_pickup' || this.phase === 'to_dropoff';
  }

  get pickedUp(): boolean {
    return this.phase === 'to_dropoff' || this.phase === 'at_dropoff';
  }

  /** Used by stackOn: the route of a stacked offer accepted, forgotten once taken. */
  takeStackedRoute(orderId: string): RouteStop[] {
    const stops = this.stackedRoutes.get(orderId) ?? [];
    this.stackedRoutes.clear();
    return stops;
  }

  setRoute(stops: RouteStop[]): void {
    this.route = stops;
  }

  private retryIn(ms: number, now: number, max: number): boolean {
    this.tries++;
    this.nextActionAt = now + ms;
    return this.tries <= max;
  }

  private onOrder(input: Extract<DriverInput, { type: 'order' }>, now: number): DriverCommand[] {
    this.pending = false;
    const order = input.order;
    if (!order) {
      // 403/404: not (or no longer) this driver's order; otherwise the platform did not answer: try again.
      const gone = input.status === 403 || input.status === 404;
      if (gone && this.phase === 'assigned' && this.retryIn(1_000, now, READ_RETRIES)) return [];
      if (!gone && this.retryIn(2_000, now, READ_RETRIES)) return [];
      this.becomeIdle(now);
      return [];
    }
    this.order = order;
    this.known.set(order.id, order);
    if (TERMINAL.has(order.status)) return this.dropCurrent(now);
    switch (this.phase) {
      case 'assigned':
        this.tries = 0;
        if (order.status === 'in_delivery') this.drive('to_dropoff', order.dropoff.location);
        else if (order.pickup && AT_SHOP.has(order.status)) this.drive('to_pickup', order.pickup.location);
        else this.becomeIdle(now);
        return [];
      case 'at_pickup':
        if (order.status === 'ready') return this.request(now, { type: 'step', orderId: order.id, step: 'pickup' });
        if (order.status === 'in_delivery') this.drive('to_dropoff', order.dropoff.location);
        else this.nextActionAt = now + 2_000;
        return [];
      case 'at_dropoff':
        if (order.status !== 'in_delivery') return this.dropCurrent(now);
        // A refused handover: try again a few times; then report the delivery failed, which ends the
        // order and frees the driver (going idle alone would leave the shard holding the driver busy).
        if (this.retryIn(3_000, now, DELIVER_RETRIES)) return [];
        return this.request(now, { type: 'step', orderId: order.id, step: 'fail', body: { reason: 'could not hand the order over' } });
      default:
        // On the way (a check after a reconnect): the order is still open, carry on.
        return [];
    }
  }

  private onStep(input: Extract<DriverInput, { type: 'step.done' }>, now: number): DriverCommand[] {
    this.pending = false;
    const gone = input.status === 403 || input.status === 404;
    switch (input.step) {
      case 'arrived':
        // Whatever the answer (409: said before a restart), wait for the order to be ready.
        this.nextActionAt = now;
        return [];
      case 'pickup':
        if (input.ok) {
          const note = { type: 'note', what: 'picked_up', orderId: input.orderId } as const;
          if (this.route.length > 0) return [note, ...this.goTo(this.route.shift()!, now)];
          this.drive('to_dropoff', this.order!.dropoff.location);
          return [note];
        }
        if (gone) this.becomeIdle(now);
        else this.nextActionAt = now + 2_000;
        return [];
      case 'deliver': {
        if (input.ok) {
          this.deliveries++;
          const orderId = input.orderId;
          if (this.route.length > 0) return [{ type: 'note', what: 'delivered', orderId }, ...this.goTo(this.route.shift()!, now)];
          this.finish(now);
          return [{ type: 'note', what: 'delivered', orderId }, ...(this.phase === 'break' ? [{ type: 'go_offline' } as const] : [])];
        }
        if (gone) {
          this.becomeIdle(now);
          return [];
        }
        // Refused (or no answer): read the order, then decide (retry, or it ended).
        return this.request(now, { type: 'read', orderId: input.orderId });
      }
      case 'fail':
        this.becomeIdle(now);
        return [];
    }
  }

  private drive(phase: 'to_pickup' | 'to_dropoff', to: LatLng): void {
    this.phase = phase;
    this.tries = 0;
    this.mover.go(to);
  }

  /** After a delivery: free again, or (sometimes) a break with the app closed. */
  private finish(now: number): void {
    this.becomeIdle(now);
    if (this.rand() < this.b.breakRate) {
      const [min, max] = this.b.breakSeconds;
      this.phase = 'break';
      this.breakUntil = now + (min + this.rand() * Math.max(0, max - min)) * 1000;
    }
  }
}

