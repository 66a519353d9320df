import { useState } from 'react';
import { ProblemAlert } from '../../components/ProblemAlert';
import { orderName } from '../shared/format';
import { isHeldOrder } from '../shared/ScheduledFor';
import type { AppSession } from '../shared/session';
import type { Order } from '../shared/types';
import { useAction } from '../shared/useSessionQuery';

type Step = 'accept' | 'reject' | 'ready' | 'cancel';

const LABEL: Record<Step, string> = { accept: 'Accept', reject: 'Reject', ready: 'Mark ready', cancel: 'Cancel order' };

/** The merchant steps the order's status allows; reject and cancel ask for confirmation. */
export function stepsFor(order: Order): Step[] {
  switch (order.status) {
    case 'placed':
      // A scheduled order still held is accepted from its release (the API answers 409 before).
      return isHeldOrder(order) ? ['reject'] : ['accept', 'reject'];
    case 'preparing':
      return ['ready', 'cancel'];
    case 'ready':
      return ['cancel'];
    default:
      return [];
  }
}

interface OrderActionsProps {
  session: AppSession;
  order: Order;
  onChanged: (order: Order) => void;
  compact?: boolean;
}

export function OrderActions({ session, order, onChanged, compact = false }: OrderActionsProps) {
  const { pending, problem, run } = useAction();
  const [confirming, setConfirming] = useState<Step | null>(null);
  const steps = stepsFor(order);
  if (steps.length === 0) return null;

  const take = async (step: Step) => {
    setConfirming(null);
    const body = step === 'reject' || step === 'cancel' ? { json: { reason: step === 'reject' ? 'Rejected by the merchant' : 'Cancelled by the merchant' } } : {};
    const updated = await run(step, () => session.fetch<Order>(`/v1/orders/${encodeURIComponent(order.id)}/${step}`, { method: 'POST', ...body }));
    if (updated) onChanged(updated);
  };

  return (
    <div className="order-actions">
      {problem ? <ProblemAlert problem={problem} context={`Order ${orderName(order)}`} /> : null}
      {confirming ? (
        <div className="button-row" role="group" aria-label={`Confirm: ${LABEL[confirming]}`}>
          <span>{confirming === 'reject' ? 'Reject this order? The customer is refunded.' : 'Cancel this order? The customer is refunded.'}</span>
          <button type="button" className="button button--danger button--small" onClick={() => void take(confirming)} disabled={pending !== null}>
            Yes, {LABEL[confirming].toLowerCase()}
          </button>
          <button type="button" className="button button--secondary button--small" onClick={() => setConfirming(null)}>
            Keep it
          </button>
        </div>
      ) : (
        <div className="button-row">
          {steps.map((step) => {
            const destructive = step === 'reject' || step === 'cancel';
            return (
              <button
                key={step}
                type="button"
                className={`button${destructive ? ' button--secondary' : ''}${compact ? ' button--small' : ''}`}
                disabled={pending !== null}
                aria-describedby={`order-${order.id}-title`}
                onClick={() => (destructive ? setConfirming(step) : void take(step))}
              >
                {pending === step ? 'Working…' : LABEL[step]}
              </button>
            );
          })}
        </div>
      )}
    </div>
  );
}
