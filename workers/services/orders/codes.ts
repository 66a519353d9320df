/**
 * Secrets an order carries: the 4-digit hand-over PIN (shown to the customer
 * only) and the unguessable token of the public tracking link. Web Crypto
 * only, so the module runs in workerd and in Node unit tests.
 *
 * At rest (ADR 0083) neither is stored in clear:
 * - the PIN as a keyed hash (HMAC under DATA_ENCRYPTION_KEYS: 10,000 values
 *   are no secret from a plain hash), which the driver's code is compared
 *   with in constant time, and sealed (AES-GCM) so the customer's app and
 *   messages can still show it;
 * - the token as its SHA-256 (160 random bits: a plain hash is enough, and
 *   a lookup by hash needs no key), and sealed for the links the platform
 *   sends and shows.
 * Rows written before that carry the plaintext columns until the seal
 * sweep (services/secrets/seal-sweep.ts) converts them; reads fall back to
 * them meanwhile.
 */
import { randomBase32 } from '../../../db/ids';
import type { Order } from '../../../db/schema/index';
import { keyedHash, open, sameSecret, seal, verifyKeyedHash, type Keyring } from '../secrets/data-keys';
import { sha256Hex } from '../digest';

/** 4 uniformly random digits; rejection sampling keeps "0000".."9999" unbiased. */
export function newDeliveryPin(): string {
  const buf = new Uint16Array(1);
  for (;;) {
    crypto.getRandomValues(buf);
    // 65536 - (65536 % 10000) = 60000: values above are discarded to avoid modulo bias.
    if (buf[0]! < 60_000) return String(buf[0]! % 10_000).padStart(4, '0');
  }
}

/** 32 Crockford base32 characters = 160 bits: not guessable, safe in a URL. */
export const newTrackingToken = (): string => randomBase32(32);

export const trackingUrl = (publicBaseUrl: string, token: string): string => `${publicBaseUrl.replace(/\/+$/, '')}/track/${token}`;

/** The purposes (additional data of the seal, input of the keyed hash) bind each value to its order. */
export const pinPurpose = (orderId: string) => `orders.delivery_pin:${orderId}`;
export const trackingPurpose = (orderId: string) => `orders.tracking_token:${orderId}`;

/** SHA-256 of a tracking token, hex: what GET /v1/track/{token} looks the order up by. */
export async function hashTrackingToken(token: string): Promise<string> {
  return sha256Hex(token);
}

/** The columns an order's codes are stored in. */
export interface StoredOrderCodes {
  deliveryPinHash: string;
  deliveryPinSealed: string;
  trackingTokenHash: string;
  trackingTokenSealed: string;
}

export async function sealDeliveryPin(ring: Keyring, orderId: string, pin: string): Promise<Pick<StoredOrderCodes, 'deliveryPinHash' | 'deliveryPinSealed'>> {
  const [deliveryPinHash, deliveryPinSealed] = await Promise.all([keyedHash(ring, pinPurpose(orderId), pin), seal(ring, pinPurpose(orderId), pin)]);
  return { deliveryPinHash, deliveryPinSealed };
}

export async function sealTrackingToken(ring: Keyring, orderId: string, token: string): Promise<Pick<StoredOrderCodes, 'trackingTokenHash' | 'trackingTokenSealed'>> {
  const [trackingTokenHash, trackingTokenSealed] = await Promise.all([hashTrackingToken(token), seal(ring, trackingPurpose(orderId), token)]);
  return { trackingTokenHash, trackingTokenSealed };
}

/** A new order's codes, as stored (and in clear, for nobody but the caller's answer). */
export async function newOrderCodes(ring: Keyring, orderId: string): Promise<StoredOrderCodes> {
  const [pin, token] = await Promise.all([sealDeliveryPin(ring, orderId, newDeliveryPin()), sealTrackingToken(ring, orderId, newTrackingToken())]);
  return { ...pin, ...token };
}

/** The order's PIN in clear, for its customer's eyes and messages (null: none stored). */
export async function openDeliveryPin(ring: Keyring, order: Pick<Order, 'id' | 'deliveryPin' | 'deliveryPinSealed'>): Promise<string | null> {
  return order.deliveryPinSealed ? open(ring, pinPurpose(order.id), order.deliveryPinSealed) : order.deliveryPin;
}

/** The order's tracking token in clear, for the links the platform shows and sends. */
export async function openTrackingToken(ring: Keyring, order: Pick<Order, 'id' | 'trackingToken' | 'trackingTokenSealed'>): Promise<string> {
  const token = order.trackingTokenSealed ? await open(ring, trackingPurpose(order.id), order.trackingTokenSealed) : order.trackingToken;
  if (!token) throw new Error(`order ${order.id} has no tracking token`);
  return token;
}

/** Whether the driver's `candidate` is the order's PIN: the keyed hash, compared in constant time. */
export async function pinMatches(ring: Keyring, order: Pick<Order, 'id' | 'deliveryPin' | 'deliveryPinHash'>, candidate: string): Promise<boolean> {
  if (order.deliveryPinHash) return verifyKeyedHash(ring, pinPurpose(order.id), candidate, order.deliveryPinHash);
  // A row the seal sweep has not reached yet.
  return order.deliveryPin !== null && (await sameSecret(ring, pinPurpose(order.id), candidate, order.deliveryPin));
}
