/**
 * Templates per event and audience, in English and French; the locale comes
 * from `users.locale` (BCP 47, `fr-CA` → fr, anything unknown → en).
 */
import { displayOrderNumber, MERCHANT_UNRESPONSIVE } from '../../../../domain/order';
import { en, enFooter } from './en';
import { fr, frFooter } from './fr';
import { LOCALES, type Catalog, type Locale, type Rendered, type TemplateKey, type TemplateVars } from './types';

export { TEMPLATE_KEYS, LOCALES, type Locale, type Rendered, type TemplateKey, type TemplateVars } from './types';

/** Who an email goes to: the template key's first part. */
type Recipient = keyof typeof enFooter;

const CATALOGS: Record<Locale, { catalog: Catalog; footer: Record<Recipient, string>; intl: string }> = {
  en: { catalog: en, footer: enFooter, intl: 'en-GB' },
  fr: { catalog: fr, footer: frFooter, intl: 'fr-FR' },
};

export function pickLocale(tag: string | null | undefined): Locale {
  const language = (tag ?? '').trim().toLowerCase().split(/[-_]/)[0];
  return (LOCALES as readonly string[]).includes(language ?? '') ? (language as Locale) : 'en';
}

/** Formatters by locale and currency: building one costs more than formatting with it (issue 14's profile). */
const MONEY_FORMATS = new Map<string, { format: Intl.NumberFormat; digits: number }>();

export function formatMoney(cents: number, currency: string, locale: Locale): string {
  const key = `${locale} ${currency}`;
  let entry = MONEY_FORMATS.get(key);
  if (!entry) {
    const format = new Intl.NumberFormat(CATALOGS[locale].intl, { style: 'currency', currency });
    entry = { format, digits: format.resolvedOptions().maximumFractionDigits ?? 2 };
    MONEY_FORMATS.set(key, entry);
  }
  return entry.format.format(cents / 10 ** entry.digits);
}

/**
 * The order as people see it everywhere (apps, SMS, email, push, webhooks):
 * `#` and the order's number (domain/order.ts), never anything derived from its id.
 */
export function orderRef(orderNumber: string): string {
  return displayOrderNumber(orderNumber);
}

/** Reasons the platform itself records, as people read them; anyone else's words are shown as written. */
const REASONS: Record<Locale, Record<string, string>> = {
  en: { [MERCHANT_UNRESPONSIVE]: 'the shop did not accept it in time' },
  fr: { [MERCHANT_UNRESPONSIVE]: 'le commerce ne l’a pas acceptée à temps' },
};

export function reasonText(reason: string, locale: Locale): string {
  return REASONS[locale][reason] ?? reason;
}

export function render(key: TemplateKey, locale: Locale, vars: TemplateVars): Rendered {
  const { catalog, footer } = CATALOGS[locale];
  const { title, body, details } = catalog[key](vars);
  const recipient = key.split('.', 1)[0] as Recipient;
  return { title, body, emailText: [body, details, '', '—', footer[recipient]].filter((line) => line !== undefined).join('\n') };
}
