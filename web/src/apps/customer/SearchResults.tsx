/**
 * Shop and dish search (GET /v1/search): accents and case do not matter
 * ("creme brulee" finds "Crème brûlée"); a dish links to its shop.
 */
import { ProblemAlert } from '../../components/ProblemAlert';
import { useApiQuery } from '../../hooks/useApiQuery';
import { Link } from '../../router';
import { formatMoney } from '../shared/format';
import type * as Api from '../../api/schema.gen';

type Results = Api.SearchResults;

export function SearchResults({ q, cityId }: { q: string; cityId: string | undefined }) {
  const results = useApiQuery<Results>(`/v1/search?q=${encodeURIComponent(q)}${cityId ? `&cityId=${encodeURIComponent(cityId)}` : ''}&limit=20`);
  if (results.status === 'loading') return <p role="status">Searching…</p>;
  if (results.status === 'error') return <ProblemAlert problem={results.problem} context="Search failed" onRetry={results.reload} />;
  const { merchants, products } = results.data;
  if (merchants.length === 0 && products.length === 0) return <p className="muted" role="status">Nothing matches “{q}” in an open shop.</p>;
  return (
    <div className="stack" data-testid="search-results">
      {merchants.length > 0 ? (
        <section aria-label="Shops">
          <h3>Shops</h3>
          <ul className="plain-list stack">
            {merchants.map((m) => (
              <li key={m.id}>
                <Link to={`/customer/merchants/${m.id}`}>{m.name}</Link> <span className="muted">· {m.address}</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {products.length > 0 ? (
        <section aria-label="Dishes and products">
          <h3>Dishes and products</h3>
          <ul className="plain-list stack">
            {products.map((p) => (
              <li key={p.id} data-product-id={p.id}>
                <Link to={`/customer/merchants/${p.merchant.id}`}>{p.name}</Link> <span className="muted">· {p.merchant.name} · {formatMoney(p.priceCents, p.currency)}{p.available ? '' : ' · sold out'}</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}
