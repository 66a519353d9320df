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

export class WebhookSender {
  readonly attempts: DeliveryAttempt[] = [];
  private queue: EventObject[] = [];
  private running = false;
  private stopped = false;

  constructor(
    public url: string | undefined,
    private readonly secret: string,
    private readonly options: { maxAttempts?: number; baseDelayMs?: number } = {},
  ) {}

  setUrl(url: string | undefined): void {
    this.url = url;
  }

  enqueue(event: EventObject): void {
    if (!this.url || this.stopped) return;
    this.queue.push(event);
    if (!this.running) void this.drain();
  }

  stop(): void {
    this.stopped = true;
    this.queue = [];
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.stopped) await this.deliver(this.queue.shift()!);
    } finally {
      this.running = false;
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
      if (status !== null && status >= 200 && status < 300) return;
      await new Promise((r) => setTimeout(r, baseDelayMs * 2 ** (attempt - 1)));
    }
  }
}
