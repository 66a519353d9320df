/**
 * What a proof photo upload must be, decided from its bytes: JPEG, PNG or
 * WebP by their magic numbers (the declared Content-Type is only a claim),
 * at most 5 MiB. Pure, so it is unit tested in Node.
 */

export const PROOF_PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type ProofPhotoType = (typeof PROOF_PHOTO_TYPES)[number];

/** Largest photo accepted (413 above). A phone's full-size JPEG is 2–4 MB; the driver app also scales down. */
export const MAX_PROOF_PHOTO_BYTES = 5 * 1024 * 1024;

const startsWith = (bytes: Uint8Array, sig: readonly number[], at = 0) => bytes.length >= at + sig.length && sig.every((b, i) => bytes[at + i] === b);

/** The image type the bytes really are, or null when they are none of the accepted ones. */
export function sniffImageType(bytes: Uint8Array): ProofPhotoType | null {
  // JPEG: SOI marker followed by the start of another marker.
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  // PNG: the full 8-byte signature.
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  // WebP: a RIFF container whose form type is WEBP.
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  return null;
}

/** The media type of a Content-Type header, lower case, without parameters. */
export function mediaTypeOf(header: string | null | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}
