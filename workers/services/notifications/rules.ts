/**
 * Who hears about which event, on which channels (docs/decisions/0041).
 *
 * `all`: every channel the recipient allows (moments that matter: the order
 * is confirmed with its delivery PIN, on its way with the tracking link,
 * delivered, cancelled, failed). `first`: the first usable channel in the
 * given order, the next one when it fails for good (progress updates that
 * would be noise on three channels at once).
 */
import type { TemplateKey } from './templates/index';

export type Channel = 'sms' | 'email' | 'push';
export type Audience = 'customer' | 'merchant' | 'driver';

export interface Rule {
  audience: Audience;
  template: TemplateKey;
  policy: 'all' | 'first';
  channels: readonly Channel[];
  /** Older than this, the message is pointless and is skipped. */
  staleAfterSeconds?: number;
  /** Sent only while the order has one of these statuses (read at send time); skipped otherwise. */
  onlyWhile?: readonly string[];
}

const ALL: readonly Channel[] = ['sms', 'email', 'push'];
const PROGRESS: readonly Channel[] = ['push', 'sms', 'email'];
const MERCHANT: readonly Channel[] = ['push', 'email', 'sms'];

export const RULES: Readonly<Record<string, readonly Rule[]>> = {
  'order.placed': [
    { audience: 'customer', template: 'customer.order.placed', policy: 'all', channels: ALL },
    { audience: 'merchant', template: 'merchant.order.placed', policy: 'first', channels: MERCHANT },
  ],
  // Still not accepted past the city's first deadline (services/orders/unaccepted.ts): every channel, while it still waits.
  'order.escalated': [{ audience: 'merchant', template: 'merchant.order.escalated', policy: 'all', channels: MERCHANT, staleAfterSeconds: 900, onlyWhile: ['placed'] }],
  // A scheduled order's release (ADR 0108): the shop is asked now, as for a new order; the customer hears it started.
  'order.released': [
    { audience: 'merchant', template: 'merchant.order.released', policy: 'all', channels: MERCHANT, staleAfterSeconds: 900, onlyWhile: ['placed'] },
    { audience: 'customer', template: 'customer.order.released', policy: 'first', channels: PROGRESS, staleAfterSeconds: 3600, onlyWhile: ['placed'] },
  ],
  'order.preparing': [{ audience: 'customer', template: 'customer.order.preparing', policy: 'first', channels: PROGRESS, staleAfterSeconds: 3600 }],
  'order.assigned': [{ audience: 'customer', template: 'customer.order.assigned', policy: 'first', channels: PROGRESS, staleAfterSeconds: 3600 }],
  'order.in_delivery': [{ audience: 'customer', template: 'customer.order.in_delivery', policy: 'all', channels: ALL }],
  'order.arriving_soon': [
    // From the city shard, once per order (docs/decisions/0065); pointless once the order is delivered.
    { audience: 'customer', template: 'customer.order.arriving_soon', policy: 'first', channels: ['push', 'sms'], staleAfterSeconds: 900, onlyWhile: ['in_delivery'] },
  ],
  'order.delivered': [{ audience: 'customer', template: 'customer.order.delivered', policy: 'all', channels: ALL }],
  'order.cancelled': [
    { audience: 'customer', template: 'customer.order.cancelled', policy: 'all', channels: ALL },
    { audience: 'merchant', template: 'merchant.order.cancelled', policy: 'first', channels: MERCHANT },
  ],
  'order.rejected': [{ audience: 'customer', template: 'customer.order.rejected', policy: 'all', channels: ALL }],
  'order.failed': [{ audience: 'customer', template: 'customer.order.failed', policy: 'all', channels: ALL }],
  'payment.refunded': [{ audience: 'customer', template: 'customer.payment.refunded', policy: 'first', channels: ['email', 'push', 'sms'] }],
  // Offers are pushed only: an SMS about an offer that expires in seconds helps nobody.
  'dispatch.offer': [{ audience: 'driver', template: 'driver.dispatch.offer', policy: 'first', channels: ['push'] }],
  // A silent driver (ADR 0079): the phone is asked while the order is open, then told it was taken away.
  'dispatch.driver_ping': [{ audience: 'driver', template: 'driver.dispatch.ping', policy: 'first', channels: ['push'], staleAfterSeconds: 240, onlyWhile: ['preparing', 'ready', 'in_delivery'] }],
  'dispatch.released': [{ audience: 'driver', template: 'driver.dispatch.released', policy: 'first', channels: ['push'], staleAfterSeconds: 3600 }],
};

export function rulesFor(eventType: string): readonly Rule[] {
  return RULES[eventType] ?? [];
}

/** The event type whose rules use this template (templates are per event and audience). */
export function eventTypeOfTemplate(template: string): string | undefined {
  return Object.keys(RULES).find((type) => RULES[type]!.some((rule) => rule.template === template));
}
