import { useCallback, useEffect, useRef, useState } from 'react';
import { toApiProblem, type ApiProblem } from '../../api/client';
import type { AppSession } from './session';

export type SessionQuery<T> =
  | { status: 'loading'; data?: undefined; problem?: undefined; reload: () => void }
  | { status: 'success'; data: T; problem?: undefined; reload: () => void }
  | { status: 'error'; data?: T | undefined; problem: ApiProblem; reload: () => void };

export interface SessionQueryOptions<T> {
  /**
   * What to hold after a read of the same path while holding `held`; by
   * default the read. An order passes live/order-seq.ts `newerOrder`, so a
   * read behind what is held (a lower `seq`) is ignored.
   */
  keep?: (held: T, read: T) => T;
}

/**
 * GETs `path` with the app's credentials (null: nothing). `reload()` fetches
 * again and keeps showing the previous data meanwhile, so live screens that
 * refresh often do not flicker through a loading state.
 */
export function useSessionQuery<T>(session: AppSession, path: string | null, refreshKey: unknown = 0, options: SessionQueryOptions<T> = {}): SessionQuery<T> {
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<{ path: string | null; data?: T; problem?: ApiProblem }>({ path: null });
  const keep = useRef(options.keep);
  keep.current = options.keep;

  useEffect(() => {
    if (!path) return;
    const controller = new AbortController();
    session.fetch<T>(path, { signal: controller.signal }).then(
      (data) => {
        if (controller.signal.aborted) return;
        setState((s) => {
          const held = s.path === path ? s.data : undefined;
          const next = held !== undefined && keep.current ? keep.current(held, data) : data;
          // Nothing newer: keep the same object, so effects keyed on the data do not run again.
          return next === held && !s.problem ? s : { path, data: next };
        });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState((s) => ({ path, ...(s.path === path && s.data !== undefined ? { data: s.data } : {}), problem: toApiProblem(error) }));
      },
    );
    return () => controller.abort();
  }, [session, path, attempt, refreshKey]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  if (!path || state.path !== path) return { status: 'loading', reload };
  if (state.problem) return { status: 'error', data: state.data, problem: state.problem, reload };
  if (state.data === undefined) return { status: 'loading', reload };
  return { status: 'success', data: state.data, reload };
}

/** Runs an action (a POST…) and keeps its pending state and problem for the UI. */
export function useAction() {
  const [pending, setPending] = useState<string | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const run = useCallback(async <R,>(name: string, action: () => Promise<R>): Promise<R | undefined> => {
    setPending(name);
    setProblem(null);
    try {
      return await action();
    } catch (error) {
      setProblem(toApiProblem(error));
      return undefined;
    } finally {
      setPending(null);
    }
  }, []);
  return { pending, problem, run, clear: () => setProblem(null) };
}
