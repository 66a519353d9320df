/**
 * Assigning a driver: the city shard's accepted offer committed as the
 * order's assignment (dispatch-facts.ts `commitAssignment`: driver, payout,
 * `order.assigned` with its seq, only while the order is assignable and has
 * no driver), then announced. Idempotent: the same driver again is
 * `duplicate` and announces nothing.
 */
import { commitAssignment, type AssignmentOutcome, type AssignmentRequest } from '../dispatch-facts';
import { announce, type CommandContext } from './context';

export type { AssignmentOutcome, AssignmentRequest };

export async function assignDriver(cx: CommandContext, request: AssignmentRequest): Promise<AssignmentOutcome> {
  const outcome = await commitAssignment(cx.db, request);
  if (outcome.kind === 'assigned') announce(cx, outcome.order, outcome.events);
  return outcome;
}
