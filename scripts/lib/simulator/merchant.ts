/**
 * A simulated merchant: follows its live order feed (the same channel the
 * merchant console uses, with catch-up on reconnect) and a slow sweep of its
 * open orders as a backstop; accepts the simulated customers' orders after the
 * configured delay, and people's orders only after a longer grace period (so
 * someone trying the merchant console gets to accept them), then marks each
 * order it accepted ready once prepared, and cancels a simulated order no
 * driver took in time (behaviour.ts `merchantPlan` decides; this carries out).
 * Status events of simulated orders go to the ledger (the summary line).
 */
import { displayOrderNumber } from '../../../domain/order';
import { LiveConnection } from '../../../domain/live/connection';
import { merchantPlan, type MerchantStep } from './behaviour';
import { HttpError, SimAccount } from './client';
import type { SimContext } from './context';

interface OrderRow {
  id: string;
  /** The human order number (v1.1); the log names orders by it, as people see them. */
  number?: string;
  status: string;
  dispatch?: string;
  placedAt?: string | null;
  createdAt: string;
  /** A scheduled order's window (ADR 0108). */
  scheduledFor?: { start: string } | null;
}

export class SimMerchant {
  private readonly account: SimAccount;
  private feed: LiveConnection | null = null;
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Orders this simulated merchant accepted (it marks only those ready). */
  private readonly mine = new Set<string>();
  private seq: number | null = null;
  private givenUp = 0;
  private givenUpLoggedAt = 0;
  merchantId: string | null = null;

  constructor(
    private readonly ctx: SimContext,
    readonly email: string,
    password: string,
  ) {
    this.account = new SimAccount(ctx.api, email, password);
  }

  async start(): Promise<void> {
    await this.account.token();
    this.merchantId = this.account.user?.merchantId ?? null;
    if (!this.merchantId) throw new Error(`${this.email} is not a merchant account`);
    this.feed = new LiveConnection({
      origin: this.ctx.options.baseUrl,
      path: `/v1/merchants/${encodeURIComponent(this.merchantId)}/live`,
      getToken: () => this.account.token(),
      query: () => (this.seq !== null ? { since: String(this.seq) } : {}),
      onMessage: (data) => this.onFeed(data),
    });
    this.sweepTimer = setInterval(() => void this.sweep(), 15_000);
    await this.sweep();
  }

  stop(): void {
    this.feed?.close();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private onFeed(data: string): void {
    let m: { type?: string; seq?: number; orderId?: string; status?: string; dispatch?: string; at?: string };
    try {
      m = JSON.parse(data) as typeof m;
    } catch {
      return;
    }
    if (typeof m.seq === 'number' && m.type !== 'hello') this.seq = Math.max(this.seq ?? 0, m.seq);
    if (m.type === 'resync') void this.sweep();
    if (m.type === 'status' && m.orderId && m.status) {
      const at = Date.parse(m.at ?? '');
      this.ctx.ledger.observe(m.orderId, m.status, m.dispatch, Number.isFinite(at) ? at : Date.now());
      this.consider(m.orderId, m.status, m.at ?? new Date().toISOString(), m.dispatch);
    }
  }

  /** The backstop: open orders, in case a feed event was missed. */
  private async sweep(): Promise<void> {
    for (const status of ['placed', 'preparing', 'ready']) {
      try {
        const page = await this.account.call<{ items: OrderRow[] }>(`/v1/orders?status=${status}&limit=100`);
        for (const o of page.items) this.consider(o.id, o.status, o.placedAt ?? o.createdAt, o.dispatch, o.scheduledFor);
      } catch (error) {
        this.ctx.warn(`merchant-sweep-${this.email}`, `merchant ${this.email}: ${String(error)}`);
      }
    }
  }

  private consider(orderId: string, status: string, since: string, dispatch?: string, scheduledFor?: OrderRow['scheduledFor']): void {
    if (this.timers.has(orderId)) return;
    const sinceMs = Date.parse(since);
    const readyBy = scheduledFor ? Date.parse(scheduledFor.start) : NaN;
    const plan = merchantPlan(
      {
        status,
        dispatch,
        simulated: this.ctx.simOrders.has(orderId),
        acceptedBySim: this.mine.has(orderId),
        sinceMs: Number.isFinite(sinceMs) ? sinceMs : Date.now(),
        ...(Number.isFinite(readyBy) ? { readyBy } : {}),
      },
      Date.now(),
      this.ctx.options,
    );
    // A scheduled order is timed to be ready at its window's start: never early (the driver is sent to
    // arrive then, ADR 0108), a little late at worst; the rest of a shop's steps vary by ±20 %.
    if (plan) this.schedule(orderId, plan.delaySeconds, plan.step, plan.step === 'ready' && Number.isFinite(readyBy));
  }

  private schedule(orderId: string, delaySeconds: number, step: MerchantStep, notEarly = false): void {
    const jitter = notEarly ? 1 + this.ctx.rand() * 0.05 : 0.8 + this.ctx.rand() * 0.4;
    this.timers.set(
      orderId,
      setTimeout(() => void this.take(orderId, step), Math.max(0, delaySeconds * 1000 * jitter)),
    );
  }

  private async take(orderId: string, step: MerchantStep): Promise<void> {
    this.timers.delete(orderId);
    if (this.ctx.stopped()) return;
    try {
      const body = step === 'cancel' ? { json: { reason: 'No driver came for it' } } : {};
      const order = await this.account.call<OrderRow>(`/v1/orders/${encodeURIComponent(orderId)}/${step}`, { method: 'POST', ...body });
      if (step === 'cancel') {
        this.ctx.ledger.failed(orderId, Date.now(), 'cancelled: no driver');
        // One line a minute at most: after a long stop, a whole backlog may be given up at once.
        this.givenUp++;
        if (Date.now() - this.givenUpLoggedAt > 60_000) {
          this.givenUpLoggedAt = Date.now();
          this.ctx.options.log(`merchant ${this.email}: cancelled ${this.givenUp} order(s) no driver took within ${this.ctx.options.giveUpAfterSeconds} s (latest ${order.number ? displayOrderNumber(order.number) : orderId})`);
          this.givenUp = 0;
        }
      } else if (step === 'accept') {
        this.mine.add(orderId);
        this.ctx.ledger.accepted(orderId, Date.now());
        // The feed's `preparing` may have come before this answer and planned `ready` without the window:
        // a scheduled order is planned again from the answer, which carries it.
        if (order.scheduledFor) {
          clearTimeout(this.timers.get(orderId));
          this.timers.delete(orderId);
        }
        this.consider(orderId, order.status, new Date().toISOString(), undefined, order.scheduledFor);
      } else this.mine.delete(orderId);
    } catch (error) {
      // 409: someone (a person in the console) took the step first.
      if (!(error instanceof HttpError && error.status === 409)) this.ctx.warn(`merchant-${step}`, `merchant ${this.email}: ${step} ${orderId}: ${String(error)}`);
    }
  }
}
