import { useState } from 'react';
import type { City, ListResponse } from '../../api/types';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useApiQuery } from '../../hooks/useApiQuery';
import { Link } from '../../router';
import { AppFrame } from '../shared/AppFrame';
import { DispatchLogView } from '../shared/DispatchLogView';
import { orderName } from '../shared/format';
import { CityDashboard } from './CityDashboard';
import { OrderControl } from './OrderControl';
import { StuckPanel } from './StuckPanel';

/** The operations dashboard: /ops (live city), /ops/orders/{id} (dispatch decision log). */
export function OpsApp({ rest }: { rest: string }) {
  const cities = useApiQuery<ListResponse<City>>('/v1/cities');
  const [cityId, setCityId] = useState<string | null>(null);
  const order = /^\/orders\/([^/]+)$/.exec(rest);
  return (
    <AppFrame app="ops" title="Operations" intro="Every driver and every order in dispatch, live." roles={['ops', 'admin']}>
      {({ session }) => {
        const list = cities.status === 'success' ? cities.data.items : [];
        const city = list.find((c) => c.id === cityId) ?? list[0];
        if (order) {
          const orderId = decodeURIComponent(order[1]!);
          return (
            <section aria-labelledby="dlog-title">
              <p>
                <Link to="/ops">← City</Link>
              </p>
              <h2 id="dlog-title">Dispatch of order {orderName({ id: orderId })}</h2>
              {city ? <OrderControl session={session} orderId={orderId} cityId={city.id} /> : null}
              <DispatchLogView session={session} orderId={orderId} />
            </section>
          );
        }
        if (cities.status === 'loading') return <p role="status">Loading cities…</p>;
        if (cities.status === 'error') return <ProblemAlert problem={cities.problem} context="Could not load cities" onRetry={cities.reload} />;
        if (!city) return <p>No city is configured.</p>;
        return (
          <>
            {list.length > 1 ? (
              <div className="form-field" style={{ maxWidth: '20rem' }}>
                <label htmlFor="ops-city">City</label>
                <select id="ops-city" value={city.id} onChange={(e) => setCityId(e.target.value)}>
                  {list.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.name}
                    </option>
                  ))}
                </select>
              </div>
            ) : null}
            <StuckPanel session={session} cityId={city.id} />
            <CityDashboard key={city.id} session={session} city={city} />
          </>
        );
      }}
    </AppFrame>
  );
}
