import { Link } from '../../router';
import { formatMoney } from '../shared/format';
import { DeliveryFee } from './DeliveryFee';
import { cartCount, cartTotalCents, useCart } from './stores';

export function CartPanel() {
  const [cart, setCart] = useCart();
  const count = cartCount(cart);
  return (
    <aside className="panel cart" aria-labelledby="cart-title">
      <h2 id="cart-title">
        Your cart <span className="badge">{count}<span className="visually-hidden"> items</span></span>
      </h2>
      {!cart || count === 0 ? (
        <p className="muted">Add something from the menu.</p>
      ) : (
        <>
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
          <p className="cart__line cart__total">
            <span>Items</span>
            <strong>{formatMoney(cartTotalCents(cart), cart.currency)}</strong>
          </p>
          <DeliveryFee merchantId={cart.merchantId} />
          <p className="muted">Tax is added at checkout.</p>
          <div className="button-row">
            <Link to="/customer/checkout" className="button">
              Go to checkout
            </Link>
            <button type="button" className="button button--secondary" onClick={() => setCart(null)}>
              Empty cart
            </button>
          </div>
        </>
      )}
    </aside>
  );
}
