import type { AppInfo } from '../apps';
import { PageHeading } from '../components/PageHeading';
import { Link } from '../router';

/** Temporary page for an app that is not built yet. */
export function PlaceholderPage({ app }: { app: AppInfo }) {
  return (
    <>
      <PageHeading title={app.name}>{app.placeholder}</PageHeading>
      <p>
        <Link to="/">Back to the overview</Link>
      </p>
    </>
  );
}
