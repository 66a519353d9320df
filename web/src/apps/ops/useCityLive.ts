import { useEffect, useRef, useState } from 'react';
import { toApiProblem, type ApiProblem } from '../../api/client';
import type { AppSession } from '../shared/session';
import { medianAssignmentSeconds, newTracker, observe, ordersPerMinute, type RateTracker } from './rates';
import type { CityLive } from './types';

export interface CityLiveState {
  snapshot: CityLive | null;
  problem: ApiProblem | null;
  /** When the last good snapshot arrived (ms). */
  updatedAt: number | null;
  failures: number;
  ordersPerMinute: number | null;
  medianAssignmentSeconds: number | null;
}

/**
 * Polls the city snapshot (GET /v1/cities/{id}/live is a snapshot, not a
 * stream) every `everyMs`, one request at a time, slowing down while failing.
 */
export function useCityLive(session: AppSession, cityId: string | null, everyMs = 2000): CityLiveState {
  const [state, setState] = useState<CityLiveState>({ snapshot: null, problem: null, updatedAt: null, failures: 0, ordersPerMinute: null, medianAssignmentSeconds: null });
  const tracker = useRef<RateTracker | null>(null);

  useEffect(() => {
    if (!cityId) return;
    tracker.current = newTracker(Date.now());
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let failures = 0;
    const tick = async () => {
      try {
        const snap = await session.fetch<CityLive>(`/v1/cities/${encodeURIComponent(cityId)}/live`);
        if (stopped) return;
        failures = 0;
        const now = Date.now();
        observe(tracker.current!, snap, now);
        setState({
          snapshot: snap,
          problem: null,
          updatedAt: now,
          failures: 0,
          ordersPerMinute: ordersPerMinute(tracker.current!, now),
          medianAssignmentSeconds: medianAssignmentSeconds(tracker.current!),
        });
      } catch (error) {
        if (stopped) return;
        failures++;
        setState((s) => ({ ...s, problem: toApiProblem(error), failures }));
      }
      if (!stopped) timer = setTimeout(() => void tick(), everyMs * Math.min(8, 2 ** failures));
    };
    void tick();
    return () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
    };
  }, [session, cityId, everyMs]);

  return state;
}
