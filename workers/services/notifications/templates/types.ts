/** What a template receives and produces; one file per locale implements `Catalog`. */
export const TEMPLATE_KEYS = [
  'customer.order.placed',
  'customer.order.preparing',
  'customer.order.assigned',
  'customer.order.in_delivery',
  'customer.order.arriving_soon',
  'customer.order.delivered',
  'customer.order.cancelled',
  'customer.order.rejected',
  'customer.order.failed',
  'customer.payment.refunded',
  'customer.order.released',
  'merchant.order.placed',
  'merchant.order.escalated',
  'merchant.order.released',
  'merchant.order.cancelled',
  'driver.dispatch.offer',
  'driver.dispatch.ping',
  'driver.dispatch.released',
] as const;
export type TemplateKey = (typeof TEMPLATE_KEYS)[number];

export const LOCALES = ['en', 'fr'] as const;
export type Locale = (typeof LOCALES)[number];

export interface TemplateVars {
  /** The order's number as people see it (`#` + orders.number), e.g. #K3X9QAT. */
  orderRef: string;
  merchantName: string;
  /** Already formatted for the locale, e.g. "€23.50" / "23,50 €". */
  total?: string;
  refund?: string;
  payout?: string;
  pin?: string;
  trackingUrl?: string;
  /** First name only. */
  driverName?: string;
  etaMinutes?: number;
  reason?: string;
  expiresInSeconds?: number;
  /** A scheduled order's delivery window in the city's time, e.g. "Fri 4 Dec, 19:00–19:30" (ADR 0108). */
  window?: string;
  /** When a scheduled order goes to the shop, e.g. "18:45". */
  releaseTime?: string;
}

export interface Rendered {
  /** Email subject and push title. */
  title: string;
  /** Push body and SMS text (kept short). */
  body: string;
  /** Email body (plain text). */
  emailText: string;
}

export type Catalog = Record<TemplateKey, (v: TemplateVars) => { title: string; body: string; details?: string }>;
