import { describe, expect, it } from 'vitest';
import { canonicalJson, requestHash } from '../../workers/services/idempotency';
import { newDeliveryPin, newTrackingToken, trackingUrl } from '../../workers/services/orders/codes';
import { decodeCursor, decodeKeyCursor, encodeCursor, encodeKeyCursor } from '../../workers/services/orders/cursor';

describe('idempotency fingerprints', () => {
  it('ignore key order but nothing else', async () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: 1 }] })).toBe('{"a":[{"x":1,"y":2}],"b":1}');
    const a = await requestHash('POST', '/v1/orders', { merchantId: 'm', items: [{ productId: 'p', quantity: 1 }] });
    const b = await requestHash('post', '/v1/orders', { items: [{ quantity: 1, productId: 'p' }], merchantId: 'm' });
    const c = await requestHash('POST', '/v1/orders', { merchantId: 'm', items: [{ productId: 'p', quantity: 2 }] });
    const d = await requestHash('POST', '/v1/other', { merchantId: 'm', items: [{ productId: 'p', quantity: 1 }] });
    expect(a).toBe(b);
    expect(new Set([a, c, d]).size).toBe(3);
  });
});

describe('order codes', () => {
  it('PINs are 4 digits and roughly uniform', () => {
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 5000; i++) {
      const pin = newDeliveryPin();
      expect(pin).toMatch(/^\d{4}$/);
      counts[Number(pin[0])]++;
    }
    for (const n of counts) expect(n).toBeGreaterThan(350); // 500 expected per leading digit
  });

  it('tracking tokens are 32 unguessable characters in a URL under the public base', () => {
    const t = newTrackingToken();
    expect(t).toMatch(/^[0-9a-z]{32}$/);
    expect(newTrackingToken()).not.toBe(t);
    expect(trackingUrl('https://delivery.example.com/', t)).toBe(`https://delivery.example.com/track/${t}`);
  });
});

describe('cursors', () => {
  it('round-trip and reject tampering', () => {
    const p = { createdAt: new Date('2026-05-01T10:00:00.123Z'), id: 'ord_abc' };
    expect(decodeCursor(encodeCursor(p))).toEqual(p);
    expect(decodeKeyCursor(encodeKeyCursor(['Épicerie Centrale', 'mer_1']))).toEqual(['Épicerie Centrale', 'mer_1']);
    for (const bad of ['', 'not-a-cursor', btoa('[1,2]'), btoa('["x","y"]').replace(/=/g, '')]) expect(decodeCursor(bad)).toBeNull();
  });
});
