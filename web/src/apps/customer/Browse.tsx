import { useId, useState } from 'react';
import type { City, ListResponse } from '../../api/types';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useApiQuery } from '../../hooks/useApiQuery';
import { Link } from '../../router';
import { distanceM, formatDistance } from '../shared/format';
import type { Merchant, MerchantKind, Page } from '../shared/types';
import { AddressPicker } from './AddressPicker';
import { SearchResults } from './SearchResults';
import { useDeliveryAddress } from './stores';

const KINDS: { value: MerchantKind | ''; label: string }[] = [
  { value: '', label: 'All' },
  { value: 'restaurant', label: 'Restaurants' },
  { value: 'store', label: 'Stores' },
  { value: 'pharmacy', label: 'Pharmacies' },
];

/** Merchants by kind near the delivery address, nearest first. */
export function Browse() {
  const id = useId();
  const [kind, setKind] = useState<MerchantKind | ''>('');
  const [typed, setTyped] = useState('');
  const [q, setQ] = useState('');
  const [address] = useDeliveryAddress();
  const cities = useApiQuery<ListResponse<City>>('/v1/cities');
  const city = cities.status === 'success' ? (address ? nearestCity(cities.data.items, address.location) : cities.data.items[0]) : undefined;
  const query = city ? `/v1/merchants?cityId=${encodeURIComponent(city.id)}${kind ? `&kind=${kind}` : ''}&limit=100` : null;

  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Order from shops near you</h2>
      <AddressPicker />
      <form
        role="search"
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setQ(typed.trim());
        }}
      >
        <div className="form-field">
          <label htmlFor={`${id}-q`}>Search shops and dishes</label>
          <input id={`${id}-q`} type="search" value={typed} maxLength={100} placeholder="e.g. crème brûlée" onChange={(e) => {
            setTyped(e.target.value);
            if (!e.target.value.trim()) setQ('');
          }} />
        </div>
        <button type="submit" className="button" disabled={!typed.trim()}>
          Search
        </button>
      </form>
      {q ? <SearchResults q={q} cityId={city?.id} /> : null}
      <fieldset className="kind-filter">
        <legend className="visually-hidden">Kind of shop</legend>
        {KINDS.map((k) => (
          <label key={k.value} className={`chip${kind === k.value ? ' chip--on' : ''}`}>
            <input type="radio" name={`${id}-kind`} value={k.value} checked={kind === k.value} onChange={() => setKind(k.value)} />
            {k.label}
          </label>
        ))}
      </fieldset>
      {cities.status === 'error' ? <ProblemAlert problem={cities.problem} context="Could not load cities" onRetry={cities.reload} /> : null}
      {query ? <MerchantList query={query} from={address?.location ?? city?.center ?? null} /> : <p role="status">Loading…</p>}
    </section>
  );
}

function nearestCity(cities: City[], p: { lat: number; lng: number }): City | undefined {
  return [...cities].sort((a, b) => distanceM(a.center, p) - distanceM(b.center, p))[0];
}

function MerchantList({ query, from }: { query: string; from: { lat: number; lng: number } | null }) {
  const merchants = useApiQuery<Page<Merchant>>(query);
  if (merchants.status === 'loading') return <p role="status">Loading shops…</p>;
  if (merchants.status === 'error') return <ProblemAlert problem={merchants.problem} context="Could not load shops" onRetry={merchants.reload} />;
  const items = [...merchants.data.items].sort((a, b) => (from ? distanceM(from, a.location) - distanceM(from, b.location) : a.name.localeCompare(b.name)));
  if (items.length === 0) return <p className="muted">No shop of this kind is open right now.</p>;
  return (
    <ul className="card-grid">
      {items.map((m) => (
        <li key={m.id} className="card">
          <h3 className="card__title">
            <Link to={`/customer/merchants/${m.id}`} className="card__link">
              {m.name}
            </Link>
          </h3>
          <p>
            {m.kind === 'restaurant' ? 'Restaurant' : m.kind === 'store' ? 'Store' : 'Pharmacy'} · {m.address}
            {from ? ` · ${formatDistance(distanceM(from, m.location))}` : ''}
            {m.prepMinutes ? ` · ready in ~${m.prepMinutes} min` : ''}
          </p>
        </li>
      ))}
    </ul>
  );
}
