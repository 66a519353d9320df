import { PageHeading } from '../components/PageHeading';

/** Public tracking page reached from the link sent to a customer. */
export function TrackPage({ token }: { token: string }) {
  return (
    <>
      <PageHeading title="Track your delivery">
        This page will hold the live tracking view for a shared delivery link: the courier&apos;s
        position on a map, the order status and the estimated arrival time.
      </PageHeading>
      <p className="muted">
        Tracking link: <code className="token">{token}</code>
      </p>
    </>
  );
}
