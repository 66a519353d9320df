/**
 * The fake's ledger: PaymentIntents, charges and refunds, moved the way
 * Stripe moves them, and the events each move emits. No HTTP here (server.ts
 * adapts requests), so the behaviour is easy to read against Stripe's docs:
 * https://docs.stripe.com/payments/paymentintents/lifecycle
 */
import { cardByNumber, cardNumberForPaymentMethod, EXPIRED_CARD, expiryPassed, type TestCard } from './cards';
import { obj, str, type FormObject } from './form';
import { nowSeconds, stripeId } from './ids';
import {
  invalidRequest,
  newEvent,
  newPaymentIntent,
  resourceMissing,
  StripeApiError,
  type ChargeObject,
  type EventObject,
  type Metadata,
  type PaymentIntentObject,
  type RefundObject,
} from './objects';

/** A typed card whose expiry has passed (thrown by cardFor, answered by confirm). */
class ExpiredCard extends Error {}

export interface RequestContext {
  requestId: string;
  idempotencyKey: string | null;
}

const CANCELABLE: ReadonlySet<PaymentIntentObject['status']> = new Set([
  'requires_payment_method',
  'requires_capture',
  'requires_confirmation',
  'requires_action',
  'processing',
]);
const CONFIRMABLE: ReadonlySet<PaymentIntentObject['status']> = new Set(['requires_payment_method', 'requires_confirmation', 'requires_action']);
const CANCELLATION_REASONS = new Set(['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned']);
const REFUND_REASONS = new Set(['duplicate', 'fraudulent', 'requested_by_customer']);

function metadataFrom(params: FormObject): Metadata {
  const raw = obj(params.metadata) ?? {};
  const out: Metadata = {};
  for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') out[k] = v;
  return out;
}

function positiveAmount(value: string | undefined, param: string): number {
  if (value === undefined || !/^\d+$/.test(value)) throw invalidRequest(`Invalid integer: ${value ?? ''}`, param);
  return Number(value);
}

/** What the ledger holds, as plain JSON (persistence.ts keeps it across restarts of `npm start`). */
export interface LedgerSnapshot {
  paymentIntents: PaymentIntentObject[];
  charges: ChargeObject[];
  refunds: RefundObject[];
  paymentMethods: [string, TestCard][];
  events: EventObject[];
}

export class StripeLedger {
  readonly paymentIntents = new Map<string, PaymentIntentObject>();
  readonly charges = new Map<string, ChargeObject>();
  readonly refunds = new Map<string, RefundObject>();
  /** Card behind each PaymentMethod the fake created from card details. */
  private readonly paymentMethods = new Map<string, TestCard>();
  readonly events: EventObject[] = [];

  constructor(private readonly onEvent: (event: EventObject) => void = () => {}) {}

  /**
   * The newest `limits.paymentIntents` intents with their charges, refunds and
   * cards, and the newest `limits.events` events: what a file can carry
   * without rewriting a day of simulated orders every second.
   */
  snapshot(limits: { paymentIntents: number; events: number }): LedgerSnapshot {
    const all = [...this.paymentIntents.values()];
    const paymentIntents = all.slice(Math.max(0, all.length - limits.paymentIntents));
    const kept = new Set(paymentIntents.map((pi) => pi.id));
    const cards = new Set(paymentIntents.map((pi) => pi.payment_method));
    return {
      paymentIntents,
      charges: [...this.charges.values()].filter((c) => kept.has(c.payment_intent)),
      refunds: [...this.refunds.values()].filter((r) => kept.has(r.payment_intent)),
      paymentMethods: [...this.paymentMethods.entries()].filter(([id]) => cards.has(id)),
      events: this.events.slice(Math.max(0, this.events.length - limits.events)),
    };
  }

  /** Takes back what `snapshot` saved, before any request is served (no events are emitted). */
  restore(saved: LedgerSnapshot): void {
    for (const pi of saved.paymentIntents) this.paymentIntents.set(pi.id, pi);
    for (const charge of saved.charges) this.charges.set(charge.id, charge);
    for (const refund of saved.refunds) this.refunds.set(refund.id, refund);
    for (const [id, card] of saved.paymentMethods) this.paymentMethods.set(id, card);
    this.events.push(...saved.events);
  }

  private emit(type: string, object: object, ctx: RequestContext): void {
    const event = newEvent(type, object, { id: ctx.requestId, idempotency_key: ctx.idempotencyKey });
    this.events.push(event);
    this.onEvent(event);
  }

  paymentIntent(id: string): PaymentIntentObject {
    const pi = this.paymentIntents.get(id);
    if (!pi) throw resourceMissing('payment_intent', id, 'intent');
    return pi;
  }

  createPaymentIntent(params: FormObject, ctx: RequestContext): PaymentIntentObject {
    const amount = positiveAmount(str(params.amount), 'amount');
    const currency = str(params.currency);
    if (!currency || !/^[a-zA-Z]{3}$/.test(currency)) throw invalidRequest('Missing required param: currency.', 'currency', 'parameter_missing');
    if (amount < 50) throw invalidRequest('Amount must be at least 50 cents', 'amount', 'amount_too_small');
    if (amount > 99_999_999) throw invalidRequest('Amount must be no more than 99,999,999', 'amount', 'amount_too_large');
    const captureMethod = str(params.capture_method) ?? 'automatic_async';
    if (!['automatic', 'automatic_async', 'manual'].includes(captureMethod)) throw invalidRequest(`Invalid capture_method: ${captureMethod}`, 'capture_method');
    const pi = newPaymentIntent({
      amount,
      currency: currency.toLowerCase(),
      metadata: metadataFrom(params),
      captureMethod: captureMethod as PaymentIntentObject['capture_method'],
      automaticPaymentMethods: str(obj(params.automatic_payment_methods)?.enabled) === 'true',
      description: str(params.description) ?? null,
      receiptEmail: str(params.receipt_email) ?? null,
    });
    this.paymentIntents.set(pi.id, pi);
    this.emit('payment_intent.created', pi, ctx);
    if (str(params.confirm) === 'true') return this.confirm(pi.id, params, ctx);
    if (str(params.payment_method)) {
      pi.payment_method = str(params.payment_method)!;
      pi.status = 'requires_confirmation';
    }
    return pi;
  }

  private cardFor(pi: PaymentIntentObject, params: FormObject): { paymentMethodId: string; card: TestCard } {
    const pmData = obj(params.payment_method_data);
    const typed = obj(pmData?.card);
    const number = str(typed?.number);
    if (number !== undefined) {
      const card = cardByNumber(number);
      if (!card) throw new StripeApiError(402, { type: 'card_error', code: 'incorrect_number', param: 'number', message: 'Your card number is incorrect.' });
      if (expiryPassed(str(typed?.exp_month), str(typed?.exp_year))) throw new ExpiredCard();
      const paymentMethodId = stripeId('pm');
      this.paymentMethods.set(paymentMethodId, card);
      return { paymentMethodId, card };
    }
    const paymentMethodId = str(params.payment_method) ?? pi.payment_method;
    if (!paymentMethodId) {
      throw invalidRequest(
        "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.",
        undefined,
        'payment_intent_unexpected_state',
      );
    }
    const known = this.paymentMethods.get(paymentMethodId);
    const shortcut = cardNumberForPaymentMethod(paymentMethodId);
    const card = known ?? (shortcut ? cardByNumber(shortcut) : undefined);
    if (!card) throw resourceMissing('PaymentMethod', paymentMethodId, 'payment_method');
    return { paymentMethodId, card };
  }

  confirm(id: string, params: FormObject, ctx: RequestContext): PaymentIntentObject {
    const pi = this.paymentIntent(id);
    if (!CONFIRMABLE.has(pi.status)) {
      throw invalidRequest(
        pi.status === 'succeeded'
          ? 'You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.'
          : `You cannot confirm this PaymentIntent because it has a status of ${pi.status}.`,
        undefined,
        'payment_intent_unexpected_state',
      );
    }
    let chosen: { paymentMethodId: string; card: TestCard };
    try {
      chosen = this.cardFor(pi, params);
    } catch (error) {
      if (!(error instanceof ExpiredCard)) throw error;
      // As Stripe: the attempt fails on the intent (payment_failed, no charge), the answer is a 402 card_error.
      const { code, declineCode, message, param, docUrl } = EXPIRED_CARD;
      this.fail(pi, { type: 'card_error', code, decline_code: declineCode, message, param, doc_url: docUrl }, ctx);
      throw new StripeApiError(402, { type: 'card_error', code, decline_code: declineCode, message, param, doc_url: docUrl, payment_intent: structuredClone(pi) });
    }
    const { paymentMethodId, card } = chosen;
    pi.payment_method = paymentMethodId;
    pi.last_payment_error = null;
    pi.next_action = null;
    switch (card.outcome.kind) {
      case 'succeed':
        this.charge(pi, card, ctx);
        break;
      case 'requires_action':
        pi.status = 'requires_action';
        pi.next_action = { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', source: stripeId('src') } };
        this.emit('payment_intent.requires_action', pi, ctx);
        break;
      case 'decline': {
        const { code, declineCode, message } = card.outcome;
        const failed = this.newCharge(pi, card, 'failed');
        failed.failure_code = code;
        failed.failure_message = message;
        this.emit('charge.failed', failed, ctx);
        this.fail(pi, { type: 'card_error', code, decline_code: declineCode, message, charge: failed.id, payment_method: { id: paymentMethodId } }, ctx);
        throw new StripeApiError(402, { type: 'card_error', code, decline_code: declineCode, message, payment_intent: structuredClone(pi) });
      }
    }
    return pi;
  }

  /** Completes (or fails) the customer's 3-D Secure step, as the issuer's page would. */
  authenticate(id: string, success: boolean, ctx: RequestContext): PaymentIntentObject {
    const pi = this.paymentIntent(id);
    if (pi.status !== 'requires_action') throw invalidRequest(`PaymentIntent ${id} does not require action (status ${pi.status}).`, undefined, 'payment_intent_unexpected_state');
    const card = this.paymentMethods.get(pi.payment_method ?? '') ?? cardByNumber(cardNumberForPaymentMethod(pi.payment_method ?? '') ?? '');
    pi.next_action = null;
    if (success && card) {
      this.charge(pi, card, ctx);
    } else {
      this.fail(
        pi,
        {
          type: 'invalid_request_error',
          code: 'payment_intent_authentication_failure',
          message: 'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
        },
        ctx,
      );
    }
    return pi;
  }

  private fail(pi: PaymentIntentObject, error: Record<string, unknown>, ctx: RequestContext): void {
    pi.status = 'requires_payment_method';
    pi.payment_method = null;
    pi.last_payment_error = error;
    this.emit('payment_intent.payment_failed', pi, ctx);
  }

  private newCharge(pi: PaymentIntentObject, card: TestCard, status: ChargeObject['status']): ChargeObject {
    const charge: ChargeObject = {
      id: stripeId('ch'),
      object: 'charge',
      amount: pi.amount,
      amount_captured: 0,
      amount_refunded: 0,
      captured: false,
      created: nowSeconds(),
      currency: pi.currency,
      failure_code: null,
      failure_message: null,
      livemode: false,
      metadata: { ...pi.metadata },
      paid: status === 'succeeded',
      payment_intent: pi.id,
      payment_method: pi.payment_method ?? '',
      payment_method_details: { type: 'card', card: { brand: card.brand, last4: card.last4, exp_month: 12, exp_year: new Date().getUTCFullYear() + 3 } },
      refunded: false,
      status,
    };
    this.charges.set(charge.id, charge);
    pi.latest_charge = charge.id;
    return charge;
  }

  private charge(pi: PaymentIntentObject, card: TestCard, ctx: RequestContext): void {
    const charge = this.newCharge(pi, card, 'succeeded');
    if (pi.capture_method === 'manual') {
      pi.status = 'requires_capture';
      pi.amount_capturable = pi.amount;
      this.emit('charge.succeeded', charge, ctx);
      this.emit('payment_intent.amount_capturable_updated', pi, ctx);
      return;
    }
    charge.captured = true;
    charge.amount_captured = pi.amount;
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    this.emit('charge.succeeded', charge, ctx);
    this.emit('payment_intent.succeeded', pi, ctx);
  }

  capture(id: string, params: FormObject, ctx: RequestContext): PaymentIntentObject {
    const pi = this.paymentIntent(id);
    if (pi.status !== 'requires_capture') {
      throw invalidRequest(`This PaymentIntent could not be captured because it has a status of ${pi.status}.`, undefined, 'payment_intent_unexpected_state');
    }
    const amount = str(params.amount_to_capture) ? positiveAmount(str(params.amount_to_capture), 'amount_to_capture') : pi.amount_capturable;
    if (amount > pi.amount_capturable) throw invalidRequest('The amount to capture is greater than the amount capturable.', 'amount_to_capture', 'amount_too_large');
    const charge = this.charges.get(pi.latest_charge ?? '')!;
    charge.captured = true;
    charge.amount_captured = amount;
    pi.amount_received = amount;
    pi.amount_capturable = 0;
    pi.status = 'succeeded';
    this.emit('charge.captured', charge, ctx);
    this.emit('payment_intent.succeeded', pi, ctx);
    return pi;
  }

  cancel(id: string, params: FormObject, ctx: RequestContext): PaymentIntentObject {
    const pi = this.paymentIntent(id);
    if (!CANCELABLE.has(pi.status)) {
      throw invalidRequest(
        `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${[...CANCELABLE].join(', ')}.`,
        undefined,
        'payment_intent_unexpected_state',
      );
    }
    const reason = str(params.cancellation_reason);
    if (reason !== undefined && !CANCELLATION_REASONS.has(reason)) throw invalidRequest(`Invalid cancellation_reason: must be one of ${[...CANCELLATION_REASONS].join(', ')}`, 'cancellation_reason');
    pi.status = 'canceled';
    pi.canceled_at = nowSeconds();
    pi.cancellation_reason = reason ?? null;
    pi.amount_capturable = 0;
    pi.next_action = null;
    this.emit('payment_intent.canceled', pi, ctx);
    return pi;
  }

  createRefund(params: FormObject, ctx: RequestContext): RefundObject {
    const piId = str(params.payment_intent);
    const chargeId = str(params.charge);
    if (!piId && !chargeId) throw invalidRequest('One of the following params should be provided for this request: payment_intent or charge.', undefined, 'parameter_missing');
    let charge: ChargeObject | undefined;
    if (piId) {
      const pi = this.paymentIntent(piId);
      if (pi.status !== 'succeeded') {
        throw invalidRequest(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, 'payment_intent', 'charge_not_refundable');
      }
      charge = this.charges.get(pi.latest_charge ?? '');
    } else {
      charge = this.charges.get(chargeId!);
      if (!charge) throw resourceMissing('charge', chargeId!, 'charge');
    }
    if (!charge || !charge.captured) throw invalidRequest('This charge cannot be refunded because it was not captured.', 'charge', 'charge_not_refundable');
    const remaining = charge.amount_captured - charge.amount_refunded;
    if (remaining <= 0) throw invalidRequest(`Charge ${charge.id} has already been refunded.`, undefined, 'charge_already_refunded');
    const amount = str(params.amount) !== undefined ? positiveAmount(str(params.amount), 'amount') : remaining;
    if (amount < 1) throw invalidRequest('Invalid positive integer', 'amount');
    if (amount > remaining) {
      throw invalidRequest(`Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, 'amount', 'amount_too_large');
    }
    const reason = str(params.reason);
    if (reason !== undefined && !REFUND_REASONS.has(reason)) throw invalidRequest(`Invalid reason: must be one of ${[...REFUND_REASONS].join(', ')}`, 'reason');
    const refund: RefundObject = {
      id: stripeId('re'),
      object: 'refund',
      amount,
      charge: charge.id,
      created: nowSeconds(),
      currency: charge.currency,
      metadata: metadataFrom(params),
      payment_intent: charge.payment_intent,
      reason: reason ?? null,
      status: 'succeeded',
    };
    this.refunds.set(refund.id, refund);
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount_captured;
    this.emit('refund.created', refund, ctx);
    this.emit('charge.refunded', charge, ctx);
    return refund;
  }

  /** GET /v1/refunds?payment_intent=…: newest first, as Stripe lists them (one page: the fake never has more than 100 per intent). */
  listRefunds(params: FormObject): { object: 'list'; data: RefundObject[]; has_more: false; url: string } {
    const piId = str(params.payment_intent);
    const limit = str(params.limit) !== undefined ? Math.min(100, Math.max(1, Number(str(params.limit)) || 10)) : 10;
    const data = [...this.refunds.values()].filter((r) => !piId || r.payment_intent === piId).reverse().slice(0, limit);
    return { object: 'list', data, has_more: false, url: '/v1/refunds' };
  }

  refund(id: string): RefundObject {
    const refund = this.refunds.get(id);
    if (!refund) throw resourceMissing('refund', id);
    return refund;
  }

  retrieveCharge(id: string): ChargeObject {
    const charge = this.charges.get(id);
    if (!charge) throw resourceMissing('charge', id);
    return charge;
  }
}
