import type { City, HealthResponse, ListResponse } from '../api/types';
import { APPS } from '../apps';
import { PageHeading } from '../components/PageHeading';
import { ProblemAlert } from '../components/ProblemAlert';
import { useApiQuery } from '../hooks/useApiQuery';
import { Link } from '../router';

export function LandingPage() {
  return (
    <>
      <PageHeading title="Real-time delivery, at the edge" documentTitle={null}>
        Delivery Platform connects merchants, drivers and customers in real time: orders are
        dispatched to nearby couriers within seconds, and everyone follows each delivery live
        from the kitchen to the doorstep.
      </PageHeading>

      <section aria-labelledby="apps-heading" className="section">
        <h2 id="apps-heading">Apps</h2>
        <ul className="card-grid">
          {APPS.map((app) => (
            <li key={app.path} className="card">
              <h3 className="card__title">
                <Link to={app.path} className="card__link">
                  {app.name}
                </Link>
              </h3>
              <p>{app.summary}</p>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="status-heading" className="section">
        <h2 id="status-heading">Platform status</h2>
        <HealthStatus />
        <h3>Cities</h3>
        <CityList />
      </section>
    </>
  );
}

function HealthStatus() {
  const health = useApiQuery<HealthResponse>('/healthz');

  if (health.status === 'error') {
    return (
      <ProblemAlert problem={health.problem} context="API unavailable" onRetry={health.reload} />
    );
  }

  const ok = health.status === 'success' && health.data.status === 'ok';
  const label =
    health.status === 'loading'
      ? 'Checking…'
      : ok
        ? 'Operational'
        : `Degraded (${health.data.status})`;
  const tone = health.status === 'loading' ? 'pending' : ok ? 'ok' : 'warn';

  return (
    <p className="status" role="status">
      <span className={`status__dot status__dot--${tone}`} aria-hidden="true" />
      <span>
        API: <strong>{label}</strong>
      </span>
    </p>
  );
}

function CityList() {
  const cities = useApiQuery<ListResponse<City>>('/v1/cities');

  if (cities.status === 'loading') {
    return (
      <p className="muted" role="status">
        Loading cities…
      </p>
    );
  }
  if (cities.status === 'error') {
    return (
      <ProblemAlert problem={cities.problem} context="Could not load cities" onRetry={cities.reload} />
    );
  }

  const items = cities.data.items;
  if (items.length === 0) {
    return <p className="muted">No cities are configured yet.</p>;
  }

  return (
    <ul className="city-list">
      {items.map((city) => (
        <li key={city.id} className="city">
          <span className="city__name">{city.name}</span>
          <span className="city__meta">
            <span>
              <span className="visually-hidden">Currency: </span>
              {city.currency}
            </span>
            <span>
              <span className="visually-hidden">Time zone: </span>
              {city.timezone}
            </span>
            <span>
              <span className="visually-hidden">Centre: </span>
              {formatCoordinate(city.center.lat, 'N', 'S')}, {formatCoordinate(city.center.lng, 'E', 'W')}
            </span>
          </span>
        </li>
      ))}
    </ul>
  );
}

function formatCoordinate(value: number, positive: string, negative: string): string {
  return `${Math.abs(value).toFixed(3)}°\u00a0${value >= 0 ? positive : negative}`;
}
