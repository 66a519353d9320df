/**
 * Secrets an order carries: the 4-digit hand-over PIN (shown to the customer
 * only) and the unguessable token of the public tracking link. Web Crypto
 * only, so the module runs in workerd and in Node unit tests.
 */
import { randomBase32 } from '../../../db/ids';

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
