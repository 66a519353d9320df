import { statusLabel } from './format';
import type { OrderStatus } from './types';

export function StatusPill({ status }: { status: OrderStatus }) {
  return (
    <span className={`status-pill status-pill--${status}`} data-status={status}>
      {statusLabel(status)}
    </span>
  );
}
