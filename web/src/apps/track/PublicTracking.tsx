/**
 * The public tracking page behind an order's tracking link: status, the
 * driver's first name and position, and the ETA, from GET /v1/track/{token}
 * (no sign-in, no personal data). The order channels need a signed-in party,
 * so this page polls every few seconds.
 */
import { useEffect, useRef, useState } from 'react';
import { apiFetch, toApiProblem, type ApiProblem } from '../../api/client';
import { PageHeading } from '../../components/PageHeading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { formatEta, hasEnded } from '../../live/eta';
import { useEtaCountdown } from '../../live/useEtaCountdown';
import type { DriverFix } from '../../live/useOrderLive';
import { etaSeconds } from '../shared/format';
import { OrderLiveMap } from '../shared/OrderLiveMap';
import { StatusPill } from '../shared/StatusPill';
import type { Tracking } from '../shared/types';
import '../../components/app-ui.css';

const POLL_MS = 3000;

/**
 * While the page is shown: not to be indexed, and its URL (the token) never
 * sent as a referrer. The server says so too (X-Robots-Tag, Referrer-Policy
 * on /track/*, ADR 0086); the apps share one index.html, hence these tags
 * are added here, not in it.
 */
function usePrivatePage(): void {
  useEffect(() => {
    const tags = [
      ['robots', 'noindex, nofollow, noarchive'],
      ['referrer', 'no-referrer'],
    ].map(([name, content]) => {
      const meta = document.createElement('meta');
      meta.name = name!;
      meta.content = content!;
      meta.dataset.trackingPage = '';
      document.head.append(meta);
      return meta;
    });
    return () => tags.forEach((meta) => meta.remove());
  }, []);
}

export function PublicTracking({ token }: { token: string }) {
  usePrivatePage();
  const [tracking, setTracking] = useState<Tracking | null>(null);
  /** When the last answer arrived (ms): its ETA holds then, and counts down until the next (ADR 0076). */
  const [receivedAt, setReceivedAt] = useState<number | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [trail, setTrail] = useState<DriverFix[]>([]);
  const lastAt = useRef<string | null>(null);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const tick = async () => {
      try {
        const t = await apiFetch<Tracking>(`/v1/track/${encodeURIComponent(token)}`);
        if (stopped) return;
        setTracking(t);
        setReceivedAt(Date.now());
        setProblem(null);
        const d = t.driver;
        if (d?.location && d.updatedAt && d.updatedAt !== lastAt.current) {
          lastAt.current = d.updatedAt;
          const fix: DriverFix = { ...d.location, heading: d.heading ?? undefined, at: d.updatedAt };
          setTrail((tr) => [...tr.slice(-299), fix]);
        }
        if (hasEnded(t.status)) return;
      } catch (error) {
        if (stopped) return;
        const p = toApiProblem(error);
        setProblem(p);
        if (p.status === 404) return;
      }
      timer = setTimeout(() => void tick(), POLL_MS);
    };
    void tick();
    return () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
    };
  }, [token]);

  const driver = trail.at(-1) ?? null;
  const ended = hasEnded(tracking?.status);
  const eta = useEtaCountdown(ended, receivedAt === null ? null : etaSeconds(tracking?.eta ?? null, receivedAt), receivedAt);

  return (
    <>
      <PageHeading title={tracking?.number ? `Track your delivery #${tracking.number}` : 'Track your delivery'} />
      {problem ? (
        problem.status === 404 ? (
          <div className="notice notice--warn" role="alert">
            This tracking link is not valid, or the delivery ended more than an hour ago.
          </div>
        ) : (
          <ProblemAlert problem={problem} context="Tracking is not available right now" />
        )
      ) : null}
      {tracking ? (
        <div className="stack">
          <p className="lead" role="status" aria-live="polite">
            <StatusPill status={tracking.status} />
            {eta !== null ? (
              <span data-testid="public-eta" data-eta-seconds={eta}>
                {' '}
                · {eta < 30 ? 'arriving now' : `arriving in about ${formatEta(eta)}`}
              </span>
            ) : null}
          </p>
          {tracking.driver ? (
            <p>
              Your driver: <strong data-testid="public-driver-name">{tracking.driver.name ?? 'on the way'}</strong>
              {tracking.driver.vehicle ? ` (${tracking.driver.vehicle})` : ''}
            </p>
          ) : null}
          {/* Once the order has ended the map goes: the driver's last position and trail would point at the door. The public
              link carries no addresses (the Tracking schema): the map shows the driver alone. */}
          {ended ? null : (
            <OrderLiveMap label="Map of the delivery" pickup={null} dropoff={null} driver={driver} trail={trail} driverName={tracking.driver?.name ?? null} viewer="public" />
          )}
        </div>
      ) : !problem ? (
        <p role="status">Loading…</p>
      ) : null}
    </>
  );
}
