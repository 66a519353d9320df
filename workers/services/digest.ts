/**
 * SHA-256 as lowercase hex, of text (UTF-8) or bytes: how refresh tokens, API
 * keys and tracking tokens are stored, how an Idempotency-Key's request and a
 * proof photo are compared, and how notification and throttle keys are named.
 */
export async function sha256Hex(input: string | Uint8Array): Promise<string> {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
