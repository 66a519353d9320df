import { PageHeading } from '../components/PageHeading';
import { Link } from '../router';

export function NotFoundPage({ path }: { path: string }) {
  return (
    <>
      <PageHeading title="Page not found">
        There is nothing at <code>{path}</code>.
      </PageHeading>
      <p>
        <Link to="/">Go to the overview</Link>
      </p>
    </>
  );
}
