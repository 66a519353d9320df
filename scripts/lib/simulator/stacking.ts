/** Batching in the simulator (ADR 0105): how a driver carrying one order takes a stacked second one. */
import type { DriverBrain } from './behaviour';
import type { DriverCommand, RouteStop } from './driver-types';

/**
 * A stacked order was assigned to a driver carrying one (ADR 0105): the
 * route of its offer, less what is done. On the road the driver follows the
 * route from its first stop; at a stop it finishes that one first.
 */
export function stackOn(brain: DriverBrain, orderId: string, now: number): DriverCommand[] {
  const current = brain.orderId!;
  const stops = brain.takeStackedRoute(orderId);
  const currentStop: RouteStop = { orderId: current, kind: brain.pickedUp ? 'dropoff' : 'pickup' };
  const isCurrent = (s: RouteStop) => s.orderId === current && s.kind === currentStop.kind;
  const left = stops.filter((s) => !(s.orderId === current && s.kind === 'pickup' && brain.pickedUp));
  const note: DriverCommand = { type: 'note', what: 'assigned', orderId };
  if (!brain.onTheRoad || isCurrent(left[0] ?? currentStop)) {
    brain.setRoute(left.filter((s) => !isCurrent(s)));
    return [note];
  }
  const [next, ...rest] = left;
  brain.setRoute(rest);
  return [note, ...brain.goTo(next!, now)];
}
