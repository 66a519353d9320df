import { useEffect, useState } from 'react';
import type { AppSession } from '../shared/session';
import { useSessionQuery, type SessionQuery } from '../shared/useSessionQuery';

/** An operator list read again every `everyMs` (the panels beside the city map). */
export function usePolledQuery<T>(session: AppSession, path: string, everyMs = 30_000): SessionQuery<T> {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return useSessionQuery<T>(session, path, tick);
}
