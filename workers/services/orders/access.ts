/**
 * Who the caller is to an order: its customer, its merchant, its assigned
 * driver, or nobody (answered 404, so another tenant's order is never
 * revealed). Pure: the principal and the order's parties in, a relation out.
 */
import type { Principal } from '../auth/principal';
import type { StepActor } from './state-machine';
import type { OrderViewer } from './view';

export interface OrderParties {
  merchantId: string;
  customerId: string | null;
  driverId: string | null;
}

export interface OrderRelation {
  viewer: OrderViewer;
  actor: StepActor;
}

export function relationTo(principal: Principal, order: OrderParties): OrderRelation | null {
  if (principal.role === 'merchant') {
    return principal.merchantId === order.merchantId ? { viewer: 'merchant', actor: { kind: 'merchant', merchantId: order.merchantId } } : null;
  }
  if (principal.type !== 'user') return null;
  if (principal.role === 'customer' && order.customerId !== null && principal.userId === order.customerId) {
    return { viewer: 'customer', actor: { kind: 'customer', userId: principal.userId } };
  }
  if (principal.role === 'driver' && principal.driverId && order.driverId === principal.driverId) {
    return { viewer: 'driver', actor: { kind: 'driver', driverId: principal.driverId } };
  }
  return null;
}

/** How the status history records the caller (order_status_events.actor_type / actor_id). */
export function eventActorOf(principal: Principal): { type: 'customer' | 'merchant' | 'driver' | 'ops' | 'admin'; id: string } {
  if (principal.type === 'api_key') return { type: 'merchant', id: principal.keyId };
  if (principal.role === 'driver' && principal.driverId) return { type: 'driver', id: principal.driverId };
  return { type: principal.role, id: principal.userId };
}
