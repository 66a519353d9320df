import { useId, useState, type FormEvent } from 'react';
import { ProblemAlert } from '../../components/ProblemAlert';
import { formatMoney } from '../shared/format';
import type { AppSession } from '../shared/session';
import type { Page, Product } from '../shared/types';
import { useAction, useSessionQuery } from '../shared/useSessionQuery';

/** Parses "9.50" / "9,50" into integer minor units; null when not a price. */
export function parsePrice(text: string): number | null {
  const m = /^\s*(\d{1,7})(?:[.,](\d{1,2}))?\s*$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0'));
}

export function CatalogEditor({ session, merchantId, isPharmacy }: { session: AppSession; merchantId: string; isPharmacy: boolean }) {
  const products = useSessionQuery<Page<Product>>(session, `/v1/merchants/${encodeURIComponent(merchantId)}/products?limit=100`);
  const { pending, problem, run } = useAction();
  const id = useId();
  const [name, setName] = useState('');
  const [price, setPrice] = useState('');
  const [rx, setRx] = useState(false);
  const [priceError, setPriceError] = useState<string | null>(null);

  async function add(event: FormEvent) {
    event.preventDefault();
    const cents = parsePrice(price);
    if (cents === null) {
      setPriceError('Enter a price such as 9.50');
      return;
    }
    setPriceError(null);
    const created = await run('add', () =>
      session.fetch<Product>(`/v1/merchants/${encodeURIComponent(merchantId)}/products`, {
        method: 'POST',
        json: { name: name.trim(), priceCents: cents, ...(isPharmacy ? { requiresPrescription: rx } : {}) },
      }),
    );
    if (created) {
      setName('');
      setPrice('');
      setRx(false);
      products.reload();
    }
  }

  async function patch(product: Product, change: Partial<Pick<Product, 'name' | 'priceCents' | 'available'>>) {
    const updated = await run(product.id, () =>
      session.fetch<Product>(`/v1/merchants/${encodeURIComponent(merchantId)}/products/${encodeURIComponent(product.id)}`, { method: 'PATCH', json: change }),
    );
    if (updated) products.reload();
  }

  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Catalog</h2>
      {problem ? <ProblemAlert problem={problem} context="Could not save" /> : null}
      <form className="panel inline-form" onSubmit={add} aria-labelledby={`${id}-add`}>
        <h3 id={`${id}-add`} style={{ flexBasis: '100%', margin: 0 }}>
          Add a product
        </h3>
        <div className="form-field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input id={`${id}-name`} required value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="form-field">
          <label htmlFor={`${id}-price`}>Price</label>
          <input
            id={`${id}-price`}
            inputMode="decimal"
            required
            value={price}
            onChange={(e) => setPrice(e.target.value)}
            aria-invalid={priceError ? true : undefined}
            aria-describedby={priceError ? `${id}-price-error` : undefined}
          />
          {priceError ? (
            <p id={`${id}-price-error`} className="field-error">
              {priceError}
            </p>
          ) : null}
        </div>
        {isPharmacy ? (
          <div className="form-field" style={{ flex: '0 0 auto' }}>
            <label>
              <input type="checkbox" checked={rx} onChange={(e) => setRx(e.target.checked)} /> Requires a prescription
            </label>
          </div>
        ) : null}
        <button type="submit" className="button" disabled={pending !== null || !name.trim() || !price}>
          {pending === 'add' ? 'Adding…' : 'Add product'}
        </button>
      </form>
      {products.status === 'loading' ? <p role="status">Loading the catalog…</p> : null}
      {products.status === 'error' && !products.data ? <ProblemAlert problem={products.problem} context="Could not load the catalog" onRetry={products.reload} /> : null}
      {products.data ? (
        <div className="table-scroll">
          <table className="data-table">
            <caption className="visually-hidden">Products</caption>
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col" className="num">Price</th>
                <th scope="col">Available</th>
                <th scope="col">Change price</th>
              </tr>
            </thead>
            <tbody>
              {products.data.items.map((p) => (
                <ProductRow key={p.id} product={p} busy={pending === p.id} onPatch={(change) => void patch(p, change)} />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function ProductRow({ product, busy, onPatch }: { product: Product; busy: boolean; onPatch: (change: Partial<Product>) => void }) {
  const [price, setPrice] = useState((product.priceCents / 100).toFixed(2));
  const id = useId();
  const cents = parsePrice(price);
  return (
    <tr>
      <th scope="row">
        {product.name}
        {product.requiresPrescription ? <span className="badge badge--warn"> Prescription</span> : null}
      </th>
      <td className="num">{formatMoney(product.priceCents, product.currency)}</td>
      <td>
        <label>
          <input type="checkbox" checked={product.available} disabled={busy} onChange={(e) => onPatch({ available: e.target.checked })} />
          <span className="visually-hidden"> {product.name} available</span> {product.available ? 'Yes' : 'No'}
        </label>
      </td>
      <td>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (cents !== null && cents !== product.priceCents) onPatch({ priceCents: cents });
          }}
        >
          <label htmlFor={`${id}-p`} className="visually-hidden">
            New price of {product.name}
          </label>
          <input id={`${id}-p`} inputMode="decimal" value={price} onChange={(e) => setPrice(e.target.value)} style={{ width: '6rem' }} aria-invalid={cents === null ? true : undefined} />
          <button type="submit" className="button button--secondary button--small" disabled={busy || cents === null || cents === product.priceCents}>
            Save<span className="visually-hidden"> price of {product.name}</span>
          </button>
        </form>
      </td>
    </tr>
  );
}
