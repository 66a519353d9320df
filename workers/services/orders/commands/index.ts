/**
 * The order commands (docs/decisions/0077-order-commands.md): one function
 * per thing that can be done to an order, each with a typed input (the
 * command context, the order, the actor) and a typed result (the row, its
 * events, the step's extras). Routes authenticate, validate, call one of
 * these and serialize; the Stripe webhook and the shard's entrypoint call
 * them too. A refusal is a thrown problem (workers/problem.ts).
 */
export type { CommandActor, CommandContext, ReasonedStepInput, StepInput, StepOutcome } from './context';
export { placeOrder, clientSecretOf, type PlaceOrderInput, type PlacedOrder } from './place';
export { acceptOrder, rejectOrder, markReady, driverArrived, pickUpOrder, failDelivery, cancelOrder, type EndedOutcome } from './steps';
export { deliverOrder, type DeliverInput, type DeliveredOutcome } from './deliver';
export { checkProof, ID_DOCUMENT_TYPES, isWrongPin, type DeliveryProof } from './delivery-proof';
export { assignDriver, type AssignmentOutcome, type AssignmentRequest } from './assign';
export { releaseDriver, type ReleaseOutcome, type ReleaseRequest } from './release';
export { applyPaymentStep, type PaymentStepInput } from './payment-steps';
export { escalateOrder, type EscalationOutcome } from './escalate';
export { releaseScheduledOrder, type ScheduledReleaseOutcome } from './release-scheduled';
