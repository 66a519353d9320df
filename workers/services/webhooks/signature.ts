/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/):
 * `Webhook-Signature: v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>`,
 * keyed with the bytes of the secret `whsec_<base64>` after the prefix.
 * Web Crypto only, so the same module signs in workerd and verifies in the
 * test receiver (Node).
 */
const PREFIX = 'whsec_';
const encoder = new TextEncoder();

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** 32 random bytes: `whsec_` + base64 (the format Svix and the spec use). */
export function generateWebhookSecret(): string {
  return PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

export function secretKeyBytes(secret: string): Uint8Array {
  return fromBase64(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret);
}

async function hmac(secret: string, content: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', secretKeyBytes(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(content)));
}

export async function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): Promise<string> {
  return `v1,${toBase64(await hmac(secret, `${id}.${timestampSeconds}.${body}`))}`;
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Receiver side: the header may list several space-separated signatures
 * (during a secret rotation); one match within the timestamp tolerance is enough.
 */
export async function verifyWebhook(
  secret: string,
  headers: { id: string | null; timestamp: string | null; signature: string | null },
  body: string,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): Promise<boolean> {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? 300)) return false;
  const expected = (await signWebhook(secret, id, Number(timestamp), body)).slice(3);
  return signature.split(' ').some((part) => part.startsWith('v1,') && constantTimeEqual(part.slice(3), expected));
}
