/** The live ETA counting down once a second between the shard's updates (eta.ts); null once the order has ended. */
import { useEffect, useState } from 'react';
import { liveEtaSeconds } from './eta';

export function useEtaCountdown(ended: boolean, seconds: number | null, since: number | null): number | null {
  const [now, setNow] = useState(() => Date.now());
  const ticking = seconds !== null && !ended;
  useEffect(() => {
    if (!ticking) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [ticking, seconds, since]);
  return liveEtaSeconds(ended, seconds, since, now);
}
