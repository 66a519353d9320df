import { ProblemAlert } from '../../components/ProblemAlert';
import { useApiQuery } from '../../hooks/useApiQuery';
import { Link } from '../../router';
import { formatMoney } from '../shared/format';
import type { Merchant, Page, Product } from '../shared/types';
import { CartPanel } from './CartPanel';
import { DeliveryFee } from './DeliveryFee';
import { ShopHours } from './ShopHours';
import { useCart, type Cart } from './stores';

export function MerchantPage({ merchantId }: { merchantId: string }) {
  const merchant = useApiQuery<Merchant>(`/v1/merchants/${encodeURIComponent(merchantId)}`);
  const products = useApiQuery<Page<Product>>(`/v1/merchants/${encodeURIComponent(merchantId)}/products?limit=100`);
  const [cart, setCart] = useCart();

  if (merchant.status === 'loading') return <p role="status">Loading…</p>;
  if (merchant.status === 'error') return <ProblemAlert problem={merchant.problem} context="Could not load the shop" onRetry={merchant.reload} />;
  const m = merchant.data;

  const add = (p: Product, delta: number) => {
    const base: Cart = cart && cart.merchantId === m.id ? cart : { merchantId: m.id, merchantName: m.name, currency: p.currency, lines: [] };
    if (cart && cart.merchantId !== m.id && cart.lines.length > 0 && !window.confirm(`Your cart holds items from ${cart.merchantName}. Empty it and start a new one here?`)) return;
    const existing = base.lines.find((l) => l.productId === p.id);
    const quantity = Math.max(0, Math.min(99, (existing?.quantity ?? 0) + delta));
    const lines = existing
      ? base.lines.map((l) => (l.productId === p.id ? { ...l, quantity } : l)).filter((l) => l.quantity > 0)
      : [...base.lines, { productId: p.id, name: p.name, priceCents: p.priceCents, quantity, requiresPrescription: p.requiresPrescription }];
    setCart(lines.length > 0 ? { ...base, lines } : null);
  };

  const qty = (p: Product) => (cart?.merchantId === m.id ? (cart.lines.find((l) => l.productId === p.id)?.quantity ?? 0) : 0);

  return (
    <div className="grid-2">
      <section aria-labelledby="shop-title">
        <p>
          <Link to="/customer">← All shops</Link>
        </p>
        <h2 id="shop-title">{m.name}</h2>
        <p className="muted">{m.address}</p>
        <ShopHours merchantId={m.id} />
        <DeliveryFee merchantId={m.id} />
        {products.status === 'loading' ? <p role="status">Loading products…</p> : null}
        {products.status === 'error' ? <ProblemAlert problem={products.problem} context="Could not load products" onRetry={products.reload} /> : null}
        {products.status === 'success' ? (
          <ul className="plain-list product-list">
            {products.data.items.map((p) => (
              <li key={p.id} className="product" data-product-id={p.id}>
                <div>
                  <strong>{p.name}</strong>
                  {p.requiresPrescription ? <span className="badge badge--warn"> Prescription</span> : null}
                  <br />
                  <span>{formatMoney(p.priceCents, p.currency)}</span>
                  {!p.available ? <span className="muted"> · sold out</span> : null}
                </div>
                <div className="qty" role="group" aria-label={`Quantity of ${p.name}`}>
                  {qty(p) > 0 ? (
                    <>
                      <button type="button" className="button button--secondary button--small" onClick={() => add(p, -1)} aria-label={`Remove one ${p.name}`}>
                        −
                      </button>
                      <span aria-live="polite">{qty(p)}</span>
                    </>
                  ) : null}
                  <button type="button" className="button button--small" disabled={!p.available || m.acceptingOrders === false} onClick={() => add(p, 1)} aria-label={`Add ${p.name} to the cart`}>
                    {qty(p) > 0 ? '+' : 'Add'}
                  </button>
                </div>
              </li>
            ))}
          </ul>
        ) : null}
      </section>
      <CartPanel />
    </div>
  );
}
