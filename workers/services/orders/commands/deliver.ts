/**
 * in_delivery → delivered, by the assigned driver, with proof of the
 * handover (docs/api.md; docs/decisions/0012, 0070):
 * - exactly one of the customer's PIN or a photo uploaded for this order with
 *   POST /v1/orders/{id}/proof-photos (its URL; any other link is refused);
 * - an ID check for an order with a prescription product;
 * - after `RULES.deliveryPinFailuresPerOrder` wrong PINs for one order in the
 *   window, a PIN is refused with 429 (a photo still works).
 * The proof row is written in the step's transaction.
 */
import { and, eq } from 'drizzle-orm';
import { deliveryProofs, proofPhotos, type Order } from '../../../../db/schema/index';
import { problems } from '../../../problem';
import { LimiterUnavailableError, RULES, subjectName, type Limiter, type LimitOp } from '../../auth/throttle';
import { issuedPhotoId } from '../../proof-photos/urls';
import { runOrderStep } from '../transitions';
import type { Tx } from '../timeline';
import { announce, detailOf, type CommandContext, type StepInput, type StepOutcome } from './context';
import { dataKeys } from '../../secrets/data-keys';
import { checkProof, FOREIGN_PHOTO, isWrongPin, type DeliveryProof } from './delivery-proof';
import { log } from '../../../../domain/log';

export interface DeliverInput extends StepInput {
  proof: DeliveryProof;
  /** Counts wrong PINs per order (the RATE_LIMITER objects in production). */
  limiter: Limiter;
}

export type { DeliveryProof };

export interface DeliveredOutcome extends StepOutcome {
  proof: { method: 'pin' | 'photo' };
}

export async function deliverOrder(cx: CommandContext, input: DeliverInput): Promise<DeliveredOutcome> {
  const { proof } = input;
  const base = cx.env.PUBLIC_BASE_URL;
  const ring = await dataKeys(cx.env.DATA_ENCRYPTION_KEYS);
  const pin = proof.pin !== undefined && input.actor.step.kind === 'driver' ? await pinTry(input.limiter, input.orderId) : null;
  let wrongCode = false;

  const result = await runOrderStep(cx.db, input.orderId, 'deliver', input.actor.step, input.actor.event, {
    check: async (order) => {
      wrongCode = await isWrongPin(ring, order, proof);
      checkProof(order, proof, base, wrongCode);
    },
    current: input.known?.order,
    // A PIN needs no read: its proof row goes in the change's own statement. A photo is checked against the uploads in a transaction.
    ...(proof.photoUrl === undefined ? { also: (order: Order) => [{ table: deliveryProofs, rows: [proofRow(order, proof)] }] } : { extra: (tx: Tx, order: Order) => recordProof(tx, order, proof, base) }),
  }).catch(async (error: unknown) => {
    // Only a wrong code keeps its slot: a refusal for another reason gives it back.
    if (pin && !wrongCode) await pin.giveBack();
    throw error;
  });

  announce(cx, result.order, result.events);
  const method = proof.pin !== undefined ? ('pin' as const) : ('photo' as const);
  const known = input.known && { ...input.known, proof: { method, photoUrl: proof.photoUrl ?? null, at: result.order.updatedAt } };
  return { order: result.order, previous: result.previous, events: result.events, proof: { method }, detail: await detailOf(cx, { ...input, known }, result.order) };
}

/** Inside the step's transaction: the photo must be one uploaded for this order; then the proof row. */
async function recordProof(tx: Tx, order: Order, proof: DeliveryProof, publicBaseUrl: string): Promise<void> {
  if (proof.photoUrl !== undefined) {
    const photoId = issuedPhotoId(publicBaseUrl, order.id, proof.photoUrl);
    const [photo] = photoId ? await tx.select({ id: proofPhotos.id }).from(proofPhotos).where(and(eq(proofPhotos.id, photoId), eq(proofPhotos.orderId, order.id))) : [];
    if (!photo) throw problems.validation([FOREIGN_PHOTO]);
  }
  await tx.insert(deliveryProofs).values(proofRow(order, proof));
}

/** The proof row; its time is the delivery's (the order's updatedAt after the step). */
function proofRow(order: Order, proof: DeliveryProof) {
  return {
    createdAt: order.updatedAt,
    orderId: order.id,
    driverId: order.driverId,
    method: proof.pin !== undefined ? ('pin' as const) : ('photo' as const),
    photoUrl: proof.photoUrl ?? null,
    idDocumentType: proof.idCheck?.documentType ?? null,
    idBirthYear: proof.idCheck?.birthYear ?? null,
  };
}

const PIN_LIMITER_DOWN = 'Delivery codes cannot be checked right now; try again shortly, or deliver with a photo.';

/**
 * One try of a delivery PIN for an order, counted before the code is
 * compared (so parallel guesses are counted too): refused with 429 once the
 * order has had `RULES.deliveryPinFailuresPerOrder` wrong codes in the
 * window. A try that was not a wrong code (right code, or another refusal)
 * gives its slot back. The limiter failing closed is a 503.
 */
async function pinTry(limiter: Limiter, orderId: string): Promise<{ giveBack(): Promise<void> }> {
  const subject = await subjectName('order', orderId);
  const rule = RULES.deliveryPinFailuresPerOrder;
  const apply = async (op: LimitOp['op']) => {
    try {
      return await limiter.apply(subject, [{ bucket: 'delivery_pin', rule, op }]);
    } catch (error) {
      if (!(error instanceof LimiterUnavailableError)) throw error;
      log.warn('rate limiter unavailable', { error: error.cause });
      throw problems.unavailable(PIN_LIMITER_DOWN, 5);
    }
  };
  const [slot] = await apply('consume');
  if (!slot?.allowed) {
    throw problems.rateLimited(slot?.retryAfterSeconds ?? rule.windowSeconds, 'Too many wrong codes for this order. Deliver with a photo of the handover, or try the code again later.');
  }
  return { giveBack: () => apply('refund').then(() => undefined) };
}
