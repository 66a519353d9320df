/**
 * A simulated driver: signs in, goes online over its WebSocket with the very
 * DriverChannel the driver app uses (web/src/live), reports fixes every
 * couple of seconds in batches, roams while idle, answers offers like a
 * person would (after a moment, sometimes no), drives to the pickup, waits
 * for the order to be ready, drives to the door and hands over with the PIN.
 */
import { DriverChannel } from '../../../web/src/live/driver-channel';
import type { ServerToDriver } from '../../../durable-objects/city-shard/protocol';
import { HttpError, SimAccount } from './client';
import { sleep, type SimContext } from './context';
import { CRUISE_MPS, distanceM, Mover, randomPointNear, type LatLng, type Vehicle } from './geo';

interface OrderView {
  id: string;
  status: string;
  pickup?: { location: LatLng };
  dropoff: { location: LatLng };
  requiresPrescription?: boolean;
}

type Phase = 'idle' | 'to_pickup' | 'at_pickup' | 'to_dropoff' | 'at_dropoff';

export class SimDriver {
  private readonly account: SimAccount;
  private channel: DriverChannel | null = null;
  private mover: Mover;
  private phase: Phase = 'idle';
  private orderId: string | null = null;
  private order: OrderView | null = null;
  private pauseUntil = 0;
  private loop: ReturnType<typeof setInterval> | null = null;
  private busyStep = false;
  private lastTick = Date.now();

  constructor(
    private readonly ctx: SimContext,
    readonly demo: { email: string; name: string; vehicle: Vehicle },
    password: string,
  ) {
    this.account = new SimAccount(ctx.api, demo.email, password);
    const anchor = ctx.merchants.length > 0 ? ctx.merchants[Math.floor(ctx.rand() * ctx.merchants.length)]!.location : ctx.cityCenter;
    this.mover = new Mover(randomPointNear(anchor, 200, 2500, ctx.rand), CRUISE_MPS[demo.vehicle], ctx.rand);
  }

  get position(): LatLng {
    return this.mover.position;
  }

  async start(): Promise<void> {
    await this.account.token();
    if (this.ctx.stopped()) return;
    const WebSocketImpl = (globalThis as { WebSocket?: unknown }).WebSocket;
    if (!WebSocketImpl) throw new Error('This Node has no WebSocket (Node 22 or later is needed).');
    this.channel = new DriverChannel({
      origin: this.ctx.options.baseUrl,
      getToken: () => this.account.token(),
      uploadBatch: async (points) => {
        try {
          await this.account.call('/v1/drivers/me/locations', { json: { points } });
          return 'sent';
        } catch (error) {
          return error instanceof HttpError && error.status >= 400 && error.status < 500 && error.status !== 401 && error.status !== 429 ? 'drop' : 'retry';
        }
      },
      flushEveryMs: this.ctx.options.flushEveryMs,
      onEvent: (event) => {
        if (event.type === 'message') this.guard('message', this.onMessage(event.message));
        else if (event.type === 'flushed') this.ctx.stats.fixesSent += event.result.viaSocket + event.result.viaHttp;
      },
    });
    // The first fix before connecting: the channel uses it to pick the shard.
    this.report();
    this.channel.connect(true);
    this.lastTick = Date.now();
    this.loop = setInterval(() => this.tick(), this.ctx.options.fixEveryMs);
    this.ctx.options.log(`driver ${this.demo.email} online (${this.demo.vehicle})`);
  }

  async stop(): Promise<void> {
    if (this.loop) clearInterval(this.loop);
    this.loop = null;
    // Going offline uploads what is queued, for at most 3 s: a platform that does not answer must not hold the stop.
    await this.channel?.disconnect(3_000);
    this.channel = null;
  }

  private report(): void {
    const f = this.mover.fix();
    this.channel?.report({
      lat: f.position.lat,
      lng: f.position.lng,
      heading: f.heading,
      speed: Math.min(100, f.speed * this.ctx.options.speed),
      accuracy: 5,
      at: new Date().toISOString(),
    });
  }

  private tick(): void {
    const now = Date.now();
    const dt = ((now - this.lastTick) / 1000) * this.ctx.options.speed;
    this.lastTick = now;
    const arrived = this.mover.moving ? this.mover.advance(dt) : false;
    this.report();
    if (this.phase === 'idle') {
      if (arrived) this.pauseUntil = now + 5_000 + this.ctx.rand() * 20_000;
      else if (!this.mover.moving && now >= this.pauseUntil) {
        // Roam towards the shops, where offers come from, with a pause between trips.
        const anchor = this.ctx.merchants.length > 0 && this.ctx.rand() < 0.7 ? this.ctx.merchants[Math.floor(this.ctx.rand() * this.ctx.merchants.length)]!.location : this.ctx.cityCenter;
        this.mover.go(randomPointNear(anchor, 100, 1800, this.ctx.rand));
      }
    } else if (arrived && this.phase === 'to_pickup') {
      this.phase = 'at_pickup';
      this.guard('pickup', this.atPickup());
    } else if (arrived && this.phase === 'to_dropoff') {
      this.phase = 'at_dropoff';
      this.guard('dropoff', this.atDropoff());
    }
  }

  private async onMessage(m: ServerToDriver): Promise<void> {
    switch (m.type) {
      case 'offer': {
        // A person reads the offer first.
        await sleep(800 + this.ctx.rand() * 2500);
        if (this.ctx.stopped()) return;
        if (this.phase !== 'idle' || this.ctx.rand() < this.ctx.options.declineRate) {
          this.channel?.decline(m.offerId, this.phase !== 'idle' ? 'busy' : 'too far for me');
          this.ctx.stats.offersDeclined++;
        } else if (this.channel?.accept(m.offerId)) this.ctx.stats.offersAccepted++;
        return;
      }
      case 'assignment':
        return this.assigned(m.orderId);
      case 'session':
        if (m.orderId && m.orderId !== this.orderId) return this.assigned(m.orderId);
        return;
      case 'assignment.cancelled':
        if (m.orderId === this.orderId) this.becomeIdle();
        return;
      case 'error':
        this.ctx.warn(`driver-error-${m.code}`, `driver ${this.demo.email}: ${m.code} ${m.detail}`);
        return;
      case 'offer.expired':
      case 'location.rejected':
      case 'pong':
        return;
    }
  }

  private async assigned(orderId: string): Promise<void> {
    this.orderId = orderId;
    // The assignment reaches the socket a moment before the order records it: a 404 then means "not yet".
    for (let attempt = 0; ; attempt++) {
      try {
        this.order = await this.account.call<OrderView>(`/v1/orders/${encodeURIComponent(orderId)}`);
        break;
      } catch (error) {
        if (error instanceof HttpError && error.status === 404 && attempt < 15 && !this.ctx.stopped()) {
          await sleep(1_000);
          continue;
        }
        this.ctx.warn('driver-order', `driver ${this.demo.email}: cannot read order ${orderId}: ${String(error)}`);
        return this.becomeIdle();
      }
    }
    if (this.orderId !== orderId) return;
    if (this.order.status === 'in_delivery') {
      this.phase = 'to_dropoff';
      this.mover.go(this.order.dropoff.location);
    } else if (this.order.pickup) {
      this.phase = 'to_pickup';
      this.mover.go(this.order.pickup.location);
    } else this.becomeIdle();
  }

  private becomeIdle(): void {
    this.phase = 'idle';
    this.orderId = null;
    this.order = null;
    this.mover.stop();
    this.pauseUntil = Date.now() + 3_000;
  }

  private async step(name: string, body?: object): Promise<OrderView | null> {
    if (!this.orderId) return null;
    try {
      return await this.account.call<OrderView>(`/v1/orders/${encodeURIComponent(this.orderId)}/${name}`, { method: 'POST', ...(body ? { json: body } : {}) });
    } catch (error) {
      this.ctx.warn(`driver-${name}`, `driver ${this.demo.email}: ${name} ${this.orderId}: ${String(error)}`);
      if (error instanceof HttpError && (error.status === 404 || error.status === 403)) this.becomeIdle();
      return null;
    }
  }

  /** At the shop: say so, wait until the order is ready, pick it up. */
  private async atPickup(): Promise<void> {
    if (this.busyStep) return;
    this.busyStep = true;
    try {
      await this.step('arrived');
      const orderId = this.orderId;
      while (!this.ctx.stopped() && this.orderId === orderId && orderId) {
        const order = await this.account.call<OrderView>(`/v1/orders/${encodeURIComponent(orderId)}`).catch(() => null);
        if (order?.status === 'ready') {
          if (await this.step('pickup')) {
            this.phase = 'to_dropoff';
            this.mover.go(order.dropoff.location);
          }
          return;
        }
        if (order && order.status !== 'preparing' && order.status !== 'placed') {
          if (order.status === 'in_delivery') {
            this.phase = 'to_dropoff';
            this.mover.go(order.dropoff.location);
          } else this.becomeIdle();
          return;
        }
        await sleep(2_000);
      }
    } finally {
      this.busyStep = false;
    }
  }

  /** At the door: the customer gives the code (or, for a person's order, a photo is taken). */
  private async atDropoff(): Promise<void> {
    const { orderId, order } = this;
    if (!orderId || !order) return this.becomeIdle();
    await sleep(2_000 + this.ctx.rand() * 4_000);
    // The order may have been cancelled or reassigned while the customer came to the door.
    if (this.orderId !== orderId || this.ctx.stopped()) return;
    const pin = this.ctx.pins.get(orderId);
    const proof = pin ? { pin } : { photoUrl: `https://proofs.example.invalid/${orderId}.jpg` };
    const idCheck = order.requiresPrescription ? { idCheck: { documentType: 'id_card', birthYear: 1960 + Math.floor(this.ctx.rand() * 40) } } : {};
    const done = await this.step('deliver', { ...proof, ...idCheck });
    if (done) {
      this.ctx.stats.ordersDelivered++;
      this.ctx.pins.delete(orderId);
    }
    if (this.orderId === orderId) this.becomeIdle();
  }

  /** A simulated person's mistake must never take the process (npm start) down. */
  private guard(what: string, work: Promise<unknown>): void {
    work.catch((error: unknown) => {
      this.ctx.warn(`driver-${what}`, `driver ${this.demo.email}: ${what} failed: ${String(error)}`);
      if (what !== 'message') this.becomeIdle();
    });
  }

  distanceTo(p: LatLng): number {
    return distanceM(this.mover.position, p);
  }
}
