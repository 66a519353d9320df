/**
 * Password hashing, the way OWASP's Password Storage Cheat Sheet asks, with a
 * method production Workers can run.
 *
 * Why scrypt: OWASP prefers Argon2id, then scrypt, then PBKDF2 (600,000
 * iterations for HMAC-SHA256). Production workerd refuses Web Crypto PBKDF2
 * above 100,000 iterations (local workerd does not, so a local test cannot
 * catch it), Argon2 has no native implementation in workerd, and WASM cannot be
 * compiled from bytes at run time on Workers. `node:crypto` scrypt is native in
 * workerd (nodejs_compat) and in Node, so the same code hashes in the seed
 * script and verifies in the Worker. Parameters: OWASP's scrypt row with the
 * smallest memory, N=2^13, r=8, p=10 (8 MiB per hash, the same work as the
 * 128 MiB row): a Worker isolate has 128 MB, and several logins may hash at
 * once in one isolate. Stored with every hash so they can be raised later
 * (`needsRehash`).
 */
import { scrypt as scryptCallback, timingSafeEqual, randomBytes } from 'node:crypto';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  keyLength: number;
}

export const CURRENT_ALGORITHM = 'scrypt';
export const CURRENT_PARAMS: ScryptParams = { N: 2 ** 13, r: 8, p: 10, keyLength: 32 };
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

export interface StoredHash {
  algorithm: string;
  params: ScryptParams;
  /** base64(salt) + '$' + base64(derived key) */
  hash: string;
}

function derive(password: string, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    scryptCallback(
      password.normalize('NFKC'),
      salt,
      params.keyLength,
      { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(new Uint8Array(key))),
    );
  });
}

const toB64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromB64 = (text: string) => Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));

export async function hashPassword(password: string, params: ScryptParams = CURRENT_PARAMS): Promise<StoredHash> {
  const salt = new Uint8Array(randomBytes(16));
  const key = await derive(password, salt, params);
  return { algorithm: CURRENT_ALGORITHM, params, hash: `${toB64(salt)}$${toB64(key)}` };
}

export async function verifyPassword(password: string, stored: StoredHash): Promise<boolean> {
  if (stored.algorithm !== CURRENT_ALGORITHM) return false;
  const [saltText, keyText] = stored.hash.split('$');
  if (!saltText || !keyText) return false;
  const expected = fromB64(keyText);
  const actual = await derive(password, fromB64(saltText), { ...stored.params, keyLength: expected.length });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** True when a stored hash was made with weaker parameters than today's. */
export function needsRehash(stored: StoredHash): boolean {
  return (
    stored.algorithm !== CURRENT_ALGORITHM ||
    stored.params.N < CURRENT_PARAMS.N ||
    stored.params.r < CURRENT_PARAMS.r ||
    stored.params.p < CURRENT_PARAMS.p
  );
}

/**
 * A fixed hash to verify against when the email is unknown, so an unknown
 * account costs the same time as a wrong password.
 */
let decoy: Promise<StoredHash> | undefined;
export function decoyHash(): Promise<StoredHash> {
  return (decoy ??= hashPassword('decoy-password-that-never-matches'));
}
