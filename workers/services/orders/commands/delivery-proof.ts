/**
 * The proof rules of a delivery that need only the order (no I/O; the PIN's
 * keyed hash is Web Crypto), so they are unit tested in Node: exactly one of
 * PIN or photo is the schema's rule; here a wrong PIN, a photo link not
 * issued for this order, and a missing ID check for a prescription order are
 * refused (422, with the field's path).
 */
import type { Order } from '../../../../db/schema/index';
import { problems } from '../../../problem';
import { issuedPhotoId } from '../../proof-photos/urls';
import type { Keyring } from '../../secrets/data-keys';
import { pinMatches } from '../codes';

export const ID_DOCUMENT_TYPES = ['id_card', 'passport', 'driving_licence', 'residence_permit'] as const;

export interface DeliveryProof {
  pin?: string | undefined;
  photoUrl?: string | undefined;
  idCheck?: { documentType: (typeof ID_DOCUMENT_TYPES)[number]; birthYear: number } | undefined;
}

export const FOREIGN_PHOTO = { path: 'json.photoUrl', message: 'Upload the photo with POST /v1/orders/{id}/proof-photos and send the url it answered.' };

/**
 * The proof rules that need only the order: a wrong PIN (`wrongPin`, what
 * `isWrongPin` found), a link this order was not given, a missing ID check.
 */
export function checkProof(order: Pick<Order, 'id' | 'requiresPrescription'>, proof: DeliveryProof, publicBaseUrl: string, wrongPin: boolean): void {
  if (wrongPin) throw wrongPinProblem();
  if (proof.photoUrl !== undefined && !issuedPhotoId(publicBaseUrl, order.id, proof.photoUrl)) throw problems.validation([FOREIGN_PHOTO]);
  if (order.requiresPrescription && !proof.idCheck) throw problems.validation([{ path: 'json.idCheck', message: 'This order contains a prescription product: check the recipient’s ID.' }]);
}

/**
 * A PIN was given and it is not the order's (the one refusal that keeps its
 * slot in the attempt limit): compared with the stored keyed hash in
 * constant time, never with a PIN in clear (ADR 0083).
 */
export async function isWrongPin(ring: Keyring, order: Parameters<typeof pinMatches>[1], proof: DeliveryProof): Promise<boolean> {
  return proof.pin !== undefined && !(await pinMatches(ring, order, proof.pin));
}

const wrongPinProblem = () => problems.validation([{ path: 'json.pin', message: 'The code does not match the one the customer was sent.' }]);

