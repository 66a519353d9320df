/**
 * Password hashing, the way OWASP's Password Storage Cheat Sheet asks, with a
 * method production Workers can run. Full reasoning and measurements:
 * docs/decisions/0010-password-hashing-scrypt.md.
 *
 * Why scrypt: OWASP prefers Argon2id, then scrypt, then PBKDF2 (600,000
 * iterations for HMAC-SHA256). Production workerd refuses Web Crypto PBKDF2
 * above 100,000 iterations (local workerd does not, so a local test cannot
 * catch it), Argon2 has no native implementation in workerd, and WASM cannot be
 * compiled from bytes at run time on Workers. `node:crypto` scrypt is native in
 * workerd (nodejs_compat, BoringSSL) and in Node (OpenSSL), so the same code
 * hashes in the seed script and verifies in the Worker.
 *
 * Parameters: N=2^14, r=8, p=5 (16 MiB), one of the five rows OWASP lists for
 * scrypt. OWASP calls its rows "a similar minimal level of defense"; they are
 * not the same work (N·r·p of this row is 62.5 % of the N=2^17 row's), so
 * "equivalent" means "each is an accepted minimum". Among the rows this one and
 * N=2^13/p=10 cost the defender the same CPU (measured: ~150 ms in workerd,
 * ~180 ms in Node on the dev machine), and this one makes every guess use
 * twice the memory. workerd runs scrypt synchronously on the isolate's thread,
 * so an isolate holds at most one 16 MiB scrypt buffer at a time.
 *
 * The algorithm and its parameters are stored with every hash, so they can be
 * raised later: `needsRehash` flags any hash made with other parameters and
 * login re-hashes it with today's.
 */
import { scrypt as scryptCallback, timingSafeEqual, randomBytes } from 'node:crypto';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  keyLength: number;
}

export const CURRENT_ALGORITHM = 'scrypt';
export const CURRENT_PARAMS: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 14, r: 8, p: 5, keyLength: 32 });
export const MIN_PASSWORD_LENGTH = 12;
/** Long enough for any passphrase, short enough that hashing cost stays bounded. */
export const MAX_PASSWORD_LENGTH = 256;

/** The largest parameters a stored hash may ask for (a tampered row must not make us allocate gigabytes). */
const MAX_N = 2 ** 17;
const MAX_R = 16;
const MAX_P = 16;

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
      // scrypt needs 128·N·r bytes (+128·r·p); twice that plus 1 MiB is a safe bound.
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
  return { algorithm: CURRENT_ALGORITHM, params: { ...params }, hash: `${toB64(salt)}$${toB64(key)}` };
}

function usableParams(params: Partial<ScryptParams> | undefined): params is ScryptParams {
  if (!params) return false;
  const { N, r, p, keyLength } = params;
  return (
    Number.isInteger(N) && N! >= 2 && N! <= MAX_N && (N! & (N! - 1)) === 0 &&
    Number.isInteger(r) && r! >= 1 && r! <= MAX_R &&
    Number.isInteger(p) && p! >= 1 && p! <= MAX_P &&
    Number.isInteger(keyLength) && keyLength! >= 16 && keyLength! <= 64
  );
}

export async function verifyPassword(password: string, stored: StoredHash): Promise<boolean> {
  if (stored.algorithm !== CURRENT_ALGORITHM || !usableParams(stored.params)) return false;
  const [saltText, keyText] = stored.hash.split('$');
  if (!saltText || !keyText) return false;
  let expected: Uint8Array;
  let salt: Uint8Array;
  try {
    expected = fromB64(keyText);
    salt = fromB64(saltText);
  } catch {
    return false;
  }
  const actual = await derive(password, salt, { ...stored.params, keyLength: expected.length });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** True when a stored hash was made with another algorithm or other parameters than today's. */
export function needsRehash(stored: StoredHash): boolean {
  return (
    stored.algorithm !== CURRENT_ALGORITHM ||
    stored.params?.N !== CURRENT_PARAMS.N ||
    stored.params.r !== CURRENT_PARAMS.r ||
    stored.params.p !== CURRENT_PARAMS.p ||
    stored.params.keyLength !== CURRENT_PARAMS.keyLength
  );
}

/**
 * What an unknown email is verified against, so it costs exactly what a wrong
 * password costs: one scrypt derivation with today's parameters. The stored key
 * is all zeros, which no password derives to (a 2^-256 chance), so it never
 * matches; no hash has to be computed up front, so the first unknown-email
 * login is not slower than the others.
 */
const DECOY: StoredHash = Object.freeze({
  algorithm: CURRENT_ALGORITHM,
  params: CURRENT_PARAMS,
  hash: `${toB64(new Uint8Array(16).fill(0x5a))}$${toB64(new Uint8Array(CURRENT_PARAMS.keyLength))}`,
});

export function decoyHash(): StoredHash {
  return DECOY;
}
