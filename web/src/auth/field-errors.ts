/**
 * Turns an API problem into messages per form field. 422 answers list
 * `errors: [{ path: 'json.business.cityId', message }]`; the form names its
 * fields by the same path without the `json.` prefix.
 */
import type { ApiProblem } from '../api/client';

export type FieldErrors = Record<string, string>;

export function fieldErrorsOf(problem: ApiProblem): FieldErrors {
  const errors: FieldErrors = {};
  const list = problem.problem.errors;
  if (problem.status === 422 && Array.isArray(list)) {
    for (const entry of list as { path?: unknown; message?: unknown }[]) {
      if (typeof entry.path !== 'string' || typeof entry.message !== 'string') continue;
      const field = entry.path.replace(/^json\./, '');
      errors[field] ??= entry.message;
    }
  }
  if (problem.status === 409 && /email/.test(problem.type)) errors.email = 'An account with this email already exists. Sign in instead?';
  return errors;
}
