import { stripeProvider } from './stripe';
import type { PaymentProvider } from './types';

export * from './types';

/** The payment provider configured by the Worker's bindings. */
export function paymentProvider(env: Pick<Env, 'STRIPE_SECRET_KEY' | 'STRIPE_WEBHOOK_SECRET' | 'STRIPE_API_BASE'>): PaymentProvider {
  return stripeProvider({ secretKey: env.STRIPE_SECRET_KEY, webhookSecret: env.STRIPE_WEBHOOK_SECRET, apiBase: env.STRIPE_API_BASE });
}
