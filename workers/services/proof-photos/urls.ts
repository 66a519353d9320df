/**
 * The URL a proof photo is known by: on our own origin, under its order, so
 * /deliver can tell a photo we issued for that order from any other link.
 */

export function proofPhotoPath(orderId: string, photoId: string): string {
  return `/v1/orders/${encodeURIComponent(orderId)}/proof-photos/${encodeURIComponent(photoId)}`;
}

export function proofPhotoUrl(publicBaseUrl: string, orderId: string, photoId: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}${proofPhotoPath(orderId, photoId)}`;
}

/**
 * The photo id named by `url` if it is one of ours for `orderId` (same origin
 * as PUBLIC_BASE_URL, exactly the photo path, no query or fragment), else null.
 * Whether the photo exists is for the caller to check.
 */
export function issuedPhotoId(publicBaseUrl: string, orderId: string, url: string): string | null {
  let u: URL;
  let base: URL;
  try {
    u = new URL(url);
    base = new URL(publicBaseUrl);
  } catch {
    return null;
  }
  if (u.origin !== base.origin || u.search !== '' || u.hash !== '' || u.username !== '' || u.password !== '') return null;
  const prefix = `${base.pathname.replace(/\/+$/, '')}/v1/orders/${encodeURIComponent(orderId)}/proof-photos/`;
  if (!u.pathname.startsWith(prefix)) return null;
  const id = decodeURIComponent(u.pathname.slice(prefix.length));
  return /^pph_[0-9a-z]{20}$/.test(id) ? id : null;
}
