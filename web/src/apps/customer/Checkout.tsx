import { useId, useRef, useState, type FormEvent } from 'react';
import { toApiProblem, type ApiProblem } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { Link, navigate } from '../../router';
import { formatMoney } from '../shared/format';
import type { AppSession } from '../shared/session';
import type { CreatedOrder, Order } from '../shared/types';
import { AddressPicker } from './AddressPicker';
import { confirmCardPayment, paymentTarget, type PaymentTarget } from './card-payment';
import { cartTotalCents, useCart, useDeliveryAddress } from './stores';

/** The checkout: address, card, pay. One Idempotency-Key per checkout, so a retry never orders twice. */
export function Checkout({ session, showTestCard }: { session: AppSession; showTestCard: boolean }) {
  const id = useId();
  const [cart, setCart] = useCart();
  const [address] = useDeliveryAddress();
  const [instructions, setInstructions] = useState('');
  const [card, setCard] = useState({ number: '', exp: '12/30', cvc: '' });
  const [busy, setBusy] = useState<null | 'order' | 'pay'>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [declined, setDeclined] = useState<string | null>(null);
  // The order and its payment survive a failed card, so paying again reuses them.
  const pendingOrder = useRef<{ order: Order; target: PaymentTarget } | null>(null);
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

  async function pay(event: FormEvent) {
    event.preventDefault();
    if (!cart || !address) return;
    setProblem(null);
    setDeclined(null);
    try {
      if (!pendingOrder.current) {
        setBusy('order');
        const created = await session.fetch<CreatedOrder>('/v1/orders', {
          method: 'POST',
          headers: { 'Idempotency-Key': idempotencyKey.current },
          json: {
            merchantId: cart.merchantId,
            items: cart.lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
            dropoff: { address: address.address, location: address.location, ...(instructions.trim() ? { instructions: instructions.trim() } : {}) },
          },
        });
        if (!created.payment) {
          setCart(null);
          navigate(`/customer/orders/${created.order.id}`);
          return;
        }
        pendingOrder.current = { order: created.order, target: paymentTarget(created.payment) };
      }
      setBusy('pay');
      const [month = '', year = ''] = card.exp.split('/').map((s) => s.trim());
      const outcome = await confirmCardPayment(pendingOrder.current.target, { number: card.number, expMonth: month, expYear: year.length === 2 ? `20${year}` : year, cvc: card.cvc });
      if (outcome.kind === 'succeeded' || outcome.kind === 'processing') {
        const orderId = pendingOrder.current.order.id;
        setCart(null);
        navigate(`/customer/orders/${orderId}`);
        return;
      }
      setDeclined(outcome.message);
    } catch (error) {
      setProblem(toApiProblem(error));
    } finally {
      setBusy(null);
    }
  }

  const itemsTotal = cartTotalCents(cart);
  const order = pendingOrder.current?.order;

  return (
    <div className="grid-2">
      <form onSubmit={pay} aria-labelledby={`${id}-title`} noValidate>
        <h2 id={`${id}-title`}>Checkout</h2>
        {problem ? <ProblemAlert problem={problem} context="The order was not placed" /> : null}
        {declined ? (
          <div role="alert" className="alert alert--error">
            <p className="alert__title">Payment not completed</p>
            <p className="alert__detail">{declined}</p>
          </div>
        ) : null}
        <AddressPicker />
        <div className="form-field">
          <label htmlFor={`${id}-instr`}>Instructions for the driver (optional)</label>
          <textarea id={`${id}-instr`} rows={2} maxLength={500} value={instructions} onChange={(e) => setInstructions(e.target.value)} />
        </div>
        <fieldset className="panel">
          <legend>Card</legend>
          {showTestCard ? (
            <p className="hint muted" id={`${id}-card-hint`}>
              Test mode: use <code>4242 4242 4242 4242</code> (paid) or <code>4000 0000 0000 0002</code> (declined). Nothing is charged.
            </p>
          ) : null}
          <div className="form-field">
            <label htmlFor={`${id}-num`}>Card number</label>
            <input
              id={`${id}-num`}
              inputMode="numeric"
              autoComplete="cc-number"
              required
              value={card.number}
              onChange={(e) => setCard({ ...card, number: e.target.value.replace(/[^\d ]/g, '').slice(0, 23) })}
              aria-describedby={showTestCard ? `${id}-card-hint` : undefined}
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
        <button type="submit" className="button button--big button--wide" disabled={busy !== null || !address || card.number.replace(/\D/g, '').length < 12 || card.cvc.length < 3}>
          {busy === 'order' ? 'Placing the order…' : busy === 'pay' ? 'Paying…' : order ? `Pay ${formatMoney(order.totals.totalCents, order.totals.currency)}` : 'Place order and pay'}
        </button>
        {!address ? <p className="field-error">Choose a delivery address first.</p> : null}
      </form>
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
            <strong>{formatMoney(itemsTotal, cart.currency)}</strong>
          </p>
        )}
        {cart.lines.some((l) => l.requiresPrescription) ? <p className="notice notice--warn">This order contains a prescription product: the driver checks your ID at the door.</p> : null}
      </aside>
    </div>
  );
}
