/**
 * Stripe's documented test cards and test PaymentMethods the fake knows.
 * https://docs.stripe.com/testing — card numbers as typed by a customer
 * (spaces allowed) or the `pm_card_*` shortcuts server-side code uses.
 */
export type CardOutcome =
  | { kind: 'succeed' }
  | { kind: 'decline'; code: string; declineCode: string; message: string }
  | { kind: 'requires_action' };

export interface TestCard {
  brand: string;
  last4: string;
  outcome: CardOutcome;
}

const DECLINED = { kind: 'decline', code: 'card_declined', declineCode: 'generic_decline', message: 'Your card was declined.' } as const;

const BY_NUMBER: Record<string, TestCard> = {
  '4242424242424242': { brand: 'visa', last4: '4242', outcome: { kind: 'succeed' } },
  '5555555555554444': { brand: 'mastercard', last4: '4444', outcome: { kind: 'succeed' } },
  '4000000000000002': { brand: 'visa', last4: '0002', outcome: DECLINED },
  '4000000000009995': {
    brand: 'visa',
    last4: '9995',
    outcome: { kind: 'decline', code: 'card_declined', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  },
  '4000002500003155': { brand: 'visa', last4: '3155', outcome: { kind: 'requires_action' } },
  '4000000000000069': { brand: 'visa', last4: '0069', outcome: { kind: 'decline', code: 'expired_card', declineCode: 'expired_card', message: 'Your card has expired.' } },
};

/**
 * Stripe's answer to a card whose expiry date has passed (402, as seen on the
 * wire): `code` and `decline_code` `expired_card`, `param` `exp_month`.
 */
export const EXPIRED_CARD = { code: 'expired_card', declineCode: 'expired_card', message: 'Your card has expired.', param: 'exp_month', docUrl: 'https://stripe.com/docs/error-codes/expired-card' } as const;

/**
 * Whether the typed expiry (`exp_month` 1–12, `exp_year` two or four digits)
 * has passed: a card is valid through the last day of its month, in UTC.
 * Absent fields are not judged (server-side `pm_card_*` shortcuts carry none).
 */
export function expiryPassed(expMonth: string | undefined, expYear: string | undefined, now = new Date()): boolean {
  if (!expMonth || !expYear) return false;
  const month = Number(expMonth);
  let year = Number(expYear);
  if (!Number.isInteger(month) || !Number.isInteger(year)) return false;
  if (year < 100) year += 2000;
  return year < now.getUTCFullYear() || (year === now.getUTCFullYear() && month < now.getUTCMonth() + 1);
}

const BY_PAYMENT_METHOD: Record<string, string> = {
  pm_card_visa: '4242424242424242',
  pm_card_mastercard: '5555555555554444',
  pm_card_chargeDeclined: '4000000000000002',
  pm_card_visa_chargeDeclined: '4000000000000002',
  pm_card_chargeDeclinedInsufficientFunds: '4000000000009995',
  pm_card_authenticationRequired: '4000002500003155',
  pm_card_threeDSecure2Required: '4000002500003155',
  pm_card_chargeDeclinedExpiredCard: '4000000000000069',
};

export function cardByNumber(number: string): TestCard | undefined {
  return BY_NUMBER[number.replace(/[\s-]/g, '')];
}

export function cardNumberForPaymentMethod(id: string): string | undefined {
  return BY_PAYMENT_METHOD[id];
}
