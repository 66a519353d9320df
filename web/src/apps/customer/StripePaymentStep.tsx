/**
 * Production checkout: Stripe's own Payment Element (ADR 0071). Stripe.js is
 * loaded from js.stripe.com only when this step is shown (the `pure` entry
 * does not load it on import, and Checkout imports this module lazily), with
 * the publishable key the API gave; the Element is mounted with the order's
 * PaymentIntent client secret, so card details go from Stripe's iframe to
 * Stripe and never through our pages. Cannot run offline: local runs use the
 * test-card checkout instead (checkout-mode.ts).
 */
import { Elements, PaymentElement, useElements, useStripe } from '@stripe/react-stripe-js';
import type { Stripe } from '@stripe/stripe-js';
import { loadStripe } from '@stripe/stripe-js/pure';
import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';

export interface StripePaymentStepProps {
  publishableKey: string;
  clientSecret: string;
  /** Where Stripe sends the customer back after a redirect-based method (and what we open on success). */
  returnPath: string;
  payLabel: string;
  onPaid: () => void;
}

/** One Stripe.js instance per key for the page's life, as Stripe recommends. */
const instances = new Map<string, Promise<Stripe | null>>();
function stripeFor(publishableKey: string): Promise<Stripe | null> {
  let instance = instances.get(publishableKey);
  if (!instance) {
    instance = loadStripe(publishableKey).catch(() => null);
    instances.set(publishableKey, instance);
  }
  return instance;
}

export default function StripePaymentStep(props: StripePaymentStepProps) {
  const stripe = useMemo(() => stripeFor(props.publishableKey), [props.publishableKey]);
  const [unreachable, setUnreachable] = useState(false);
  useEffect(() => {
    let current = true;
    void stripe.then((s) => current && setUnreachable(s === null));
    return () => {
      current = false;
    };
  }, [stripe]);
  if (unreachable) {
    return (
      <div role="alert" className="alert alert--error">
        <p className="alert__title">Stripe’s payment form could not be loaded</p>
        <p className="alert__detail">Check your connection (or a blocker of js.stripe.com) and reload the page. Nothing was charged.</p>
      </div>
    );
  }
  return (
    <Elements stripe={stripe} options={{ clientSecret: props.clientSecret, appearance: { theme: 'stripe' } }}>
      <PaymentForm {...props} />
    </Elements>
  );
}

function PaymentForm({ returnPath, payLabel, onPaid }: StripePaymentStepProps) {
  const id = useId();
  const stripe = useStripe();
  const elements = useElements();
  const [ready, setReady] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  async function pay(event: FormEvent) {
    event.preventDefault();
    if (!stripe || !elements) return;
    setBusy(true);
    setMessage(null);
    const { error } = await stripe.confirmPayment({
      elements,
      confirmParams: { return_url: new URL(returnPath, window.location.origin).toString() },
      // Cards complete here; methods that need the bank's page come back to returnPath.
      redirect: 'if_required',
    });
    setBusy(false);
    if (error) {
      setMessage(error.message ?? 'The payment was not completed. Nothing was charged.');
      return;
    }
    onPaid();
  }

  return (
    <form onSubmit={pay} aria-labelledby={`${id}-title`} data-checkout="stripe-element">
      <fieldset className="panel">
        <legend id={`${id}-title`}>Payment</legend>
        {message ? (
          <div role="alert" className="alert alert--error">
            <p className="alert__title">Payment not completed</p>
            <p className="alert__detail">{message}</p>
          </div>
        ) : null}
        {!stripe ? <p role="status">Loading Stripe’s secure payment form…</p> : null}
        <PaymentElement onReady={() => setReady(true)} onLoadError={() => setMessage('Stripe’s payment form could not be loaded. Check your connection and try again.')} />
      </fieldset>
      <button type="submit" className="button button--big button--wide" disabled={!stripe || !elements || !ready || busy}>
        {busy ? 'Paying…' : payLabel}
      </button>
    </form>
  );
}
