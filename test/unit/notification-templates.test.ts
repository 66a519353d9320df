import { describe, expect, it } from 'vitest';
import { RULES } from '../../workers/services/notifications/rules';
import { newOrderNumber, ORDER_NUMBER_PATTERN } from '../../domain/order';
import { orderNumberOf } from '../../workers/services/notifications/order-number';
import { formatMoney, orderRef, pickLocale, render, TEMPLATE_KEYS, type TemplateVars } from '../../workers/services/notifications/templates/index';
import type { EventEnvelope } from '../../workers/services/events/envelope';
import { retryDelaySeconds } from '../../workers/queue/retry-policy';
import { E164, NotificationPreferencesInput } from '../../workers/schemas/notifications';

const vars: TemplateVars = {
  orderRef: '#K3X9QAT',
  merchantName: 'Chez Zoé',
  total: '€25.50',
  refund: '€25.50',
  payout: '€6.50',
  pin: '4821',
  trackingUrl: 'https://delivery.example.com/track/trk_x',
  driverName: 'Karim',
  etaMinutes: 4,
  expiresInSeconds: 30,
};

describe('templates', () => {
  it('exist for every template key in English and French, and differ between them', () => {
    for (const key of TEMPLATE_KEYS) {
      const en = render(key, 'en', vars);
      const fr = render(key, 'fr', vars);
      for (const r of [en, fr]) {
        expect(r.title.length, key).toBeGreaterThan(0);
        expect(r.body.length, key).toBeGreaterThan(0);
        expect(r.body, key).not.toMatch(/undefined|null|\$\{/);
        expect(r.emailText.startsWith(r.body), key).toBe(true);
      }
      expect(fr.body, key).not.toBe(en.body);
    }
  });

  it('carry the delivery PIN on confirmation, on the way and arriving soon, and the tracking link on the way', () => {
    for (const key of ['customer.order.placed', 'customer.order.in_delivery', 'customer.order.arriving_soon'] as const) {
      expect(render(key, 'en', vars).body).toContain('4821');
      expect(render(key, 'fr', vars).body).toContain('4821');
    }
    expect(render('customer.order.in_delivery', 'fr', vars).body).toContain(vars.trackingUrl);
  });

  it('keep SMS-sized bodies for every rule the customer hears', () => {
    for (const rules of Object.values(RULES)) {
      for (const rule of rules) expect(render(rule.template, 'fr', vars).body.length, rule.template).toBeLessThan(320);
    }
  });

  it('pick the locale from a BCP 47 tag, English when unknown', () => {
    expect(pickLocale('fr')).toBe('fr');
    expect(pickLocale('fr-CA')).toBe('fr');
    expect(pickLocale('FR_fr')).toBe('fr');
    expect(pickLocale('de-DE')).toBe('en');
    expect(pickLocale(null)).toBe('en');
  });

  it('format money and order references for people', () => {
    expect(formatMoney(2550, 'EUR', 'en')).toBe('€25.50');
    expect(formatMoney(2550, 'EUR', 'fr')).toMatch(/^25,50\s€$/);
    expect(formatMoney(1500, 'JPY', 'en')).toMatch(/¥1,500$/); // no minor unit: 1500 yen, not 15
    expect(orderRef('K3X9QAT')).toBe('#K3X9QAT');
  });
});

describe('the order number in messages', () => {
  const number = newOrderNumber();
  const numbered: TemplateVars = { ...vars, orderRef: orderRef(number) };
  const customerOrderKeys = TEMPLATE_KEYS.filter((k) => k !== 'driver.dispatch.offer');

  it('is in the title or body of every customer and merchant message, in both languages', () => {
    expect(number).toMatch(ORDER_NUMBER_PATTERN);
    for (const key of customerOrderKeys) {
      for (const locale of ['en', 'fr'] as const) {
        const r = render(key, locale, numbered);
        expect(`${r.title}\n${r.body}`, `${key} ${locale}`).toContain(`#${number}`);
        expect(r.emailText, `${key} ${locale}`).toContain(`#${number}`);
      }
    }
  });

  it('ends each email with a line for its recipient: only customers placed the order', () => {
    for (const key of TEMPLATE_KEYS) {
      for (const locale of ['en', 'fr'] as const) {
        const footer = render(key, locale, vars).emailText.split('\n').at(-1)!;
        const placedByReader = locale === 'en' ? 'an order you placed' : 'une commande que vous avez passée';
        if (key.startsWith('customer.')) expect(footer, `${key} ${locale}`).toContain(placedByReader);
        else expect(footer, `${key} ${locale}`).not.toContain(placedByReader);
      }
    }
    expect(render('merchant.order.placed', 'en', vars).emailText).toMatch(/about an order placed with your shop\./);
    expect(render('driver.dispatch.offer', 'en', vars).emailText).toMatch(/about a delivery offered or assigned to you\./);
  });

  it('names merchant emails by the number in the subject', () => {
    for (const key of ['merchant.order.placed', 'merchant.order.cancelled'] as const) {
      expect(render(key, 'en', numbered).title).toContain(`#${number}`);
      expect(render(key, 'fr', numbered).title).toContain(`#${number}`);
    }
  });

  const envelope = (data: Record<string, unknown>): Pick<EventEnvelope, 'data'> => ({ data });

  it('comes from the event, then its snapshot, then the order row; never from the id', () => {
    const row = { id: 'ord_0h3k9x2m4p6r8t0v2x4z', number: 'ROWNUMB' };
    expect(orderNumberOf(envelope({ orderId: row.id, number: 'EVTNUMB', snapshot: { number: 'SNAPNUM' } }), row)).toBe('EVTNUMB');
    expect(orderNumberOf(envelope({ orderId: row.id, snapshot: { number: 'SNAPNUM' } }), row)).toBe('SNAPNUM');
    // payment.* and the shard's facts (arriving soon, offers) carry no number: the row has it.
    expect(orderNumberOf(envelope({ orderId: row.id, amountCents: 100 }), row)).toBe('ROWNUMB');
    expect(orderNumberOf(envelope({ orderId: row.id, number: '', snapshot: null }), row)).toBe('ROWNUMB');
  });
});

describe('queue retry backoff', () => {
  it('doubles from 5 s and stops at 15 min', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(retryDelaySeconds)).toEqual([5, 10, 20, 40, 80, 160, 320, 640]);
    expect(retryDelaySeconds(12)).toBe(900);
  });
});

describe('preferences input', () => {
  it('accepts E.164 numbers only', () => {
    for (const ok of ['+33612345678', '+14155550123', '+447911123456']) expect(E164.test(ok), ok).toBe(true);
    for (const bad of ['0612345678', '+0612345678', '+33 6 12 34 56 78', '+1234', '+1234567890123456', 'tel:+33612345678']) expect(E164.test(bad), bad).toBe(false);
  });

  it('keeps marketing a separate, required switch', () => {
    expect(NotificationPreferencesInput.safeParse({ sms: true, email: true, push: true }).success).toBe(false);
    expect(NotificationPreferencesInput.safeParse({ sms: true, email: true, push: true, marketing: false }).success).toBe(true);
    expect(NotificationPreferencesInput.safeParse({ sms: true, email: true, push: true, marketing: false, extra: 1 }).success).toBe(false);
  });
});
