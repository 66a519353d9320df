import type { ApiProblem } from '../api/client';

interface ProblemAlertProps {
  problem: ApiProblem;
  /** Optional context, e.g. "Could not load cities". */
  context?: string;
  onRetry?: () => void;
}

/** Renders an RFC 9457 problem (title + detail) in an alert region. */
export function ProblemAlert({ problem, context, onRetry }: ProblemAlertProps) {
  return (
    <div role="alert" className="alert alert--error">
      <p className="alert__title">
        {context ? `${context}: ` : null}
        {problem.title}
      </p>
      {problem.detail ? <p className="alert__detail">{problem.detail}</p> : null}
      {onRetry ? (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}
