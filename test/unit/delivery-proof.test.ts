/**
 * The delivery command's proof rules that need only the order
 * (workers/services/orders/commands/delivery-proof.ts): which refusal, on
 * which field, and which refusal counts as a wrong PIN for the attempt limit.
 */
import { describe, expect, it } from 'vitest';
import { Problem } from '../../workers/problem';
import { sealDeliveryPin } from '../../workers/services/orders/codes';
import { checkProof, isWrongPin } from '../../workers/services/orders/commands/delivery-proof';
import { proofPhotoUrl } from '../../workers/services/proof-photos/urls';
import { dataKeys } from '../../workers/services/secrets/data-keys';
import { TEST_SECRETS } from '../support/secrets';

const BASE = 'https://delivery.example.com';
const order = { id: 'ord_1', requiresPrescription: false };
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
    expect(() => checkProof(order, { pin: '4821' }, BASE, false)).not.toThrow();
    expect(() => checkProof(order, { photoUrl: proofPhotoUrl(BASE, 'ord_1', PHOTO) }, BASE, false)).not.toThrow();
  });

  it('refuses a wrong PIN on json.pin', () => {
    expect(refusal(() => checkProof(order, { pin: '0000' }, BASE, true))).toEqual({ status: 422, paths: ['json.pin'] });
  });

  it('refuses a photo link of another order or another origin on json.photoUrl', () => {
    expect(refusal(() => checkProof(order, { photoUrl: proofPhotoUrl(BASE, 'ord_2', PHOTO) }, BASE, false))).toEqual({ status: 422, paths: ['json.photoUrl'] });
    expect(refusal(() => checkProof(order, { photoUrl: proofPhotoUrl('https://elsewhere.example', 'ord_1', PHOTO) }, BASE, false))).toEqual({ status: 422, paths: ['json.photoUrl'] });
  });

  it('asks for the ID check on a prescription order, whatever the proof', () => {
    const rx = { ...order, requiresPrescription: true };
    expect(refusal(() => checkProof(rx, { pin: '4821' }, BASE, false))).toEqual({ status: 422, paths: ['json.idCheck'] });
    expect(() => checkProof(rx, { pin: '4821', idCheck }, BASE, false)).not.toThrow();
  });

  it('reports a wrong PIN before a missing ID check', () => {
    expect(refusal(() => checkProof({ ...order, requiresPrescription: true }, { pin: '1111' }, BASE, true)).paths).toEqual(['json.pin']);
  });
});

describe('isWrongPin (the one refusal that keeps its attempt)', () => {
  it('is true only for a PIN that is given and differs from the stored keyed hash', async () => {
    const ring = await dataKeys(TEST_SECRETS.DATA_ENCRYPTION_KEYS);
    const row = { id: 'ord_1', deliveryPin: null, ...(await sealDeliveryPin(ring, 'ord_1', '4821')) };
    expect(await isWrongPin(ring, row, { pin: '0000' })).toBe(true);
    expect(await isWrongPin(ring, row, { pin: '4821' })).toBe(false);
    expect(await isWrongPin(ring, row, { photoUrl: proofPhotoUrl(BASE, 'ord_1', PHOTO) })).toBe(false);
    // The hash of another order's PIN, even the same digits, does not match this order.
    expect(await isWrongPin(ring, { ...row, id: 'ord_2' }, { pin: '4821' })).toBe(true);
  });

  it('compares a row not sealed yet with its plaintext column', async () => {
    const ring = await dataKeys(TEST_SECRETS.DATA_ENCRYPTION_KEYS);
    const legacy = { id: 'ord_1', deliveryPin: '4821', deliveryPinHash: null };
    expect(await isWrongPin(ring, legacy, { pin: '4821' })).toBe(false);
    expect(await isWrongPin(ring, legacy, { pin: '4822' })).toBe(true);
  });
});
