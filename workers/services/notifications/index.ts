/**
 * Notifications for one event: who (rules.ts, recipients.ts), what
 * (templates), how (deliver.ts). Returns whether the event must be delivered
 * again (a provider was unavailable); everything already sent is remembered
 * in the log, so the next delivery only does what is left.
 */
import type { Database } from '../../../db/client';
import type { Senders } from '../../providers/messaging/types';
import { orderIdOf, type EventEnvelope } from '../events/envelope';
import { runJob, type Job } from './deliver';
import { recordSkipped } from './log';
import { accountsWantedBy, customerOf, driverRecipient, loadOrderContext, merchantStaffOf, type OrderContext, type Recipient } from './recipients';
import { orderNumberOf } from './order-number';
import { rulesFor, type Rule } from './rules';
import { formatMoney, orderRef, reasonText, type Locale, type TemplateVars } from './templates/index';
import { log } from '../../../domain/log';
import { clockText, windowText } from '../../../domain/scheduling';
import { trackingUrl } from '../orders/codes';
import { openOrderCodes } from '../orders/view';
import { dataKeys } from '../secrets/data-keys';

export interface NotifyDeps {
  db: Database;
  senders: Senders;
  /** Local mode: keep a copy of every message for the dev outbox. */
  capture: boolean;
  publicBaseUrl: string;
  /** DATA_ENCRYPTION_KEYS: the PIN and tracking token a customer's message carries are sealed at rest (ADR 0083). */
  encryptionKeys: string;
  now?: () => number;
  /** The order's context, read once per message for every handler that needs it (workers/queue/consumer.ts). */
  orderContext?: (orderId: string) => Promise<OrderContext | undefined>;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** The order's codes in clear, for its customer's messages only. */
interface CustomerCodes {
  pin: string | null;
  trackingUrl: string;
}

function varsFor(event: EventEnvelope, ctx: OrderContext, locale: Locale, codes: CustomerCodes | null, now: number): TemplateVars {
  const { order } = ctx;
  const refundCents = num(event.data.refundedCents) ?? num(event.data.amountCents);
  const eta = num(event.data.etaSeconds);
  const payout = num(event.data.payoutCents) ?? order.driverPayoutCents ?? undefined;
  const expiresAt = str(event.data.expiresAt);
  const currency = str(event.data.currency) ?? order.currency;
  return {
    orderRef: orderRef(orderNumberOf(event, order)),
    merchantName: ctx.merchantName,
    total: formatMoney(order.totalCents, order.currency, locale),
    ...(codes?.pin ? { pin: codes.pin } : {}),
    ...(codes ? { trackingUrl: codes.trackingUrl } : {}),
    ...(ctx.driverFirstName ? { driverName: ctx.driverFirstName } : {}),
    ...(eta !== undefined ? { etaMinutes: Math.max(1, Math.round(eta / 60)) } : {}),
    ...(str(event.data.reason) ?? order.cancelReason ? { reason: reasonText((str(event.data.reason) ?? order.cancelReason)!, locale) } : {}),
    ...(refundCents !== undefined ? { refund: formatMoney(refundCents, currency, locale) } : {}),
    ...(payout !== undefined ? { payout: formatMoney(payout, order.currency, locale) } : {}),
    ...(expiresAt ? { expiresInSeconds: Math.max(0, Math.round((Date.parse(expiresAt) - now) / 1000)) } : {}),
    ...(order.scheduledStart && order.scheduledEnd
      ? {
          window: windowText({ start: order.scheduledStart, end: order.scheduledEnd }, ctx.timezone, INTL_LOCALES[locale]),
          ...(order.releaseAt ? { releaseTime: clockText(order.releaseAt, ctx.timezone, INTL_LOCALES[locale]) } : {}),
        }
      : {}),
  };
}

const INTL_LOCALES: Record<Locale, string> = { en: 'en-GB', fr: 'fr-FR' };

async function customerCodes(deps: NotifyDeps, ctx: OrderContext): Promise<CustomerCodes> {
  const { deliveryPin, trackingToken } = await openOrderCodes(await dataKeys(deps.encryptionKeys), ctx.order, true);
  return { pin: deliveryPin, trackingUrl: trackingUrl(deps.publicBaseUrl, trackingToken) };
}

async function recipientsFor(db: Database, rule: Rule, event: EventEnvelope, ctx: OrderContext): Promise<Recipient[]> {
  switch (rule.audience) {
    case 'customer':
      return customerOf(db, ctx.order, ctx.contact, ctx.accounts?.customer);
    case 'merchant': {
      // A merchant is not told about a cancellation it made itself.
      const actor = event.data.actor as { type?: unknown } | undefined;
      if (event.type === 'order.cancelled' && actor?.type === 'merchant') return [];
      return merchantStaffOf(db, ctx.order.merchantId, ctx.accounts?.merchant);
    }
    case 'driver': {
      const driverId = str(event.data.driverId) ?? ctx.order.driverId;
      return driverId ? driverRecipient(db, driverId) : [];
    }
  }
}

/** Restricts a run to one rule (by template) and one recipient: a fallback after a channel failed for good. */
export interface OnlyFor {
  template: string;
  userId: string | null;
}

export async function notifyForEvent(event: EventEnvelope, deps: NotifyDeps, only?: OnlyFor): Promise<{ retry: boolean }> {
  const rules = rulesFor(event.type);
  if (rules.length === 0) return { retry: false };
  const orderId = orderIdOf(event);
  const ctx = orderId ? await (deps.orderContext ? deps.orderContext(orderId) : loadOrderContext(deps.db, orderId, accountsWantedBy(rules))) : undefined;
  if (!ctx) {
    log.warn('notification skipped: unknown order', { eventId: event.id, type: event.type, orderId });
    return { retry: false };
  }
  const now = deps.now?.() ?? Date.now();
  const ageSeconds = (now - Date.parse(event.createdAt)) / 1000;
  const expiresAt = str(event.data.expiresAt);

  // Opened once, and only when a customer is among the audiences: nobody else's messages carry them.
  const codes = rules.some((r) => r.audience === 'customer') ? await customerCodes(deps, ctx) : null;
  const jobs: Job[] = [];
  for (const rule of rules) {
    if (only && rule.template !== only.template) continue;
    for (const recipient of await recipientsFor(deps.db, rule, event, ctx)) {
      if (only && recipient.userId !== only.userId) continue;
      const stale = (rule.staleAfterSeconds !== undefined && ageSeconds > rule.staleAfterSeconds) || (expiresAt !== undefined && Date.parse(expiresAt) <= now);
      const outdated = rule.onlyWhile !== undefined && !rule.onlyWhile.includes(ctx.order.status);
      if (stale || outdated) {
        const reason = stale ? 'stale: too old to be useful' : `outdated: the order is ${ctx.order.status}`;
        await recordSkipped(deps.db, { eventId: event.id, channel: rule.channels[0]!, userId: recipient.userId }, { template: rule.template, orderId: ctx.order.id, reason });
        continue;
      }
      jobs.push({
        eventId: event.id,
        eventType: event.type,
        eventCreatedAt: event.createdAt,
        orderId: ctx.order.id,
        rule,
        recipient,
        vars: varsFor(event, ctx, recipient.locale, rule.audience === 'customer' ? codes : null, now),
        ...(event.type === 'dispatch.offer'
          ? {
              pushData: { type: 'dispatch.offer', offerId: str(event.data.offerId) ?? '', expiresAt: expiresAt ?? '' },
              ...(expiresAt ? { pushTtlSeconds: Math.max(1, Math.floor((Date.parse(expiresAt) - now) / 1000)) } : {}),
            }
          : typeof event.data.seq === 'number'
            ? // An app that receives an order's push knows which event of its timeline it is (ADR 0075).
              { pushData: { seq: String(event.data.seq), ...(typeof event.data.number === 'string' ? { number: event.data.number } : {}) } }
            : {}),
      });
    }
  }
  const results = await Promise.all(
    jobs.map((job) =>
      runJob({ db: deps.db, senders: deps.senders, capture: deps.capture, smsStatusCallback: `${deps.publicBaseUrl.replace(/\/+$/, '')}/v1/webhooks/twilio/status` }, job),
    ),
  );
  return { retry: results.some((r) => r.retry) };
}
