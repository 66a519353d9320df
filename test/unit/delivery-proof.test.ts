/**
 * The delivery command's proof rules that need only the order
 * (workers/services/orders/commands/delivery-proof.ts): which refusal, on
 * which field, and which refusal counts as a wrong PIN for the attempt limit.
 */
import { describe, expect, it } from 'vitest';
import { Problem } from '../../workers/problem';
import { checkProof, isWrongPin } from '../../workers/services/orders/commands/delivery-proof';
import { proofPhotoUrl } from '../../workers/services/proof-photos/urls';

const BASE = 'https://delivery.example.com';
const order = { id: 'ord_1', deliveryPin: '4821', requiresPrescription: false };
const PHOTO = 'pph_0h3k9x2m4p6r8t0v2x4z';
const idCheck = { documentType: 'passport' as const, birthYear: 1980 };

function refusal(run: () => void): { status: number; paths: string[] } {
  try {
    run();
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    return { status: error.status, paths: (error.errors ?? []).map((e) => e.path) };
  }
  throw new Error('expected a refusal');
}

describe('checkProof', () => {
  it('accepts the right PIN, and a photo issued for this order', () => {
    expect(() => checkProof(order, { pin: '4821' }, BASE)).not.toThrow();
    expect(() => checkProof(order, { photoUrl: proofPhotoUrl(BASE, 'ord_1', PHOTO) }, BASE)).not.toThrow();
  });

  it('refuses a wrong PIN on json.pin', () => {
    expect(refusal(() => checkProof(order, { pin: '0000' }, BASE))).toEqual({ status: 422, paths: ['json.pin'] });
  });

  it('refuses a photo link of another order or another origin on json.photoUrl', () => {
    expect(refusal(() => checkProof(order, { photoUrl: proofPhotoUrl(BASE, 'ord_2', PHOTO) }, BASE))).toEqual({ status: 422, paths: ['json.photoUrl'] });
    expect(refusal(() => checkProof(order, { photoUrl: proofPhotoUrl('https://elsewhere.example', 'ord_1', PHOTO) }, BASE))).toEqual({ status: 422, paths: ['json.photoUrl'] });
  });

  it('asks for the ID check on a prescription order, whatever the proof', () => {
    const rx = { ...order, requiresPrescription: true };
    expect(refusal(() => checkProof(rx, { pin: '4821' }, BASE))).toEqual({ status: 422, paths: ['json.idCheck'] });
    expect(() => checkProof(rx, { pin: '4821', idCheck }, BASE)).not.toThrow();
  });

  it('reports a wrong PIN before a missing ID check', () => {
    expect(refusal(() => checkProof({ ...order, requiresPrescription: true }, { pin: '1111' }, BASE)).paths).toEqual(['json.pin']);
  });
});

describe('isWrongPin (the one refusal that keeps its attempt)', () => {
  it('is true only for a PIN that is given and differs', () => {
    expect(isWrongPin(order, { pin: '0000' })).toBe(true);
    expect(isWrongPin(order, { pin: '4821' })).toBe(false);
    expect(isWrongPin(order, { photoUrl: proofPhotoUrl(BASE, 'ord_1', PHOTO) })).toBe(false);
  });
});
