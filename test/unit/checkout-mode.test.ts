import { describe, expect, it } from 'vitest';
import { checkoutModeOf, isStripeHosted } from '../../web/src/apps/customer/checkout-mode';

const clientSecret = 'pi_3Abc_secret_xyz';

describe('which checkout the customer app uses', () => {
  it('local runs (the answer names the Stripe fake): the test-card checkout, with the fake’s key', () => {
    expect(checkoutModeOf({ clientSecret, apiBase: 'http://127.0.0.1:12111', publishableKey: 'pk_test_local' })).toEqual({
      kind: 'test-card',
      clientSecret,
      apiBase: 'http://127.0.0.1:12111',
      publishableKey: 'pk_test_local',
    });
    // An older local answer without a key still pays at the fake.
    expect(checkoutModeOf({ clientSecret, apiBase: 'http://127.0.0.1:12111' })).toMatchObject({ kind: 'test-card', publishableKey: 'pk_test_local' });
  });

  it('production (a publishable key, no API base): Stripe’s Payment Element with that key and the client secret', () => {
    expect(checkoutModeOf({ clientSecret, publishableKey: 'pk_live_51HxYz' })).toEqual({ kind: 'stripe-element', clientSecret, publishableKey: 'pk_live_51HxYz' });
    expect(checkoutModeOf({ clientSecret, publishableKey: 'pk_test_51HxYz' })).toMatchObject({ kind: 'stripe-element' });
  });

  it('never sends card numbers from our own form to Stripe: an API base on stripe.com means the Payment Element', () => {
    expect(checkoutModeOf({ clientSecret, apiBase: 'https://api.stripe.com', publishableKey: 'pk_live_51HxYz' })).toMatchObject({ kind: 'stripe-element' });
    expect(checkoutModeOf({ clientSecret, apiBase: 'https://api.stripe.com' })).toMatchObject({ kind: 'unavailable' });
    expect(isStripeHosted('https://API.Stripe.com/v1')).toBe(true);
    expect(isStripeHosted('https://stripe.com.evil.test')).toBe(false);
    expect(isStripeHosted('http://127.0.0.1:12111')).toBe(false);
  });

  it('neither an API base nor a usable key: unavailable, said plainly', () => {
    for (const payment of [{ clientSecret }, { clientSecret, publishableKey: '' }, { clientSecret, publishableKey: 'sk_live_oops' }, { clientSecret, apiBase: '  ' }]) {
      const mode = checkoutModeOf(payment);
      expect(mode.kind).toBe('unavailable');
      expect(mode.kind === 'unavailable' && mode.reason).toMatch(/not set up/);
    }
  });
});
