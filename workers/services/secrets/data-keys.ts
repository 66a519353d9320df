/**
 * Secrets at rest (ADR 0083): the keys that encrypt what the platform must
 * read back (webhook signing secrets, delivery PINs, tracking tokens) and
 * key the hash a PIN is compared with. DATA_ENCRYPTION_KEYS is a JSON list
 * `[{ kid, secret }]` like JWT_SIGNING_KEYS: the first key seals and hashes,
 * every key opens and verifies, so a key rotates without a flag day
 * (docs/runbook.md, "Rotate the data encryption key").
 *
 * From each secret two keys are derived with HKDF-SHA-256 (one secret to
 * keep, never one key for two uses): AES-256-GCM for sealing and HMAC-SHA-256
 * for keyed hashes. A sealed value is `v1.<kid>.<iv>.<ciphertext+tag>`
 * (base64url); its purpose (table, column and row id) is the additional
 * authenticated data, so a ciphertext copied to another row or column does
 * not open. Web Crypto only: the module runs in workerd and in Node.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const FORMAT = 'v1';
const SALT = encoder.encode('delivery-platform/data-keys');
const KID_PATTERN = /^[A-Za-z0-9_-]{1,40}$/;
const MIN_SECRET_BYTES = 32;

export interface DataKey {
  kid: string;
  aes: CryptoKey;
  hmac: CryptoKey;
}

export interface Keyring {
  /** Seals and hashes. */
  primary: DataKey;
  /** Every key, the primary included: opens and verifies. */
  byKid: ReadonlyMap<string, DataKey>;
}

/** A sealed value that does not open: unknown key, wrong purpose, altered bytes. */
export class SealedValueError extends Error {
  constructor(readonly reason: 'format' | 'unknown_key' | 'tampered') {
    super(`sealed value: ${reason}`);
    this.name = 'SealedValueError';
  }
}

export function toBase64Url(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new SealedValueError('format');
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

/** A new key entry for DATA_ENCRYPTION_KEYS: 32 random bytes, base64url. */
export function newDataKeyEntry(kid: string): { kid: string; secret: string } {
  return { kid, secret: toBase64Url(crypto.getRandomValues(new Uint8Array(32))) };
}

function parseEntries(raw: string): { kid: string; secret: Uint8Array }[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error('DATA_ENCRYPTION_KEYS is not valid JSON');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new Error('DATA_ENCRYPTION_KEYS must be a non-empty JSON array');
  const seen = new Set<string>();
  return parsed.map((entry: unknown) => {
    const { kid, secret } = (entry ?? {}) as { kid?: unknown; secret?: unknown };
    if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) throw new Error('each data key needs a kid of 1-40 letters, digits, _ or -');
    if (seen.has(kid)) throw new Error(`data key ids must be unique (${kid} twice)`);
    seen.add(kid);
    let bytes: Uint8Array;
    try {
      bytes = typeof secret === 'string' ? fromBase64Url(secret) : new Uint8Array();
    } catch {
      bytes = new Uint8Array();
    }
    if (bytes.length < MIN_SECRET_BYTES) throw new Error(`data key ${kid}: the secret must be base64url of at least ${MIN_SECRET_BYTES} random bytes`);
    return { kid, secret: bytes };
  });
}

async function derive(kid: string, secret: Uint8Array): Promise<DataKey> {
  const base = await crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveKey']);
  const hkdf = (info: string) => ({ name: 'HKDF', hash: 'SHA-256', salt: SALT, info: encoder.encode(info) });
  const [aes, hmac] = await Promise.all([
    crypto.subtle.deriveKey(hkdf('aes-256-gcm/v1'), base, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']),
    crypto.subtle.deriveKey(hkdf('hmac-sha-256/v1'), base, { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign', 'verify']),
  ]);
  return { kid, aes, hmac };
}

// Keyed by the secret's text: a rotated value is parsed afresh, an isolate keeps the derived keys.
const cache = new Map<string, Promise<Keyring>>();

/** The keyring of a DATA_ENCRYPTION_KEYS value (parsed and derived once per isolate). */
export function dataKeys(raw: string): Promise<Keyring> {
  let ring = cache.get(raw);
  if (!ring) {
    ring = (async () => {
      const keys = await Promise.all(parseEntries(raw).map((e) => derive(e.kid, e.secret)));
      return { primary: keys[0]!, byKid: new Map(keys.map((k) => [k.kid, k])) };
    })();
    // A bad value is not kept: the error is thrown to every caller until it is fixed.
    ring.catch(() => cache.delete(raw));
    cache.set(raw, ring);
  }
  return ring;
}

/** Encrypts `plaintext` for `purpose` (e.g. `webhook_endpoints.secret:whk_…`) under the primary key. */
export async function seal(ring: Keyring, purpose: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = ring.primary;
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: encoder.encode(purpose) }, key.aes, encoder.encode(plaintext));
  return `${FORMAT}.${key.kid}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(sealed))}`;
}

/** The key id a sealed value or keyed hash was made with (the re-seal sweep finds old ones by it). */
export function kidOf(value: string): string | null {
  const parts = value.split('.');
  if (parts[0] === FORMAT && parts.length === 4) return parts[1] ?? null;
  if (parts.length === 2) return parts[0] ?? null;
  return null;
}

/** Decrypts a value sealed for the same `purpose`; throws SealedValueError otherwise. */
export async function open(ring: Keyring, purpose: string, sealed: string): Promise<string> {
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== FORMAT) throw new SealedValueError('format');
  const key = ring.byKid.get(parts[1]!);
  if (!key) throw new SealedValueError('unknown_key');
  const iv = fromBase64Url(parts[2]!);
  const data = fromBase64Url(parts[3]!);
  try {
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: encoder.encode(purpose) }, key.aes, data);
    return decoder.decode(plain);
  } catch {
    throw new SealedValueError('tampered');
  }
}

const hashInput = (purpose: string, value: string) => encoder.encode(`${purpose}\n${value}`);

/** HMAC-SHA-256 of `value` for `purpose` under the primary key: `<kid>.<base64url>`. */
export async function keyedHash(ring: Keyring, purpose: string, value: string): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', ring.primary.hmac, hashInput(purpose, value));
  return `${ring.primary.kid}.${toBase64Url(new Uint8Array(mac))}`;
}

/**
 * Whether `candidate` is the value behind a keyed hash. The comparison is
 * Web Crypto's HMAC verify, which compares in constant time; an unknown key
 * or a malformed hash is a mismatch.
 */
export async function verifyKeyedHash(ring: Keyring, purpose: string, candidate: string, stored: string): Promise<boolean> {
  const parts = stored.split('.');
  if (parts.length !== 2) return false;
  const key = ring.byKid.get(parts[0]!);
  if (!key) return false;
  let mac: Uint8Array;
  try {
    mac = fromBase64Url(parts[1]!);
  } catch {
    return false;
  }
  return crypto.subtle.verify('HMAC', key.hmac, mac, hashInput(purpose, candidate));
}

/** Two strings compared in constant time (their HMACs under the primary key, through verify). */
export async function sameSecret(ring: Keyring, purpose: string, a: string, b: string): Promise<boolean> {
  return verifyKeyedHash(ring, purpose, a, await keyedHash(ring, purpose, b));
}
