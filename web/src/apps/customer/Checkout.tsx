import { lazy, Suspense, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { toApiProblem, type ApiProblem } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { Link, navigate } from '../../router';
import { formatMoney } from '../shared/format';
import type { AppSession } from '../shared/session';
import type { CreatedOrder, Order } from '../shared/types';
import { AddressPicker } from './AddressPicker';
import { DeliveryTimeChooser, type ScheduledWindow } from './DeliveryTimeChooser';
import { confirmCardPayment, type PaymentTarget } from './card-payment';
import { checkoutModeOf, type CheckoutMode } from './checkout-mode';
import { cartTotalCents, useCart, useDeliveryAddress } from './stores';

// Stripe.js and its React bindings load only for a production checkout (ADR 0071).
const StripePaymentStep = lazy(() => import('./StripePaymentStep'));

/**
 * The checkout, in two steps: the order is placed (priced on the server, one
 * Idempotency-Key per checkout, so a retry never orders twice), then paid in
 * the checkout its answer calls for (checkout-mode.ts): the test-card form
 * against the Stripe fake in local runs, Stripe's Payment Element in
 * production.
 */
export function Checkout({ session }: { session: AppSession }) {
  const id = useId();
  const [cart, setCart] = useCart();
  const [address] = useDeliveryAddress();
  const [instructions, setInstructions] = useState('');
  const [scheduledFor, setScheduledFor] = useState<ScheduledWindow | null>(null);
  // The address picker is open ("Change"): the order waits for the address being typed or chosen.
  const [choosingAddress, setChoosingAddress] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  // The order and how to pay it survive a failed card, so paying again reuses them.
  const [placed, setPlaced] = useState<{ order: Order; mode: CheckoutMode } | null>(null);
  const idempotencyKey = useRef<string>(crypto.randomUUID());

  if (!cart || cart.lines.length === 0) {
    return (
      <section>
        <h2>Checkout</h2>
        <p>
          Your cart is empty. <Link to="/customer">Choose a shop</Link>
        </p>
      </section>
    );
  }

  async function placeOrder(event: FormEvent) {
    event.preventDefault();
    if (!cart || !address || choosingAddress) return;
    setProblem(null);
    setBusy(true);
    try {
      const created = await session.fetch<CreatedOrder>('/v1/orders', {
        method: 'POST',
        headers: { 'Idempotency-Key': idempotencyKey.current },
        json: {
          merchantId: cart.merchantId,
          items: cart.lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
          dropoff: { address: address.address, location: address.location, ...(instructions.trim() ? { instructions: instructions.trim() } : {}) },
          ...(scheduledFor ? { scheduledFor } : {}),
        },
      });
      if (!created.payment) {
        setCart(null);
        navigate(`/customer/orders/${created.order.id}`);
        return;
      }
      setPlaced({ order: created.order, mode: checkoutModeOf(created.payment) });
    } catch (error) {
      setProblem(toApiProblem(error));
    } finally {
      setBusy(false);
    }
  }

  const paid = () => {
    if (!placed) return;
    setCart(null);
    navigate(`/customer/orders/${placed.order.id}`);
  };

  const order = placed?.order;
  const payLabel = order ? `Pay ${formatMoney(order.totals.totalCents, order.totals.currency)}` : '';

  return (
    <div className="grid-2">
      <section aria-labelledby={`${id}-title`}>
        <h2 id={`${id}-title`}>Checkout</h2>
        {!placed ? (
          <form onSubmit={placeOrder} noValidate>
            {problem ? <ProblemAlert problem={problem} context="The order was not placed" /> : null}
            <AddressPicker onEditingChange={setChoosingAddress} />
            <div className="form-field">
              <label htmlFor={`${id}-instr`}>Instructions for the driver (optional)</label>
              <textarea id={`${id}-instr`} rows={2} maxLength={500} value={instructions} onChange={(e) => setInstructions(e.target.value)} />
            </div>
            <DeliveryTimeChooser merchantId={cart.merchantId} value={scheduledFor} onChange={setScheduledFor} />
            <button type="submit" className="button button--big button--wide" disabled={busy || !address || choosingAddress} aria-describedby={`${id}-next`}>
              {busy ? 'Placing the order…' : 'Place order'}
            </button>
            <p id={`${id}-next`} className="hint muted">
              You pay on the next step; the order goes to the shop once it is paid.
            </p>
            {!address ? <p className="field-error">Choose a delivery address first.</p> : null}
            {address && choosingAddress ? <p className="field-error">Confirm the delivery address first (or keep the one you had).</p> : null}
          </form>
        ) : (
          <>
            <p className="address-current">
              Delivering to <strong data-testid="delivery-address">{order?.dropoff.address ?? address?.address}</strong>
            </p>
            {placed.mode.kind === 'test-card' ? (
              <TestCardForm target={placed.mode} payLabel={payLabel} onPaid={paid} />
            ) : placed.mode.kind === 'stripe-element' ? (
              <Suspense fallback={<p role="status">Loading Stripe’s secure payment form…</p>}>
                <StripePaymentStep
                  publishableKey={placed.mode.publishableKey}
                  clientSecret={placed.mode.clientSecret}
                  returnPath={`/customer/orders/${encodeURIComponent(placed.order.id)}`}
                  payLabel={payLabel}
                  onPaid={paid}
                />
              </Suspense>
            ) : (
              <div role="alert" className="alert alert--error">
                <p className="alert__title">Card payment is not available</p>
                <p className="alert__detail">
                  {placed.mode.reason} <Link to={`/customer/orders/${encodeURIComponent(placed.order.id)}`}>See the order</Link>
                </p>
              </div>
            )}
          </>
        )}
      </section>
      <aside className="panel" aria-labelledby={`${id}-summary`}>
        <h2 id={`${id}-summary`}>Summary</h2>
        <p className="muted">From {cart.merchantName}</p>
        <ul className="plain-list stack">
          {cart.lines.map((l) => (
            <li key={l.productId} className="cart__line">
              <span>
                {l.quantity} × {l.name}
              </span>
              <span>{formatMoney(l.priceCents * l.quantity, cart.currency)}</span>
            </li>
          ))}
        </ul>
        {order ? (
          <>
            <p className="cart__line cart__total">
              <span>Delivery</span>
              <span>{formatMoney(order.totals.deliveryFeeCents, order.totals.currency)}</span>
            </p>
            <p className="cart__line">
              <span>Tax</span>
              <span>{formatMoney(order.totals.taxCents, order.totals.currency)}</span>
            </p>
            <p className="cart__line">
              <span>Total</span>
              <strong>{formatMoney(order.totals.totalCents, order.totals.currency)}</strong>
            </p>
          </>
        ) : (
          <p className="cart__line cart__total">
            <span>Items</span>
            <strong>{formatMoney(cartTotalCents(cart), cart.currency)}</strong>
          </p>
        )}
        {cart.lines.some((l) => l.requiresPrescription) ? <p className="notice notice--warn">This order contains a prescription product: the driver checks your ID at the door.</p> : null}
      </aside>
    </div>
  );
}

/**
 * Local runs only (the order answer named the Stripe fake): a plain card form
 * confirming at the fake, as Stripe.js would at Stripe (ADR 0054).
 */
function TestCardForm({ target, payLabel, onPaid }: { target: PaymentTarget; payLabel: string; onPaid: () => void }) {
  const id = useId();
  const [card, setCard] = useState({ number: '', exp: '12/30', cvc: '' });
  const [busy, setBusy] = useState(false);
  const [declined, setDeclined] = useState<string | null>(null);
  const numberRef = useRef<HTMLInputElement>(null);
  useEffect(() => numberRef.current?.focus(), []);

  async function pay(event: FormEvent) {
    event.preventDefault();
    setDeclined(null);
    setBusy(true);
    const [month = '', year = ''] = card.exp.split('/').map((s) => s.trim());
    const outcome = await confirmCardPayment(target, { number: card.number, expMonth: month, expYear: year.length === 2 ? `20${year}` : year, cvc: card.cvc });
    setBusy(false);
    if (outcome.kind === 'succeeded' || outcome.kind === 'processing') onPaid();
    else setDeclined(outcome.message);
  }

  return (
    <form onSubmit={pay} noValidate data-checkout="test-card">
      {declined ? (
        <div role="alert" className="alert alert--error">
          <p className="alert__title">Payment not completed</p>
          <p className="alert__detail">{declined}</p>
        </div>
      ) : null}
      <fieldset className="panel">
        <legend>Card</legend>
        <p className="hint muted" id={`${id}-card-hint`}>
          Test mode: use <code>4242 4242 4242 4242</code> (paid) or <code>4000 0000 0000 0002</code> (declined); a past expiry date (e.g. 01/20) is refused as Stripe refuses it. Nothing is charged.
        </p>
        <div className="form-field">
          <label htmlFor={`${id}-num`}>Card number</label>
          <input
            id={`${id}-num`}
            ref={numberRef}
            inputMode="numeric"
            autoComplete="cc-number"
            required
            value={card.number}
            onChange={(e) => setCard({ ...card, number: e.target.value.replace(/[^\d ]/g, '').slice(0, 23) })}
            aria-describedby={`${id}-card-hint`}
          />
        </div>
        <div className="inline-form">
          <div className="form-field">
            <label htmlFor={`${id}-exp`}>Expiry (MM/YY)</label>
            <input id={`${id}-exp`} inputMode="numeric" autoComplete="cc-exp" required value={card.exp} onChange={(e) => setCard({ ...card, exp: e.target.value.slice(0, 7) })} />
          </div>
          <div className="form-field">
            <label htmlFor={`${id}-cvc`}>CVC</label>
            <input id={`${id}-cvc`} inputMode="numeric" autoComplete="cc-csc" required maxLength={4} value={card.cvc} onChange={(e) => setCard({ ...card, cvc: e.target.value.replace(/\D/g, '') })} />
          </div>
        </div>
      </fieldset>
      <button type="submit" className="button button--big button--wide" disabled={busy || card.number.replace(/\D/g, '').length < 12 || card.cvc.length < 3}>
        {busy ? 'Paying…' : payLabel}
      </button>
    </form>
  );
}
