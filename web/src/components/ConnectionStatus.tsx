import type { ConnectionState } from '../../../domain/live/connection';
import './app-ui.css';

interface ConnectionStatusProps {
  state: ConnectionState;
  attempt?: number;
  online?: boolean;
  /** What is live, e.g. "Order updates". */
  subject?: string;
  /** Shown while disconnected, e.g. "Positions are kept and sent when back." */
  whileDown?: string;
}

/** The state of a live channel, announced politely to screen readers. */
export function ConnectionStatus({ state, attempt = 0, online = true, subject = 'Live updates', whileDown }: ConnectionStatusProps) {
  const tone = !online ? 'offline' : state === 'open' ? 'live' : state === 'closed' ? 'offline' : 'pending';
  const label = !online
    ? 'Offline'
    : state === 'open'
      ? 'Live'
      : state === 'connecting'
        ? 'Connecting…'
        : state === 'reconnecting'
          ? `Reconnecting…${attempt > 1 ? ` (attempt ${attempt})` : ''}`
          : 'Disconnected';
  return (
    <p className={`connection connection--${tone}`} role="status" aria-live="polite" data-connection={tone}>
      <span className="connection__dot" aria-hidden="true" />
      <span>
        {subject}: <strong>{label}</strong>
        {tone !== 'live' && whileDown ? <span className="connection__note"> {whileDown}</span> : null}
      </span>
    </p>
  );
}
