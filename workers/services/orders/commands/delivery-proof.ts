/**
 * The proof rules of a delivery that need only the order (no I/O), so they
 * are unit tested in Node: exactly one of PIN or photo is the schema's rule;
 * here a wrong PIN, a photo link not issued for this order, and a missing ID
 * check for a prescription order are refused (422, with the field's path).
 */
import type { Order } from '../../../../db/schema/index';
import { problems } from '../../../problem';
import { issuedPhotoId } from '../../proof-photos/urls';

export const ID_DOCUMENT_TYPES = ['id_card', 'passport', 'driving_licence', 'residence_permit'] as const;

export interface DeliveryProof {
  pin?: string | undefined;
  photoUrl?: string | undefined;
  idCheck?: { documentType: (typeof ID_DOCUMENT_TYPES)[number]; birthYear: number } | undefined;
}

export const FOREIGN_PHOTO = { path: 'json.photoUrl', message: 'Upload the photo with POST /v1/orders/{id}/proof-photos and send the url it answered.' };

/** The proof rules that need only the order: a wrong PIN, a link this order was not given, a missing ID check. */
export function checkProof(order: Pick<Order, 'id' | 'deliveryPin' | 'requiresPrescription'>, proof: DeliveryProof, publicBaseUrl: string): void {
  if (isWrongPin(order, proof)) throw wrongPin();
  if (proof.photoUrl !== undefined && !issuedPhotoId(publicBaseUrl, order.id, proof.photoUrl)) throw problems.validation([FOREIGN_PHOTO]);
  if (order.requiresPrescription && !proof.idCheck) throw problems.validation([{ path: 'json.idCheck', message: 'This order contains a prescription product: check the recipient’s ID.' }]);
}

/** A PIN was given and it is not the order's (the one refusal that keeps its slot in the attempt limit). */
export const isWrongPin = (order: Pick<Order, 'deliveryPin'>, proof: DeliveryProof): boolean => proof.pin !== undefined && proof.pin !== order.deliveryPin;

const wrongPin = () => problems.validation([{ path: 'json.pin', message: 'The code does not match the one the customer was sent.' }]);

