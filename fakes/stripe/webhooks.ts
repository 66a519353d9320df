/**
 * Webhook delivery the way Stripe does it: a POST of the event's JSON with a
 * `Stripe-Signature: t=…,v1=…` header made by the SDK's own test helper
 * (`webhooks.generateTestHeaderString`), retried with backoff until the
 * endpoint answers 2xx. Deliveries run one at a time, in event order; the
 * receiver must still accept any order, as Stripe does not promise one.
 */
import Stripe from 'stripe';
import type { EventObject } from './objects';

export interface DeliveryAttempt {
  eventId: string;
  type: string;
  attempt: number;
  status: number | null;
  error: string | null;
  at: number;
}

export function signedPayload(event: EventObject, secret: string): { payload: string; signature: string } {
  const payload = JSON.stringify(event, null, 2);
  const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret });
  return { payload, signature };
}

/**
 * Faults in delivery for the chaos suite (`POST /_fake/webhook-chaos`): a share
 * of events never delivered (every retry lost), a share delivered twice, and
 * each event held a random 0..delayMs, delivered side by side, so they arrive
 * late and out of order. As Stripe may do; the receiver must cope.
 */
export interface WebhookChaos {
  drop: number;
  duplicate: number;
  delayMs: number;
}

export interface WebhookChaosCounts {
  dropped: string[];
  duplicated: string[];
  delayed: number;
}

export class WebhookSender {
  readonly attempts: DeliveryAttempt[] = [];
  private queue: EventObject[] = [];
  /** Being tried now: one at a time by default (in order); up to `concurrency` at once when asked. */
  private readonly delivering = new Set<EventObject>();
  private running = 0;
  private stopped = false;
  private chaos: WebhookChaos | null = null;
  readonly chaosCounts: WebhookChaosCounts = { dropped: [], duplicated: [], delayed: 0 };

  setChaos(chaos: Partial<WebhookChaos> | null): void {
    const share = (v: unknown) => Math.min(1, Math.max(0, Number(v ?? 0) || 0));
    this.chaos = chaos ? { drop: share(chaos.drop), duplicate: share(chaos.duplicate), delayMs: Math.min(60_000, Math.max(0, Number(chaos.delayMs ?? 0) || 0)) } : null;
  }

  constructor(
    public url: string | undefined,
    private readonly secret: string,
    /**
     * `concurrency`: deliveries in flight at once (default 1: strictly in order). Stripe itself sends
     * concurrently and promises no order; the order benchmark asks for more, as one sender in order
     * caps it near 8 orders/s once each `payment_intent.succeeded` takes ~100 ms to be answered.
     */
    private readonly options: { maxAttempts?: number; baseDelayMs?: number; onAttempt?: () => void; concurrency?: number } = {},
  ) {}

  /** Events not yet delivered (those being tried first): Stripe keeps retrying them, a restart must too. */
  pending(): EventObject[] {
    return [...this.delivering, ...this.queue];
  }

  setUrl(url: string | undefined): void {
    this.url = url;
  }

  enqueue(event: EventObject): void {
    if (!this.url || this.stopped) return;
    if (this.chaos) return this.enqueueWithChaos(event, this.chaos);
    this.queue.push(event);
    if (this.running < Math.max(1, this.options.concurrency ?? 1)) void this.drain();
  }

  stop(): void {
    this.stopped = true;
    this.queue = [];
  }

  private enqueueWithChaos(event: EventObject, chaos: WebhookChaos): void {
    if (Math.random() < chaos.drop) {
      this.chaosCounts.dropped.push(event.id);
      return;
    }
    const copies = Math.random() < chaos.duplicate ? 2 : 1;
    if (copies === 2) this.chaosCounts.duplicated.push(event.id);
    for (let i = 0; i < copies; i++) {
      this.chaosCounts.delayed++;
      setTimeout(() => void this.deliver(event), Math.random() * chaos.delayMs);
    }
  }

  /** One sender: takes the next queued event until none is left (`concurrency` of them run at most). */
  private async drain(): Promise<void> {
    this.running++;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const event = this.queue.shift()!;
        this.delivering.add(event);
        try {
          await this.deliver(event);
        } finally {
          this.delivering.delete(event);
        }
      }
    } finally {
      this.running--;
    }
  }

  private async deliver(event: EventObject): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 6;
    const baseDelayMs = this.options.baseDelayMs ?? 250;
    for (let attempt = 1; attempt <= maxAttempts && !this.stopped && this.url; attempt++) {
      // A fresh signature per attempt: the timestamp must be within the receiver's tolerance.
      const { payload, signature } = signedPayload(event, this.secret);
      let status: number | null = null;
      let error: string | null = null;
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json; charset=utf-8', 'Stripe-Signature': signature, 'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
          body: payload,
          signal: AbortSignal.timeout(10_000),
        });
        status = res.status;
        await res.arrayBuffer();
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      this.attempts.push({ eventId: event.id, type: event.type, attempt, status, error, at: Date.now() });
      this.options.onAttempt?.();
      if (status !== null && status >= 200 && status < 300) return;
      await new Promise((r) => setTimeout(r, baseDelayMs * 2 ** (attempt - 1)));
    }
  }
}
