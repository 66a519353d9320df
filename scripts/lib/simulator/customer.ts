/**
 * A simulated customer: places an order at a shop (a few of its products,
 * delivered somewhere between 0.3 and 2 km away), pays it with the test card
 * through the Stripe fake's confirm endpoint exactly as the customer app does
 * in local runs, then keeps the delivery code the order shows once it is paid.
 */
import { OPEN_STATUSES } from '../../../domain/order';
import { randomUUID } from 'node:crypto';
import { DROPOFF_RANGE_M } from './behaviour';
import { HttpError, SimAccount } from './client';
import { sleep, type SimContext, type SimMerchantInfo } from './context';
import { randomPointNear } from './geo';

interface CreatedOrder {
  order: { id: string; status: string };
  payment?: { clientSecret: string; [extra: string]: unknown };
}

const STREETS = ['Rue de la Roquette', 'Rue Oberkampf', 'Rue des Martyrs', 'Rue de Charonne', 'Boulevard Voltaire', 'Rue de Turbigo', 'Rue du Temple', 'Rue Saint-Antoine', 'Rue de Bretagne', 'Rue Vieille-du-Temple'];

export class SimCustomer {
  readonly account: SimAccount;

  constructor(
    private readonly ctx: SimContext,
    readonly email: string,
    password: string,
    name: string,
  ) {
    this.account = new SimAccount(ctx.api, email, password, { role: 'customer', name });
  }

  async start(): Promise<void> {
    await this.account.token();
    await this.rememberOpenOrders();
  }

  /**
   * After a restart: this customer's orders still on their way are the
   * simulation's again (merchants carry on with them) and their codes are
   * known at the door. Without this, drivers on such orders cannot hand them
   * over, and the shard keeps them busy.
   */
  private async rememberOpenOrders(): Promise<void> {
    // Open and paid: every open status but pending_payment.
    for (const status of OPEN_STATUSES.filter((s) => s !== 'pending_payment')) {
      const page = await this.account.call<{ items: { id: string; deliveryPin?: string }[] }>(`/v1/orders?status=${status}&limit=100`).catch(() => ({ items: [] }));
      for (const { id, deliveryPin } of page.items) {
        this.ctx.simOrders.add(id);
        if (deliveryPin) this.ctx.pins.set(id, deliveryPin);
      }
    }
  }

  /** One order, end to end on the customer's side; false when it did not get paid. */
  async placeOrder(): Promise<boolean> {
    const merchant = this.pickMerchant();
    if (!merchant) return false;
    const items = this.pickItems(merchant);
    if (items.length === 0) return false;
    const dropoff = randomPointNear(merchant.location, DROPOFF_RANGE_M[0], DROPOFF_RANGE_M[1], this.ctx.rand);
    const street = STREETS[Math.floor(this.ctx.rand() * STREETS.length)]!;
    // One key for every try: a create whose answer was lost (timeout, 503, a
    // restart) is asked again and answers the same order, never a second one.
    const idempotencyKey = randomUUID();
    const body = {
      merchantId: merchant.id,
      items,
      dropoff: { address: `${1 + Math.floor(this.ctx.rand() * 120)} ${street}, Paris`, location: dropoff, instructions: 'Simulated order' },
    };
    const created = await retrying(() => this.account.call<CreatedOrder>('/v1/orders', { json: body, headers: { 'Idempotency-Key': idempotencyKey } }), () => this.ctx.stopped());
    const orderId = created.order.id;
    this.ctx.simOrders.add(orderId);
    this.ctx.ledger.created(orderId, Date.now());
    if (created.payment) {
      const payment = created.payment;
      const paid = await retrying(() => this.pay(payment), () => this.ctx.stopped()).catch((error: unknown) => {
        this.ctx.warn('pay', `customer: payment failed: ${String(error)}`);
        return false;
      });
      if (!paid) {
        this.ctx.ledger.failed(orderId, Date.now(), 'not paid');
        return false;
      }
    }
    // The order becomes `placed` when the payment webhook lands; then it shows the code.
    for (let i = 0; i < 30 && !this.ctx.stopped(); i++) {
      const order = await this.account.call<{ status: string; deliveryPin?: string }>(`/v1/orders/${encodeURIComponent(orderId)}`).catch(() => null);
      if (order?.deliveryPin) {
        this.ctx.pins.set(orderId, order.deliveryPin);
        this.ctx.ledger.placed(orderId, Date.now());
        return true;
      }
      if (order && order.status !== 'pending_payment') return order.status === 'placed';
      await sleep(1000);
    }
    this.ctx.ledger.failed(orderId, Date.now(), 'payment never confirmed');
    return false;
  }

  private async pay(payment: { clientSecret: string; [extra: string]: unknown }): Promise<boolean> {
    const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
    const base = str(payment.apiBase) ?? str(payment.stripeApiBase) ?? this.ctx.options.stripeApiBase;
    if (!base) {
      this.ctx.warn('no-stripe', 'customer: cannot pay, the Stripe fake URL is unknown (give --stripe-url)');
      return false;
    }
    const intentId = payment.clientSecret.split('_secret_')[0]!;
    const res = await fetch(`${base.replace(/\/$/, '')}/v1/payment_intents/${encodeURIComponent(intentId)}/confirm`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        key: str(payment.publishableKey) ?? 'pk_test_local',
        client_secret: payment.clientSecret,
        'payment_method_data[type]': 'card',
        'payment_method_data[card][number]': '4242 4242 4242 4242',
        'payment_method_data[card][exp_month]': '12',
        'payment_method_data[card][exp_year]': '2030',
        'payment_method_data[card][cvc]': '123',
      }),
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await res.json().catch(() => ({}))) as { status?: string };
    if (res.status >= 500 || res.status === 429) throw new HttpError(res.status, body, null);
    if (!res.ok || (body.status !== 'succeeded' && body.status !== 'processing')) {
      this.ctx.warn('pay', `customer: payment not confirmed (${res.status} ${body.status ?? ''})`);
      return false;
    }
    return true;
  }

  private pickMerchant(): SimMerchantInfo | undefined {
    // Restaurants get most orders, as in life.
    const weighted = this.ctx.merchants.flatMap((m) => Array<SimMerchantInfo>(m.kind === 'restaurant' ? 3 : m.kind === 'store' ? 2 : 1).fill(m));
    return weighted[Math.floor(this.ctx.rand() * weighted.length)];
  }

  private pickItems(m: SimMerchantInfo): { productId: string; quantity: number }[] {
    const choices = m.products.filter((p) => p.available && (!p.requiresPrescription || this.ctx.rand() < 0.15));
    const n = 1 + Math.floor(this.ctx.rand() * Math.min(3, choices.length));
    const picked = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const p = choices[Math.floor(this.ctx.rand() * choices.length)];
      if (p) picked.set(p.id, (picked.get(p.id) ?? 0) + 1 + (this.ctx.rand() < 0.2 ? 1 : 0));
    }
    return [...picked].map(([productId, quantity]) => ({ productId, quantity }));
  }
}

export function isRetryable(error: unknown): boolean {
  return !(error instanceof HttpError) || error.status >= 500 || error.status === 429;
}

/**
 * How an app retries what it must not give up on (placing an order, paying):
 * the same call again after a failure that says "try later" (no answer, 5xx,
 * 429), waiting what `Retry-After` asks or 0.5 s doubling to 5 s, for at most
 * `deadlineMs`; any other failure is final.
 */
export async function retrying<T>(call: () => Promise<T>, stopped: () => boolean = () => false, deadlineMs = 180_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isRetryable(error) || stopped() || Date.now() >= until) throw error;
      const asked = error instanceof HttpError ? error.retryAfterSeconds : null;
      await sleep(Math.min(asked !== null ? asked * 1000 : 500 * 2 ** attempt, 5_000));
    }
  }
}
