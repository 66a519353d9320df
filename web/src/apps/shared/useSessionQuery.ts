import { useCallback, useEffect, useState } from 'react';
import { toApiProblem, type ApiProblem } from '../../api/client';
import type { AppSession } from './session';

export type SessionQuery<T> =
  | { status: 'loading'; data?: undefined; problem?: undefined; reload: () => void }
  | { status: 'success'; data: T; problem?: undefined; reload: () => void }
  | { status: 'error'; data?: T | undefined; problem: ApiProblem; reload: () => void };

/**
 * GETs `path` with the app's credentials (null: nothing). `reload()` fetches
 * again and keeps showing the previous data meanwhile, so live screens that
 * refresh often do not flicker through a loading state.
 */
export function useSessionQuery<T>(session: AppSession, path: string | null, refreshKey: unknown = 0): SessionQuery<T> {
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<{ path: string | null; data?: T; problem?: ApiProblem }>({ path: null });

  useEffect(() => {
    if (!path) return;
    const controller = new AbortController();
    session.fetch<T>(path, { signal: controller.signal }).then(
      (data) => {
        if (!controller.signal.aborted) setState({ path, data });
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
