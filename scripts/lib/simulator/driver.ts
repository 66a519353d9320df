/**
 * A simulated driver's hands: signs in, goes online over its WebSocket with
 * the very DriverChannel the driver app uses (domain/live), reports a fix
 * every couple of seconds (sent in batches over the socket, or POSTed while
 * it is down), and carries out what its {@link DriverBrain} decides: answer
 * offers, read the order, say arrived, pick up, hand over with the PIN, take
 * a break with the app closed. Every answer goes back to the brain.
 */
import { DriverChannel } from '../../../domain/live/driver-channel';
import type { ServerToDriver } from '../../../domain/protocol/city-shard';
import { DriverBrain, type DriverCommand, type DriverInput, type OrderInfo } from './behaviour';
import { HttpError, SimAccount } from './client';
import type { SimContext } from './context';
import { distanceM, randomPointNear, type LatLng, type Vehicle } from './geo';

/** The photo of a handover: a 1×1 PNG (the platform recognises images by their first bytes). */
const PROOF_PHOTO_PNG = Uint8Array.from(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64'));

export class SimDriver {
  private readonly account: SimAccount;
  private channel: DriverChannel | null = null;
  readonly brain: DriverBrain;
  private loop: ReturnType<typeof setInterval> | null = null;
  private online = false;
  /** The last fix handed to the channel (what the shard should end up holding once it is sent). */
  lastFix: { lat: number; lng: number; at: string } | null = null;
  /** When the socket said `assignment`, by order, until the first successful read (the stats). */
  private readonly assignedAt = new Map<string, number>();

  constructor(
    private readonly ctx: SimContext,
    readonly demo: { email: string; name: string; vehicle: Vehicle },
    password: string,
  ) {
    this.account = new SimAccount(ctx.api, demo.email, password);
    const anchors = ctx.merchants.map((m) => m.location);
    const anchor = anchors.length > 0 ? anchors[Math.floor(ctx.rand() * anchors.length)]! : ctx.cityCenter;
    this.brain = new DriverBrain(randomPointNear(anchor, 200, 2500, ctx.rand), demo.vehicle, anchors, ctx.cityCenter, ctx.rand, {
      speed: ctx.options.speed,
      declineRate: ctx.options.declineRate,
      breakRate: ctx.options.breakRate,
      breakSeconds: [60, 150],
      stacking: ctx.options.batching,
      pinFor: (orderId) => ctx.pins.get(orderId),
    });
  }

  get position(): LatLng {
    return this.brain.mover.position;
  }

  async start(): Promise<void> {
    await this.account.token();
    if (this.ctx.stopped()) return;
    if (!(globalThis as { WebSocket?: unknown }).WebSocket) throw new Error('This Node has no WebSocket (Node 22 or later is needed).');
    this.goOnline();
    this.brain.tick(Date.now());
    this.loop = setInterval(() => this.tick(), this.ctx.options.fixEveryMs);
    this.ctx.options.log(`driver ${this.demo.email} online (${this.demo.vehicle})`);
  }

  async stop(): Promise<void> {
    this.freeze();
    await this.goOffline();
  }

  /** No more ticks: the driver stands still with the app open (its socket and queued fixes go on). */
  freeze(): void {
    if (this.loop) clearInterval(this.loop);
    this.loop = null;
  }

  private goOnline(): void {
    if (this.online) return;
    this.online = true;
    this.channel ??= new DriverChannel({
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
        if (event.type === 'message') this.onMessage(event.message);
        else if (event.type === 'state' && event.state === 'reconnecting' && event.closeCode === 4002) {
          this.ctx.stats.handovers++;
          if (this.brain.busy) this.ctx.stats.handoversWithOrder++;
        }
        else if (event.type === 'flushed') this.ctx.stats.fixesSent += event.result.viaSocket + event.result.viaHttp;
      },
    });
    // The first fix before connecting: the channel uses it to pick the shard.
    this.report();
    this.channel.connect(true);
  }

  /** Closes the app: says so to the shard, uploads what is queued (at most 3 s: a platform that does not answer must not hold a stop). */
  private async goOffline(): Promise<void> {
    this.online = false;
    await this.channel?.disconnect(3_000);
  }

  private report(): void {
    const f = this.brain.fix();
    if (!f || !this.online || !this.channel) return;
    const at = new Date().toISOString();
    this.channel.report({ lat: f.position.lat, lng: f.position.lng, heading: f.heading, speed: Math.min(100, f.speed), accuracy: 5, at });
    this.lastFix = { lat: f.position.lat, lng: f.position.lng, at };
  }

  private tick(): void {
    try {
      const commands = this.brain.tick(Date.now());
      this.report();
      this.run(commands);
    } catch (error) {
      this.ctx.warn('driver-bug', `driver ${this.demo.email}: tick failed: ${String(error)}`);
    }
  }

  private onMessage(m: ServerToDriver): void {
    let input: DriverInput | null = null;
    switch (m.type) {
      case 'offer':
        input = { type: 'offer', offerId: m.offerId, orderId: m.orderId, ...(m.batch ? { batch: { withOrderId: m.batch.withOrderId, stops: m.batch.stops } } : {}) };
        break;
      case 'offer.expired':
        input = { type: 'offer.expired', offerId: m.offerId };
        break;
      case 'assignment':
      case 'assignment.cancelled':
        input = { type: m.type, orderId: m.orderId };
        break;
      case 'assignment.released':
        // Taken away after a silence (ADR 0079): for the driver's brain, the order is gone like a cancelled one.
        this.ctx.warn('driver-released', `driver ${this.demo.email}: order ${m.orderId} given to another driver after ${m.silentSeconds} s of silence`);
        input = { type: 'assignment.cancelled', orderId: m.orderId };
        break;
      case 'assignment.reassigned':
        // An operator gave the order to someone else (ADR 0112): for the brain, gone like a cancelled one.
        this.ctx.warn('driver-reassigned', `driver ${this.demo.email}: order ${m.orderId} reassigned by an operator`);
        input = { type: 'assignment.cancelled', orderId: m.orderId };
        break;
      case 'chat':
      case 'ops.message':
        // A simulated driver reads no messages; the person's apps show them.
        break;
      case 'assignment.ping':
        this.channel?.stillHere();
        break;
      case 'session':
        input = { type: 'session', orderId: m.orderId };
        break;
      case 'error':
        this.ctx.warn(`driver-error-${m.code}`, `driver ${this.demo.email}: ${m.code} ${m.detail}`);
        break;
      case 'location.rejected':
        this.ctx.warn(`driver-location-${m.reason}`, `driver ${this.demo.email}: a position was refused (${m.reason})`);
        break;
      case 'pong':
        break;
    }
    if (input) this.feed(input);
  }

  private feed(input: DriverInput): void {
    try {
      const commands = this.brain.handle(input, Date.now());
      // The stats time a read that answers an `assignment` (not a resumed one the driver already knew).
      if (input.type === 'assignment' && commands.some((c) => c.type === 'read' && c.orderId === input.orderId)) this.assignedAt.set(input.orderId, Date.now());
      this.run(commands);
    } catch (error) {
      this.ctx.warn('driver-bug', `driver ${this.demo.email}: ${input.type} not handled: ${String(error)}`);
    }
  }

  /** Carries out the brain's commands; requests answer back through `feed` (never rejecting: a simulated person's failure must not take the process down). */
  private run(commands: DriverCommand[]): void {
    for (const c of commands) {
      switch (c.type) {
        case 'answer':
          if (c.accept) {
            if (this.channel?.accept(c.offerId)) this.ctx.stats.offersAccepted++;
          } else if (this.channel?.decline(c.offerId, c.reason)) this.ctx.stats.offersDeclined++;
          break;
        case 'read':
          void this.account.call<OrderInfo>(`/v1/orders/${encodeURIComponent(c.orderId)}`).then(
            (order) => {
              const since = this.assignedAt.get(c.orderId);
              if (since !== undefined) {
                this.assignedAt.delete(c.orderId);
                this.ctx.stats.assignmentToReadMs.push(Date.now() - since);
              }
              this.feed({ type: 'order', orderId: c.orderId, order, status: 200 });
            },
            (error: unknown) => {
              if (this.assignedAt.has(c.orderId) && error instanceof HttpError && (error.status === 404 || error.status === 403)) this.ctx.stats.assignmentReadsRefused++;
              if (!(error instanceof HttpError && error.status === 404)) this.ctx.warn('driver-read', `driver ${this.demo.email}: cannot read order ${c.orderId}: ${String(error)}`);
              this.feed({ type: 'order', orderId: c.orderId, order: null, status: error instanceof HttpError ? error.status : 0 });
            },
          );
          break;
        case 'step':
          void this.takeStep(c).then(
            () => this.feed({ type: 'step.done', orderId: c.orderId, step: c.step, ok: true, status: 200 }),
            (error: unknown) => {
              // 409 on `arrived`: said before a restart. Anything else is worth a line.
              if (!(c.step === 'arrived' && error instanceof HttpError && error.status === 409)) this.ctx.warn(`driver-${c.step}`, `driver ${this.demo.email}: ${c.step} ${c.orderId}: ${String(error)}`);
              this.feed({ type: 'step.done', orderId: c.orderId, step: c.step, ok: false, status: error instanceof HttpError ? error.status : 0 });
            },
          );
          break;
        case 'go_offline':
          void this.goOffline().catch(() => undefined);
          break;
        case 'go_online':
          if (!this.ctx.stopped()) this.goOnline();
          break;
        case 'note': {
          const now = Date.now();
          if (c.what === 'assigned') this.ctx.ledger.assigned(c.orderId, now);
          else if (c.what === 'picked_up') this.ctx.ledger.pickedUp(c.orderId, now);
          else {
            this.ctx.ledger.delivered(c.orderId, now);
            this.ctx.pins.delete(c.orderId);
          }
          break;
        }
      }
    }
  }

  /** One order step; a delivery without the code first uploads a photo of the handover (POST …/proof-photos) and sends its URL. */
  private async takeStep(c: Extract<DriverCommand, { type: 'step' }>): Promise<void> {
    const path = `/v1/orders/${encodeURIComponent(c.orderId)}`;
    let body = c.body;
    if (c.photo) {
      const photo = await this.account.call<{ url: string }>(`${path}/proof-photos`, { method: 'POST', raw: { body: PROOF_PHOTO_PNG, contentType: 'image/png' } });
      body = { ...body, photoUrl: photo.url };
    }
    await this.account.call<OrderInfo>(`${path}/${c.step}`, { method: 'POST', ...(body ? { json: body } : {}) });
  }

  distanceTo(p: LatLng): number {
    return distanceM(this.brain.mover.position, p);
  }
}
