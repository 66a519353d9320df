/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/):
 * `Webhook-Signature: v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>`,
 * keyed with the bytes of the secret `whsec_<base64>` after the prefix.
 * Signing and verifying are the spec's own reference library
 * (`standardwebhooks`: pure JavaScript, so it runs in workerd and in Node
 * alike, with its constant-time compare and 5-minute tolerance), not ours
 * (ADR 0099).
 */
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

const PREFIX = 'whsec_';

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/** 32 random bytes: `whsec_` + base64 (the format Svix and the spec use). */
export function generateWebhookSecret(): string {
  return PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

/** The `Webhook-Signature` value of one delivery. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  return new Webhook(secret).sign(id, new Date(timestampSeconds * 1000), body);
}

/**
 * Receiver side: the header may list several space-separated signatures
 * (during a secret rotation); one match within 5 minutes of now is enough.
 */
export function verifyWebhook(secret: string, headers: { id: string | null; timestamp: string | null; signature: string | null }, body: string): boolean {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return false;
  try {
    new Webhook(secret).verify(body, { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature }, { jsonParse: false });
    return true;
  } catch (error) {
    if (error instanceof WebhookVerificationError) return false;
    throw error;
  }
}
