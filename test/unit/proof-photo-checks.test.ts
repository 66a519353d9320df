import { describe, expect, it } from 'vitest';
import { mediaTypeOf, sniffImageType } from '../../workers/services/proof-photos/image';
import { issuedPhotoId, proofPhotoUrl } from '../../workers/services/proof-photos/urls';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('sniffImageType', () => {
  it('recognises JPEG, PNG and WebP by their magic numbers', () => {
    expect(sniffImageType(bytes(0xff, 0xd8, 0xff, 0xdb, 0x00))).toBe('image/jpeg');
    expect(sniffImageType(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00))).toBe('image/png');
    expect(sniffImageType(bytes(0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x45, 0x42, 0x50))).toBe('image/webp');
  });

  it('refuses everything else, truncated signatures included', () => {
    const text = (s: string) => new TextEncoder().encode(s);
    expect(sniffImageType(new Uint8Array(0))).toBeNull();
    expect(sniffImageType(bytes(0xff, 0xd8))).toBeNull();
    expect(sniffImageType(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a))).toBeNull();
    expect(sniffImageType(text('GIF89a'))).toBeNull();
    expect(sniffImageType(text('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
    // A RIFF file that is not WebP (a WAVE sound).
    expect(sniffImageType(bytes(0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x41, 0x56, 0x45))).toBeNull();
    expect(sniffImageType(text('%PDF-1.7'))).toBeNull();
  });

  it('reads the media type of a Content-Type header', () => {
    expect(mediaTypeOf('Image/JPEG; charset=binary')).toBe('image/jpeg');
    expect(mediaTypeOf(undefined)).toBe('');
  });
});

describe('issuedPhotoId', () => {
  const base = 'https://delivery.example.com';
  const id = 'pph_0h3k9x2m4p6r8t0v2x4z';
  const url = proofPhotoUrl(base, 'ord_1', id);

  it('accepts exactly the URL we answer for the order', () => {
    expect(url).toBe(`${base}/v1/orders/ord_1/proof-photos/${id}`);
    expect(issuedPhotoId(base, 'ord_1', url)).toBe(id);
    expect(issuedPhotoId(`${base}/`, 'ord_1', url)).toBe(id);
  });

  it('refuses another order, another origin, a query, credentials and malformed ids', () => {
    expect(issuedPhotoId(base, 'ord_2', url)).toBeNull();
    expect(issuedPhotoId(base, 'ord_1', url.replace('https:', 'http:'))).toBeNull();
    expect(issuedPhotoId(base, 'ord_1', url.replace('delivery.example.com', 'delivery.example.com.evil.test'))).toBeNull();
    expect(issuedPhotoId(base, 'ord_1', `${url}?x=1`)).toBeNull();
    expect(issuedPhotoId(base, 'ord_1', `${url}#x`)).toBeNull();
    expect(issuedPhotoId(base, 'ord_1', url.replace('https://', 'https://user:pw@'))).toBeNull();
    expect(issuedPhotoId(base, 'ord_1', `${url}/more`)).toBeNull();
    expect(issuedPhotoId(base, 'ord_1', `${base}/v1/orders/ord_1/proof-photos/pph_short`)).toBeNull();
    expect(issuedPhotoId(base, 'ord_1', 'not a url')).toBeNull();
  });
});
