import { useCallback, useEffect, useState } from 'react';
import { apiFetch, toApiProblem, type ApiProblem } from '../api/client';

export type QueryState<T> =
  | { status: 'loading' }
  | { status: 'success'; data: T }
  | { status: 'error'; problem: ApiProblem };

type Settled<T> = Exclude<QueryState<T>, { status: 'loading' }>;

export type QueryResult<T> = QueryState<T> & {
  /** Re-runs the request (shows the loading state again). */
  reload: () => void;
};

const LOADING = { status: 'loading' } as const;

/**
 * GETs `path` through {@link apiFetch} on mount and whenever `path` changes.
 * In-flight requests are aborted on unmount/change, so late responses never
 * overwrite newer state.
 */
export function useApiQuery<T>(path: string): QueryResult<T> {
  const [attempt, setAttempt] = useState(0);
  const [settled, setSettled] = useState<{ key: string; state: Settled<T> } | null>(null);
  const key = `${String(attempt)}:${path}`;

  useEffect(() => {
    const controller = new AbortController();
    apiFetch<T>(path, { signal: controller.signal }).then(
      (data) => {
        if (!controller.signal.aborted) setSettled({ key, state: { status: 'success', data } });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) {
          setSettled({ key, state: { status: 'error', problem: toApiProblem(error) } });
        }
      },
    );
    return () => {
      controller.abort();
    };
  }, [key, path]);

  const reload = useCallback(() => {
    setAttempt((n) => n + 1);
  }, []);
  const state: QueryState<T> = settled?.key === key ? settled.state : LOADING;
  return { ...state, reload };
}
